/**
 * The demo trainer in Chromium: signs in and lands on the completion overview, opens the demo team's matrix,
 * filters it, opens a learner and the course report, and downloads the matrix as CSV and as XLSX (both read
 * back). Every page passes axe-core at every impact level, in the standard and the low-sensory theme; screenshots
 * of each page go to test/artifacts/.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { SHIPPED_COURSE_SLUG, seedDemoLearning } from '../../server/assignments/seed';
import { signIn, startBrowserHarness, type BrowserHarness, checkPage, chooseTheme } from './support/browser';

const DEMO_PASSWORD = 'demo-password-for-the-trainer-reports';
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

let harness: BrowserHarness;
/** The title of the shipped course the demo learner is part-way through (one column among the shipped courses). */
let shippedTitle = '';

beforeAll(async () => {
  harness = await startBrowserHarness();
  await harness.app.seedDemoAccounts(DEMO_PASSWORD);
  const { services } = harness.app;
  const report = await services.courseImport.importCourses({ dir: path.join(PROJECT_ROOT, 'content', 'courses') });
  expect(report.ok).toBe(true);
  await seedDemoLearning(services);
  // The demo learner is part-way through the shipped course: the first lesson done.
  const ids = await services.users.findUserIdsByEmails(['learner@example.org']);
  const learnerId = ids.get('learner@example.org');
  if (!learnerId) throw new Error('no demo learner');
  const learner = { id: learnerId, name: 'Lee Learner' };
  await services.learning.enrol(learner, SHIPPED_COURSE_SLUG);
  const course = await services.courses.getCourseBySlug(SHIPPED_COURSE_SLUG);
  const content = course ? await services.courses.getPublishedVersion(course.id) : null;
  shippedTitle = course?.title ?? '';
  const first = content?.modules[0];
  const lesson = first?.lessons[0];
  if (!first || !lesson) throw new Error('The shipped course has no lesson');
  await services.learning.completeLessonReading(learner, SHIPPED_COURSE_SLUG, first.key, lesson.key);
}, 120_000);

afterAll(async () => {
  await harness?.stop();
});

