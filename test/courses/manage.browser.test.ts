/**
 * A trainer reviews and publishes a changed course in Chromium: the course list, the draft with what it
 * changes, the Publish button (a real form post with its CSRF token), and the confirmation. Every page passes
 * axe-core with no serious or critical problems; screenshots go to test/artifacts/.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { axeScan, screenshot, signIn, startBrowserHarness, takeBrowserProblems, type BrowserHarness } from '../browser/support/browser';

let harness: BrowserHarness;
let work: string;

beforeAll(async () => {
  harness = await startBrowserHarness();
  work = await mkdtemp(path.join(os.tmpdir(), 'manage-browser-'));
  const courseDir = path.join(work, 'tiny-course');
  await cp(path.join(__dirname, 'fixtures', 'tiny-course'), courseDir, { recursive: true });
  await harness.app.services.courseImport.importCourseFromDirectory(courseDir);
  const courseFile = path.join(courseDir, 'course.md');
  await writeFile(
    courseFile,
    (await readFile(courseFile, 'utf8')).replace('estimatedMinutes: 5', 'estimatedMinutes: 10\nchanges: You said the course was too short, so we added a lesson.'),
  );
  await writeFile(path.join(courseDir, '02-next-steps.md'), [
    '---', 'title: Next steps', 'summary: A second module.', 'coProductionLevel: co-production', 'credits:',
    '  - name: Alex Example', '    display: first-name', '    contribution: co-author', '    role: fixture contributor', '---',
    '', '## Keep going', '', 'More to read.', '',
  ].join('\n'));
  const draft = await harness.app.services.courseImport.importCourseFromDirectory(courseDir);
  expect(draft.outcome).toBe('draft-created');
}, 120_000);

afterAll(async () => {
  await harness?.stop();
  await rm(work, { recursive: true, force: true });
});

test('a trainer reviews what the draft changes and publishes it', async () => {
  const trainer = await harness.app.createUser({ roles: ['trainer'], name: 'Tara Trainer' });
  const page = await harness.newPage();
  await signIn(page, trainer.email, trainer.password);

  await page.goto(harness.url('/manage/courses'));
  await axeScan(page, 'course list');
  await page.getByRole('link', { name: 'A tiny course' }).click();
  await page.waitForURL('**/manage/courses/tiny-course');
  await expect(page.getByRole('heading', { name: 'Version 2 is waiting to be published' }).isVisible()).resolves.toBe(true);
  const changes = await page.locator('#draft-heading ~ ul').innerText();
  expect(changes).toContain('New module: Next steps');
  expect(changes).toContain('Course or module details changed');
  expect(await page.locator('main').innerText()).toContain('You said the course was too short, so we added a lesson.');
  await axeScan(page, 'course with a draft');
  await screenshot(page, 'courses-manage-draft');

  await page.getByRole('link', { name: 'Read all of version 2' }).click();
  await page.waitForURL('**/manage/courses/tiny-course/versions/2');
  expect(await page.locator('main').innerText()).toContain('Module 2: Next steps');
  await axeScan(page, 'version review');
  await screenshot(page, 'courses-manage-version-review');
  await page.goBack();

  await Promise.all([page.waitForURL('**/manage/courses/tiny-course'), page.getByRole('button', { name: 'Publish version 2' }).click()]);
  expect(await page.getByRole('status').innerText()).toContain('Version 2 of "A tiny course" is published');
  expect(await page.locator('main').innerText()).toContain('Nothing is waiting to be published');
  await axeScan(page, 'course after publishing');
  await screenshot(page, 'courses-manage-published');
  expect((await harness.app.services.courses.getCourseBySlug('tiny-course'))?.publishedVersion).toBe(2);
  expect(takeBrowserProblems(page)).toEqual([]);
});
