/**
 * The second shipped course, "Keeping autistic children and young people safe and well", taken in Chromium by the
 * demo learner: every lesson passes axe-core, every check is answered (right, from the published content, whatever
 * order the options are shown in), every reflection written, and the course is finished. Screenshots of the lessons
 * with the picture and a clip go to test/artifacts/.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { CheckBlock, CourseVersionContent } from '../../server/courses/types';
import { axeScan, screenshot, signIn, startBrowserHarness, type BrowserHarness } from './support/browser';

const DEMO_PASSWORD = 'demo-password-for-the-second-course';
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const SLUG = 'keeping-safe-and-well';

let harness: BrowserHarness;
let content: CourseVersionContent;

beforeAll(async () => {
  harness = await startBrowserHarness();
  await harness.app.seedDemoAccounts(DEMO_PASSWORD);
  const { services } = harness.app;
  const report = await services.courseImport.importCourses({ dir: path.join(PROJECT_ROOT, 'content', 'courses') });
  expect(report.ok).toBe(true);
  const course = await services.courses.getCourseBySlug(SLUG);
  const published = course ? await services.courses.getPublishedVersion(course.id) : null;
  if (!published) throw new Error('The second shipped course is not published');
  content = published;
}, 120_000);

afterAll(async () => {
  await harness?.stop();
});

function checksOf(moduleKey: string, lessonKey: string): CheckBlock[] {
  const lesson = content.modules.find((module) => module.key === moduleKey)?.lessons.find((candidate) => candidate.key === lessonKey);
  return (lesson?.blocks ?? []).filter((block): block is CheckBlock => block.kind === 'check');
}

async function answerRight(page: Page, check: CheckBlock): Promise<void> {
  const section = page.locator('section.block--check', { has: page.getByRole('heading', { name: check.title, exact: true }) });
  for (const question of check.questions) {
    const group = section.getByRole('group', { name: question.prompt, exact: true });
    for (const option of question.options.filter((candidate) => candidate.correct)) await group.getByLabel(option.text, { exact: true }).check();
  }
  await Promise.all([page.waitForEvent('load'), section.getByRole('button', { name: /Check my answers/ }).click()]);
}

test('the demo learner takes the second course from start to finish, and every page passes axe', async () => {
  const page = await harness.newPage();
  await signIn(page, 'learner@example.org', DEMO_PASSWORD);
  await page.goto(`/courses/${SLUG}`);
  await page.getByRole('heading', { name: content.title }).first().waitFor();
  await axeScan(page, 'the second course overview');
  await Promise.all([page.waitForURL('**/learn/**'), page.getByRole('button', { name: 'Start the course' }).click()]);

  const lessonCount = content.modules.reduce((sum, module) => sum + module.lessons.length, 0);
  let visited = 0;
  for (; visited < lessonCount; visited += 1) {
    const [, , , moduleKey, lessonKey] = new URL(page.url()).pathname.split('/').map(decodeURIComponent);
    await axeScan(page, `lesson ${moduleKey}/${lessonKey}`);
    if (lessonKey === 'pain-and-illness' || lessonKey === 'preventing') await screenshot(page, `second-course-${lessonKey}`);

    for (const check of checksOf(moduleKey ?? '', lessonKey ?? '')) {
      await answerRight(page, check);
      await page.getByText('You passed this check.').first().waitFor();
    }
    const reflections = page.getByLabel('Your reflection');
    for (let index = 0; index < (await reflections.count()); index += 1) {
      await reflections.nth(index).fill(`On ${lessonKey}: I will tell the safeguarding lead the same day.`);
      const form = page.locator('form[data-reflection-autosave]').nth(index);
      await Promise.all([page.waitForEvent('load'), form.getByRole('button', { name: 'Save my reflection' }).click()]);
      await page.getByText(/Your reflection is saved\./).first().waitFor();
    }

    const here = new URL(page.url()).pathname;
    const markDone = page.getByRole('button', { name: /^Mark as done/ });
    if ((await markDone.count()) > 0) {
      await Promise.all([page.waitForURL((url) => url.pathname !== here), markDone.click()]);
    } else {
      const next = page.getByRole('link', { name: /^Next lesson:/ });
      if ((await next.count()) === 0) break;
      await Promise.all([page.waitForURL((url) => url.pathname !== here), next.click()]);
    }
  }
  expect(visited).toBeGreaterThanOrEqual(lessonCount - 1);

  await page.goto('/dashboard');
  const finished = page.locator('section', { has: page.getByRole('heading', { name: 'Finished' }) });
  await finished.getByRole('link', { name: content.title, exact: true }).waitFor();
}, 300_000);