describe('the demo trainer', () => {
  it('sees the matrix, filters it, opens a learner and a course, and downloads CSV and XLSX', async () => {
    const page = await harness.newPage();
    await signIn(page, 'trainer@example.org', DEMO_PASSWORD);
    expect(new URL(page.url()).pathname).toBe('/reports');
    await checkPage(page, 'reports-overview');

    // Assigns the shipped course to the demo team, due 30 days after each person joins the team.
    await page.goto('/manage/assignments/new');
    await page.getByRole('heading', { level: 1 }).waitFor();
    await checkPage(page, 'assignments-new');
    await page.getByLabel('Course').selectOption({ label: shippedTitle });
    await page.getByRole('group', { name: 'Assign it to' }).getByLabel('Whole teams').check();
    await page.getByRole('group', { name: /^Teams/ }).getByLabel('Demo team').check();
    await page.getByRole('group', { name: 'When is it due?' }).getByLabel('A number of days after joining the team').check();
    await page.getByRole('spinbutton', { name: 'Number of days' }).fill('30');
    await Promise.all([page.waitForURL('**/manage/assignments'), page.getByRole('button', { name: 'Assign the course' }).click()]);
    await page.getByText('The course is assigned.').waitFor();
    const assignment = page.getByRole('table', { name: 'Assignments' }).getByRole('row', { name: /Team: Demo team/ });
    await expect(assignment.count()).resolves.toBe(1);
    await expect(assignment.textContent()).resolves.toMatch(/30 days after joining/);
    await checkPage(page, 'assignments-list');

    await page.goto('/reports');
    await page.getByRole('link', { name: 'Demo team' }).click();
    await page.getByRole('heading', { level: 1, name: 'Demo team' }).waitFor();
    const matrix = page.getByRole('table', { name: /Demo team/ });
    const learnerRow = matrix.getByRole('row', { name: /Lee Learner/ });
    await expect(learnerRow.getByText(/In progress, \d+%/).count()).resolves.toBe(1);
    // Every member now has the shipped course assigned with a due date (Lee's own, earlier one governs for Lee).
    await expect(learnerRow.getByText(/^Due \d/).count()).resolves.toBeGreaterThan(0);
    await checkPage(page, 'reports-team-matrix');

    // Filter: people with a course not started (none), then people with a course in progress (Lee).
    await page.getByLabel('People with a course').selectOption({ label: 'Completed' });
    await Promise.all([page.waitForURL(/state=completed/), page.getByRole('button', { name: 'Show' }).click()]);
    await page.getByText('No one in this team matches these filters.').waitFor();
    await page.getByLabel('People with a course').selectOption({ label: 'In progress' });
    await Promise.all([page.waitForURL(/state=in-progress/), page.getByRole('button', { name: 'Show' }).click()]);
    await matrix.getByRole('row', { name: /Lee Learner/ }).waitFor();
    await checkPage(page, 'reports-team-matrix-filtered');

    // Downloads of exactly what the filter shows.
    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /Download as CSV/ }).click()]);
    const csvPath = await csvDownload.path();
    const csv = parseCsv((await readFile(csvPath)).toString('utf8').replace(/^\uFEFF/, '')) as string[][];
    expect(csv[0]?.slice(0, 2)).toEqual(['Name', 'Email']);
    expect(csv[1]?.[0]).toBe('Lee Learner');
    const shippedColumn = csv[0]?.indexOf(shippedTitle) ?? -1;
    expect(shippedColumn).toBeGreaterThan(1);
    expect(csv[1]?.[shippedColumn]).toMatch(/^In progress, \d+%/);
    const [xlsxDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /Download as Excel/ }).click()]);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(await xlsxDownload.path());
    const rows: string[][] = [];
    workbook.worksheets[0]?.eachRow((row) => rows.push((row.values as unknown[]).slice(1).map(String)));
    expect(rows).toEqual(csv);

    await matrix.getByRole('link', { name: 'Lee Learner' }).click();
    await page.getByRole('heading', { level: 1, name: 'Lee Learner' }).waitFor();
    await checkPage(page, 'reports-learner');

    await page.getByRole('link', { name: /Report on this course/ }).first().click();
    await page.getByRole('heading', { level: 2, name: 'Completions over time' }).waitFor();
    await expect(page.locator('svg[role="img"] title').count()).resolves.toBe(2);
    await checkPage(page, 'reports-course');

    // The same pages in the low-sensory theme.
    await chooseTheme(page, 'Low sensory');
    for (const [pathname, name] of [
      ['/reports', 'reports-overview-low-sensory'],
      [new URL(page.url()).pathname, 'reports-course-low-sensory'],
    ] as const) {
      await page.goto(pathname);
      await checkPage(page, name);
    }
    await page.goto('/reports');
    await page.getByRole('link', { name: 'Demo team' }).click();
    await page.getByRole('heading', { level: 1, name: 'Demo team' }).waitFor();
    await checkPage(page, 'reports-team-matrix-low-sensory');
    await chooseTheme(page, 'Standard');
  }, 120_000);

  it('reads at 200% zoom: the page is no wider than the window, and the matrix scrolls in its own box', async () => {
    // A 640-pixel-wide window shows what a 1280-pixel screen shows at 200% zoom.
    const page = await harness.newPage({ width: 640, height: 900 });
    await signIn(page, 'trainer@example.org', DEMO_PASSWORD);
    await page.getByRole('link', { name: 'Demo team' }).click();
    await page.getByRole('heading', { level: 1, name: 'Demo team' }).waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    const region = page.getByRole('region', { name: /Demo team/ });
    expect(await region.getAttribute('tabindex')).toBe('0');
    await checkPage(page, 'reports-team-matrix-200-percent');
  }, 60_000);
});
