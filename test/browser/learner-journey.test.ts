/**
 * The demo learner takes the WHOLE shipped course in Chromium: from the dashboard, through every lesson
 * (reading, media, one-page profile, every knowledge check, every reflection), to the certificate, and the
 * certificate is confirmed on the public verify page. Every page visited passes axe-core with no serious or
 * critical problems. Screenshots of a lesson page in each theme go to test/artifacts/.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { Certificate } from '../../server/certificates/model';
import type { CheckBlock, CourseVersionContent } from '../../server/courses/types';
import { SHIPPED_COURSE_SLUG, seedDemoLearning } from '../../server/assignments/seed';
import { axeScan, screenshot, signIn, startBrowserHarness, takeBrowserProblems, type BrowserHarness, chooseTheme } from './support/browser';

const DEMO_PASSWORD = 'demo-password-for-the-learner-journey';
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

let harness: BrowserHarness;
let content: CourseVersionContent;

beforeAll(async () => {
  harness = await startBrowserHarness();
  await harness.app.seedDemoAccounts(DEMO_PASSWORD);
  const { services } = harness.app;
  const report = await services.courseImport.importCourses({ dir: path.join(PROJECT_ROOT, 'content', 'courses') });
  expect(report.ok).toBe(true);
  await seedDemoLearning(services);
  const course = await services.courses.getCourseBySlug(SHIPPED_COURSE_SLUG);
  const published = course ? await services.courses.getPublishedVersion(course.id) : null;
  if (!published) throw new Error('The shipped course is not published');
  content = published;
}, 120_000);

afterAll(async () => {
  await harness?.stop();
});

const scanned = new Set<string>();

/** axe on each distinct page (path and query) the learner sees, once. */
async function scanOnce(page: Page, label: string): Promise<void> {
  const url = new URL(page.url());
  const key = `${url.pathname}${url.search}`;
  if (scanned.has(key)) return;
  scanned.add(key);
  await axeScan(page, label);
}

function checksOf(moduleKey: string, lessonKey: string): CheckBlock[] {
  const lesson = content.modules.find((module) => module.key === moduleKey)?.lessons.find((candidate) => candidate.key === lessonKey);
  return (lesson?.blocks ?? []).filter((block): block is CheckBlock => block.kind === 'check');
}

async function answerCheck(page: Page, check: CheckBlock, rightAnswers: boolean): Promise<void> {
  const section = page.locator('section.block--check', { has: page.getByRole('heading', { name: check.title, exact: true }) });
  for (const question of check.questions) {
    const group = section.getByRole('group', { name: question.prompt, exact: true });
    const choose = rightAnswers ? question.options.filter((option) => option.correct) : [question.options.find((option) => !option.correct) ?? question.options[0]!];
    for (const option of choose) await group.getByLabel(option.text, { exact: true }).check();
  }
  await Promise.all([page.waitForEvent('load'), section.getByRole('button', { name: /Check my answers/ }).click()]);
}

