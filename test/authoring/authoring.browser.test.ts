/**
 * The authoring pages in Chromium: a co-facilitator on the team writes a lesson (autosave while typing), adds
 * a picture block with its upload, moves blocks with the Up/Down buttons, previews the lesson as learners see
 * it in every theme, and meets the conflict page. Every page passes axe-core at every impact level; screenshots
 * go to test/artifacts/.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { THEMES } from '../../server/people';
import { PROJECT_ROOT } from '../../server/project-root';
import { axeScan, screenshot, signIn, startBrowserHarness, takeBrowserProblems, type BrowserHarness } from '../browser/support/browser';

let harness: BrowserHarness;
const fixtures = path.join(PROJECT_ROOT, 'test', 'courses', 'fixtures');

beforeAll(async () => {
  harness = await startBrowserHarness();
  await harness.app.services.courseImport.importCourses({ dir: fixtures });
}, 120_000);
afterAll(async () => {
  await harness?.stop();
});

/** axeScan fails on serious problems; this asks for none at all, whatever their impact. */
async function axeClean(page: Page, label: string): Promise<void> {
  await axeScan(page, label);
  const all = (await page.evaluate(
    "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => v.id + ' (' + v.impact + '): ' + v.nodes.map((n) => JSON.stringify(n.target)).slice(0, 3).join(', ')))",
  )) as string[];
  expect({ label, violations: all }).toEqual({ label, violations: [] });
}

test('a co-facilitator writes, previews and rearranges a lesson', async () => {
  const app = harness.app;
  const trainer = await app.createUser({ roles: ['trainer'], name: 'Tara Trainer' });
  const writer = await app.createUser({ roles: ['co-facilitator'], name: 'Robin Writer' });
  const course = await app.services.courses.getCourseBySlug('tiny-course');
  const by = { id: trainer.id, email: trainer.email, roles: trainer.roles };
  await app.services.authoring.addTeamMember(by, course?.id ?? '', { email: trainer.email, role: 'trainer', livedExperience: false });
  await app.services.authoring.addTeamMember(by, course?.id ?? '', { email: writer.email, role: 'co-facilitator', livedExperience: true });

  const page = await harness.newPage();
  await signIn(page, writer.email, writer.password);
  await page.goto(harness.url('/author'));
  await axeClean(page, 'your courses');
  await page.getByRole('link', { name: 'A tiny course' }).click();
  await page.waitForURL('**/author/tiny-course');
  await page.getByRole('button', { name: 'Start a draft' }).click();
  await page.getByText('Version 2 is the draft.').waitFor();
  await axeClean(page, 'course with a draft');
  await screenshot(page, 'authoring-course');

  await page.getByRole('link', { name: 'First steps' }).click();
  await page.waitForURL('**/m/first-steps');
  await axeClean(page, 'module');
  await page.getByRole('link', { name: 'Welcome' }).click();
  await page.waitForURL('**/l/welcome');
  await axeClean(page, 'lesson editor');

  // Autosave: typing, then a pause, saves without leaving the page.
  const text = page.getByLabel('Lesson text');
  await text.fill(`${await text.inputValue()}\n\nWritten in the browser.`);
  await page.getByText(/^Saved at \d\d:\d\d/).waitFor();
  const saved = await app.services.authoring.getLesson(course?.id ?? '', 2, 'first-steps', 'welcome', writer.id);
  expect(saved.lesson.text).toContain('Written in the browser.');

  // A picture block, uploaded with its alt text.
  await page.getByLabel('Add a block').selectOption('image');
  await page.getByRole('button', { name: 'Add this kind of block' }).click();
  await page.waitForURL('**/blocks/new?kind=image');
  await axeClean(page, 'picture block form');
  await page.getByLabel(/Upload a new file/).setInputFiles(path.join(fixtures, 'tiny-course', 'media', 'picture.png'));
  await page.getByLabel('Alt text: what the picture shows').fill('A green rectangle drawn at the workshop.');
  await page.getByLabel('A note for the team').fill('I drew this one.');
  await page.getByRole('button', { name: 'Add the block' }).click();
  await page.waitForURL('**/l/welcome#blocks');
  await page.getByRole('img', { name: 'A green rectangle drawn at the workshop.' }).waitFor();

  // Up and Down, no JavaScript needed (the buttons are forms).
  const labels = async () => page.locator('.block-list > li > strong').allInnerTexts();
  const before = await labels();
  await page.getByRole('button', { name: new RegExp(`^Move up\\W+block ${before.length}, Picture$`) }).click();
  await page.waitForURL(/#block-edit-/);
  expect(await labels()).toEqual([...before.slice(0, -2), 'Picture', before.at(-2)]);
  await axeClean(page, 'lesson editor with blocks');
  await screenshot(page, 'authoring-lesson');

  // The check block form.
  await page.goto(harness.url('/author/tiny-course/v/2/m/first-steps/l/check/blocks/0/edit'));
  await axeClean(page, 'check block form');
  await screenshot(page, 'authoring-check-form');

  // The preview in every theme.
  await page.goto(harness.url('/author/tiny-course/v/2/m/first-steps/l/welcome'));
  for (const theme of THEMES) {
    await app.services.users.updateUserPreferences(writer.id, { theme });
    await page.reload();
    await axeClean(page, `lesson editor, ${theme}`);
    await page.locator('#preview').screenshot({ path: path.join(PROJECT_ROOT, 'test', 'artifacts', `authoring-preview-${theme}.png`) });
  }
  expect(takeBrowserProblems(page)).toEqual([]);
});

test('two people save the same lesson: the second sees both texts', async () => {
  const app = harness.app;
  const course = await app.services.courses.getCourseBySlug('tiny-course');
  const team = await app.services.authoring.getAuthoringCourse({ id: course?.id ?? '' });
  const writer = team.team.find((m) => m.role === 'co-facilitator');
  const trainerMember = team.team.find((m) => m.role === 'trainer');
  if (!writer || !trainerMember) throw new Error('team missing');
  const other = await app.createUser({ roles: ['co-facilitator'], name: 'Sam Second' });
  await app.services.authoring.addTeamMember({ id: trainerMember.userId, roles: ['trainer'] }, course?.id ?? '', { email: other.email, role: 'co-facilitator', livedExperience: false });
  const page = await harness.newPage();
  await signIn(page, other.email, other.password);
  await page.goto(harness.url('/author/tiny-course/v/2/m/first-steps/l/check'));
  // Someone else saves first.
  const start = await app.services.authoring.getLesson(course?.id ?? '', 2, 'first-steps', 'check', writer.userId);
  await app.services.authoring.saveLesson(course?.id ?? '', 2, 'first-steps', 'check', { title: 'Check', text: `${start.lesson.text}\n\nTheir sentence.`, baseHash: start.lesson.hash }, writer.userId);
  // This page does not autosave here: its script is stopped by saving by hand at once.
  await page.getByLabel('Lesson text').fill('My whole new text.');
  await page.getByRole('button', { name: 'Save the lesson' }).click();
  await page.getByRole('heading', { name: 'Someone else saved this lesson while you were writing' }).waitFor();
  expect(await page.getByLabel('Their text (read only)').inputValue()).toContain('Their sentence.');
  expect(await page.getByLabel('Lesson text').inputValue()).toBe('My whole new text.');
  await axeClean(page, 'conflict');
  await screenshot(page, 'authoring-conflict');
});
