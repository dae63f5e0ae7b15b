/**
 * Relaxing two-key publish for one course, in Chromium: an admin changes the setting on the review page, a
 * trainer's approval alone publishes the draft, and the learner's course page says plainly that it was published
 * without a co-facilitator's approval. Every page passes axe-core at every impact level (the learner's in the
 * high-contrast theme too); screenshots go to test/artifacts/.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createReviewRecords } from '../../server/courses/review-records';
import { axeScan, screenshot, signIn, startBrowserHarness, takeBrowserProblems, type BrowserHarness } from '../browser/support/browser';

let harness: BrowserHarness;
let work: string;
let courseId: string;

beforeAll(async () => {
  harness = await startBrowserHarness();
  work = await mkdtemp(path.join(os.tmpdir(), 'relaxed-browser-'));
  const courseDir = path.join(work, 'tiny-course');
  await cp(path.join(__dirname, '..', 'courses', 'fixtures', 'tiny-course'), courseDir, { recursive: true });
  courseId = (await harness.app.services.courseImport.importCourseFromDirectory(courseDir)).courseId ?? '';
  const moduleFile = path.join(courseDir, '01-first-steps.md');
  await writeFile(moduleFile, (await readFile(moduleFile, 'utf8')).replace('Some **plain** text.', 'Some **shorter** text.'));
  expect((await harness.app.services.courseImport.importCourseFromDirectory(courseDir)).outcome).toBe('draft-created');
}, 120_000);

afterAll(async () => {
  await harness?.stop();
  await rm(work, { recursive: true, force: true });
});

test('an admin relaxes the rule, a trainer publishes alone, and learners are told', async () => {
  const admin = await harness.app.createUser({ roles: ['admin'], name: 'Ada Admin' });
  const trainer = await harness.app.createUser({ roles: ['trainer'], name: 'Tara Trainer' });
  const learner = await harness.app.createUser({ roles: ['learner'], name: 'Lee Learner' });
  await createReviewRecords().addTeamMemberIfAbsent(courseId, { userId: trainer.id, role: 'trainer', livedExperience: false }, null, new Date());
  await harness.app.services.users.updateUserPreferences(learner.id, { theme: 'high-contrast' });

  const adminPage = await harness.newPage();
  await signIn(adminPage, admin.email, admin.password);
  await adminPage.goto(harness.url('/manage/courses/tiny-course/review'));
  await axeScan(adminPage, 'review as an admin', { everyImpact: true });
  await adminPage.getByLabel('A trainer\'s approval is enough (learners are told)').check();
  await Promise.all([adminPage.waitForURL('**/review'), adminPage.getByRole('button', { name: 'Save how this course is published' }).click()]);
  expect(await adminPage.getByRole('status').innerText()).toContain('A trainer\'s approval is now enough');
  await axeScan(adminPage, 'review after relaxing', { everyImpact: true });
  await screenshot(adminPage, 'review-relaxed-admin');

  const trainerPage = await harness.newPage({ width: 400, height: 800 });
  await signIn(trainerPage, trainer.email, trainer.password);
  await trainerPage.goto(harness.url('/manage/courses/tiny-course/review'));
  await Promise.all([trainerPage.waitForURL('**/review'), trainerPage.getByRole('button', { name: 'Submit version 2 for review' }).click()]);
  await Promise.all([trainerPage.waitForURL('**/review'), trainerPage.getByRole('button', { name: 'Approve version 2 as trainer' }).click()]);
  await axeScan(trainerPage, 'review, narrow, ready to publish', { everyImpact: true });
  await screenshot(trainerPage, 'review-relaxed-narrow');
  await Promise.all([trainerPage.waitForURL('**/manage/courses/tiny-course'), trainerPage.getByRole('button', { name: 'Publish version 2' }).click()]);
  expect((await harness.app.services.courses.getCourseBySlug('tiny-course'))?.publishedVersion).toBe(2);
  await trainerPage.goto(harness.url('/manage/courses/tiny-course/review'));
  expect(await trainerPage.locator('main').innerText()).toContain('There is no draft of this course to review.');
  await axeScan(trainerPage, 'review with no draft', { everyImpact: true });

  const learnerPage = await harness.newPage();
  await signIn(learnerPage, learner.email, learner.password);
  await learnerPage.goto(harness.url('/courses/tiny-course'));
  const note = learnerPage.getByRole('region', { name: 'How this version was approved' });
  expect(await note.innerText()).toContain("This version was published without a co-facilitator's approval.");
  await axeScan(learnerPage, 'learner course page (high contrast)', { everyImpact: true });
  await screenshot(learnerPage, 'review-relaxed-learner-high-contrast');

  expect(takeBrowserProblems(adminPage)).toEqual([]);
  expect(takeBrowserProblems(trainerPage)).toEqual([]);
  expect(takeBrowserProblems(learnerPage)).toEqual([]);
}, 120_000);
