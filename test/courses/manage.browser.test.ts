/**
 * Two-key publish in Chromium: a co-facilitator with lived experience submits a changed course's draft, comments
 * on a lesson and approves it; a trainer (in the low-sensory theme) replies, resolves the comment, approves and
 * publishes; then the history and a lesson's difference. Every page passes axe-core at every impact level;
 * screenshots go to test/artifacts/.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { createReviewRecords } from '../../server/courses/review-records';
import { axeScan, screenshot, signIn, startBrowserHarness, takeBrowserProblems, type BrowserHarness } from '../browser/support/browser';

let harness: BrowserHarness;
let work: string;
let courseId: string;

beforeAll(async () => {
  harness = await startBrowserHarness();
  work = await mkdtemp(path.join(os.tmpdir(), 'manage-browser-'));
  const courseDir = path.join(work, 'tiny-course');
  await cp(path.join(__dirname, 'fixtures', 'tiny-course'), courseDir, { recursive: true });
  courseId = (await harness.app.services.courseImport.importCourseFromDirectory(courseDir)).courseId ?? '';
  const courseFile = path.join(courseDir, 'course.md');
  await writeFile(
    courseFile,
    (await readFile(courseFile, 'utf8')).replace('estimatedMinutes: 5', 'estimatedMinutes: 10\nchanges: You said the course was too short, so we added a lesson.'),
  );
  const moduleFile = path.join(courseDir, '01-first-steps.md');
  await writeFile(moduleFile, (await readFile(moduleFile, 'utf8')).replace('Some **plain** text.', 'Some **clearer** text, written with parents.'));
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

async function check(page: Page, label: string, shot: string): Promise<void> {
  await axeScan(page, label, { everyImpact: true });
  await screenshot(page, shot);
}

async function submitAndWait(page: Page, button: string | RegExp, url = '**/manage/courses/tiny-course/review**'): Promise<void> {
  await Promise.all([page.waitForURL(url), page.getByRole('button', { name: button, exact: typeof button === 'string' }).first().click()]);
}

test('a co-facilitator and a trainer comment, both approve, and the draft is published', async () => {
  const records = createReviewRecords();
  const trainer = await harness.app.createUser({ roles: ['trainer'], name: 'Tara Trainer' });
  const coFacilitator = await harness.app.createUser({ roles: ['co-facilitator'], name: 'Casey Parent' });
  // Co-facilitators accept the co-production charter before the course pages (test/charter/charter.test.ts).
  await harness.app.services.charter.acceptCharter(coFacilitator, (await harness.app.services.charter.currentCharter()).version);
  await records.addTeamMemberIfAbsent(courseId, { userId: trainer.id, role: 'trainer', livedExperience: false }, null, new Date());
  await records.addTeamMemberIfAbsent(courseId, { userId: coFacilitator.id, role: 'co-facilitator', livedExperience: true }, trainer.id, new Date());
  await harness.app.services.users.updateUserPreferences(trainer.id, { theme: 'low-sensory' });

  const casey = await harness.newPage();
  await signIn(casey, coFacilitator.email, coFacilitator.password);
  await casey.goto(harness.url('/manage/courses/tiny-course'));
  await check(casey, 'course with a draft', 'review-course-draft');
  await Promise.all([casey.waitForURL('**/review'), casey.getByRole('link', { name: 'Go to the review of version 2' }).click()]);
  await check(casey, 'review before submitting', 'review-before-submit');
  await submitAndWait(casey, 'Submit version 2 for review');
  expect(await casey.getByRole('status').innerText()).toContain('Version 2 is submitted for review');

  await casey.getByLabel('New comment on “Welcome”').fill('Please say who wrote this lesson with us.');
  await submitAndWait(casey, 'Add comment');
  await submitAndWait(casey, 'Approve version 2 as co-facilitator with lived experience');
  expect(await casey.locator('main').innerText()).toContain('An approval from a trainer on the authoring team.');
  await check(casey, 'review after one approval', 'review-one-key');

  const tara = await harness.newPage();
  await signIn(tara, trainer.email, trainer.password);
  await tara.goto(harness.url('/manage/courses/tiny-course/review'));
  expect(await tara.locator('html').getAttribute('class')).toContain('theme-low-sensory');
  await tara.getByLabel('Reply to Casey Parent').fill('Good idea: I have added a line.');
  await submitAndWait(tara, 'Send reply');
  await submitAndWait(tara, /^Mark this comment resolved/);
  expect(await tara.locator('main').innerText()).toContain('Resolved by Tara Trainer');
  await submitAndWait(tara, 'Approve version 2 as trainer');
  await check(tara, 'review with both keys (low sensory)', 'review-two-keys-low-sensory');
  await Promise.all([tara.waitForURL('**/manage/courses/tiny-course'), tara.getByRole('button', { name: 'Publish version 2' }).click()]);
  expect(await tara.getByRole('status').innerText()).toContain('Version 2 of "A tiny course" is published');
  expect((await harness.app.services.courses.getCourseBySlug('tiny-course'))?.publishedVersion).toBe(2);
  await check(tara, 'course after publishing (low sensory)', 'review-published-low-sensory');

  await Promise.all([tara.waitForURL('**/history'), tara.getByRole('link', { name: /^History: who wrote/ }).click()]);
  expect(await tara.locator('main').innerText()).toContain('Casey Parent as co-facilitator with lived experience');
  await check(tara, 'history (low sensory)', 'review-history-low-sensory');
  await casey.goto(harness.url('/manage/courses/tiny-course/history/lessons?lesson=first-steps%2Fwelcome&from=1&to=2'));
  expect(await casey.locator('.lesson-diff').innerText()).toContain('clearer');
  await check(casey, 'lesson difference', 'review-lesson-diff');
  await tara.goto(harness.url('/manage/courses/tiny-course/history/lessons?lesson=first-steps%2Fwelcome&from=1&to=2'));
  await check(tara, 'lesson difference (low sensory)', 'review-lesson-diff-low-sensory');

  expect(takeBrowserProblems(casey)).toEqual([]);
  expect(takeBrowserProblems(tara)).toEqual([]);
}, 120_000);