describe('the demo learner', () => {
  it('takes the whole shipped course from the dashboard to the certificate', async () => {
    const page = await harness.newPage();
    await signIn(page, 'learner@example.org', DEMO_PASSWORD);
    expect(new URL(page.url()).pathname).toBe('/dashboard');
    await scanOnce(page, 'the dashboard');
    await screenshot(page, 'learner-dashboard-assigned');
    const assigned = page.locator('section', { has: page.getByRole('heading', { name: 'Assigned to you' }) });
    await assigned.getByRole('heading', { name: content.title }).waitFor();
    expect(await assigned.getByText(/Due \d{1,2} \w+ \d{4}/).count()).toBe(1);

    await page.goto('/courses');
    await scanOnce(page, 'the course catalogue');
    await page.goto('/dashboard');
    await Promise.all([page.waitForURL(`**/courses/${SHIPPED_COURSE_SLUG}`), assigned.getByRole('link', { name: content.title, exact: true }).click()]);
    await scanOnce(page, 'the course overview');
    await screenshot(page, 'learner-course-overview');
    await Promise.all([page.waitForURL('**/learn/**'), page.getByRole('button', { name: 'Start the course' }).click()]);

    // The lesson with the profile, an audio clip with captions and transcript, and a download, in each theme:
    // screenshots to look at, and axe in each. It is found in the outline by its place in the course.
    const firstLesson = page.url();
    const lessonsInOrder = content.modules.flatMap((module) => module.lessons);
    const richIndex = lessonsInOrder.findIndex((lesson) => ['profile', 'audio', 'file'].every((kind) => lesson.blocks.some((block) => block.kind === kind)));
    expect(richIndex).toBeGreaterThanOrEqual(0);
    const secondLesson = new URL((await page.locator('.lesson-outline a').nth(richIndex).getAttribute('href')) ?? '', firstLesson).toString();
    for (const theme of ['High contrast', 'Low sensory', 'Standard'] as const) {
      await chooseTheme(page, theme);
      await page.goto(secondLesson);
      await page.locator('audio track[default]').first().waitFor({ state: 'attached' });
      await axeScan(page, `the second lesson in the ${theme} theme`);
      await screenshot(page, `learner-lesson-${theme.toLowerCase().replace(' ', '-')}`);
    }
    await page.goto(firstLesson);

    const lessonCount = content.modules.reduce((sum, module) => sum + module.lessons.length, 0);
    let firstCheck = true;
    let firstReflection = true;
    for (let visited = 0; visited < lessonCount; visited += 1) {
      const [, , , moduleKey, lessonKey] = new URL(page.url()).pathname.split('/').map(decodeURIComponent);
      await scanOnce(page, `lesson ${moduleKey}/${lessonKey}`);
      await screenshot(page, `learner-lesson-${visited + 1}-${lessonKey}`);

      for (const check of checksOf(moduleKey ?? '', lessonKey ?? '')) {
        if (firstCheck) {
          // Once: a wrong attempt, its feedback, then a retry.
          await answerCheck(page, check, false);
          await page.getByText('Read the feedback, then try again.').waitFor();
          await scanOnce(page, 'a check result that did not pass');
          await screenshot(page, 'learner-check-feedback');
          firstCheck = false;
        }
        await answerCheck(page, check, true);
        await page.getByText('You passed this check.').first().waitFor();
        await scanOnce(page, `the passed check in ${moduleKey}/${lessonKey}`);
      }

      const reflections = page.getByLabel('Your reflection');
      for (let index = 0; index < (await reflections.count()); index += 1) {
        const box = reflections.nth(index);
        const form = page.locator('form[data-reflection-autosave]').nth(index);
        await box.fill(`My reflection on ${lessonKey}: I will ask the child and their family first.`);
        if (firstReflection) {
          // The enhancement saves as the person types; the status says so quietly.
          await form.getByText(/^Saved at \d\d:\d\d$/).waitFor();
          firstReflection = false;
        }
        await Promise.all([page.waitForEvent('load'), form.getByRole('button', { name: 'Save my reflection' }).click()]);
        await page.getByText('Your reflection is saved.').first().waitFor();
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

    // Finished: the dashboard lists the course with its certificate.
    await page.goto('/dashboard');
    await scanOnce(page, 'the dashboard after finishing');
    await screenshot(page, 'learner-dashboard-finished');
    const finished = page.locator('section', { has: page.getByRole('heading', { name: 'Finished' }) });
    const certificateLink = finished.getByRole('link', { name: /Download your certificate/ });
    const href = await certificateLink.getAttribute('href');
    expect(href).toMatch(/^\/certificates\/C-\d{4}-[0-9A-Z]{8}\.pdf$/);
    const pdf = await page.request.get(href as string);
    expect(pdf.status()).toBe(200);
    expect(pdf.headers()['content-type']).toBe('application/pdf');
    expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-');

    // Anyone can confirm it with the code printed on it.
    const number = /C-\d{4}-[0-9A-Z]{8}/.exec(href as string)?.[0];
    const certificate = await Certificate.findOne({ number }).lean();
    const visitor = await harness.newPage();
    await visitor.goto('/certificates/verify');
    await scanOnce(visitor, 'the verify form');
    await visitor.getByLabel('Verification code').fill(certificate?.verificationCode.toLowerCase() ?? '');
    await Promise.all([visitor.waitForURL('**/certificates/verify/**'), visitor.getByRole('button', { name: 'Check this code' }).click()]);
    await visitor.getByText('This certificate is real.').waitFor();
    expect(await visitor.getByText('Lee Learner').count()).toBe(1);
    await scanOnce(visitor, 'the verify result');
    await screenshot(visitor, 'certificate-verified');
  }, 300_000);

  it("is looked after by the demo team's trainer, who reads the learner's reflections from the team page", async () => {
    const page = await harness.newPage();
    await signIn(page, 'trainer@example.org', DEMO_PASSWORD);
    await page.goto('/admin/teams');
    await Promise.all([page.waitForURL('**/admin/teams/**'), page.getByRole('link', { name: 'Demo team' }).click()]);
    await scanOnce(page, "the trainer's team page");
    await screenshot(page, 'trainer-team-reflections');
    const learnerRow = page.getByRole('row', { name: /Lee Learner/ });
    await Promise.all([page.waitForURL('**/reflections'), learnerRow.getByRole('link', { name: new RegExp(content.title) }).click()]);
    await page.getByRole('heading', { name: 'Reflections', exact: true }).waitFor();
    expect(await page.getByText(`Lee Learner: ${content.title}`).count()).toBe(1);
    expect(await page.getByText('I will ask the child and their family first.').count()).toBeGreaterThan(0);
    await scanOnce(page, "the learner's reflections, read by their trainer");
    await screenshot(page, 'trainer-reads-reflections');
    expect(takeBrowserProblems(page)).toEqual([]);
  }, 60_000);
});
