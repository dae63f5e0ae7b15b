/**
 * A new version is published while the demo learner is part-way through a course, in real Chromium: the lesson
 * page says so and leads to the course page, which lists what changed; the learner moves to the new version and
 * the notice goes. Every page passes axe; screenshots go to test/artifacts/.
 */
import { axeScan, screenshot, signIn, startBrowserHarness, takeBrowserProblems, type BrowserHarness } from './support/browser';
import { importFixtureCourse, type FixtureCourse } from '../learning/support/fixture-course';

const PASSWORD = 'demo-password-for-new-version';
let harness: BrowserHarness;
let course: FixtureCourse;

beforeAll(async () => {
  harness = await startBrowserHarness();
  await harness.app.seedDemoAccounts(PASSWORD);
  course = await importFixtureCourse(harness.app.services);
}, 60_000);

afterAll(async () => {
  await course?.cleanUp();
  await harness?.stop();
});

it('tells a learner part-way through about the new version, shows what changed, and moves them on request', async () => {
  const page = await harness.newPage();
  await signIn(page, 'learner@example.org', PASSWORD);
  await page.goto(`/courses/${course.slug}`);
  await Promise.all([page.waitForURL('**/learn/**'), page.getByRole('button', { name: 'Start the course' }).click()]);
  const lessonUrl = page.url();

  await course.publishVersion2();

  await page.goto(lessonUrl);
  const notice = page.getByRole('region', { name: 'A new version of this course is ready' });
  await notice.waitFor();
  expect(await notice.textContent()).toContain('You are taking version 1. You can finish it, or move to version 2.');
  await axeScan(page, 'lesson page with the new-version notice');
  await screenshot(page, 'learner-lesson-new-version-notice');

  await Promise.all([page.waitForURL(`**/courses/${course.slug}`), notice.getByRole('link', { name: 'See what changed and choose' }).click()]);
  const offer = page.getByRole('region', { name: 'A new version of this course is ready' });
  expect(await offer.textContent()).toContain('The basics: Extra');
  await axeScan(page, 'course page with the new-version offer');
  await screenshot(page, 'learner-course-new-version-offer');

  await Promise.all([page.waitForURL(`**/courses/${course.slug}`), offer.getByRole('button', { name: 'Move to version 2' }).click()]);
  await page.getByText('You are now taking version 2.').waitFor();
  await page.goto(lessonUrl);
  await page.getByRole('heading', { level: 1 }).waitFor();
  expect(await page.getByRole('region', { name: 'A new version of this course is ready' }).count()).toBe(0);
  expect(takeBrowserProblems(page)).toEqual([]);
}, 120_000);
