/**
 * Credit, consent and the charter in real Chromium, through the forms as people use them: the demo co-facilitator
 * is asked to accept the charter before the authoring pages; the demo trainer records their contribution; they
 * choose a pseudonym on their own page; the learner sees it on the course and module pages (in the low-sensory and
 * high-contrast themes too) and the public verify page shows it; the admin publishes a new charter version.
 * Every page passes axe-core with no violation at any impact level; screenshots go to test/artifacts/.
 */
import { Types } from 'mongoose';
import type { Page } from 'playwright-core';
import { Course } from '../../server/courses/model';
import { axeScan, screenshot, signIn, startBrowserHarness, takeBrowserProblems, type BrowserHarness } from '../browser/support/browser';
import { importFixtureCourse, type FixtureCourse } from '../learning/support/fixture-course';

const PASSWORD = 'demo-password-for-credit-and-charter';
let harness: BrowserHarness;
let course: FixtureCourse;

beforeAll(async () => {
  harness = await startBrowserHarness();
  await harness.app.seedDemoAccounts(PASSWORD);
  course = await importFixtureCourse(harness.app.services);
  const trainer = await harness.app.services.users.findSignInCandidate('trainer@example.org');
  await Course.updateOne(
    { _id: new Types.ObjectId(course.courseId) },
    { $push: { authoringTeam: { user: new Types.ObjectId(trainer?.user.id), role: 'trainer', livedExperience: false, addedAt: new Date() } } },
  );
}, 120_000);

afterAll(async () => {
  await course?.cleanUp();
  await harness?.stop();
});

/** axe at every impact level (the shared scan fails on serious and critical; this page must have none at all). */
async function check(page: Page, name: string): Promise<void> {
  await axeScan(page, name);
  const violations = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((result) =>
    result.violations.map((violation) => violation.impact + ' ' + violation.id + ': ' + violation.nodes.map((node) => JSON.stringify(node.target)).join(', ')))`)) as string[];
  expect({ page: name, violations }).toEqual({ page: name, violations: [] });
  await screenshot(page, `credits-${name}`);
}

it('asks the co-facilitator to accept the charter, then lets them in', async () => {
  const page = await harness.newPage();
  await signIn(page, 'cofacilitator@example.org', PASSWORD);
  await page.goto('/manage/courses');
  await page.waitForURL('**/charter?next=*');
  await check(page, 'charter-accept');
  await Promise.all([page.waitForURL('**/manage/courses'), page.getByRole('button', { name: 'I have read it and I accept version 1' }).click()]);
  await page.getByText('You accepted version 1 of the charter').waitFor();
  expect(takeBrowserProblems(page)).toEqual([]);
});

it('the trainer records a contribution; the co-facilitator chooses a pseudonym; learners and the public see it', async () => {
  const trainer = await harness.newPage();
  await signIn(trainer, 'trainer@example.org', PASSWORD);
  await trainer.goto(`/manage/credits/${course.slug}`);
  await check(trainer, 'manage');
  await trainer.getByRole('button', { name: 'Record this contribution' }).click();
  await trainer.locator('.error-summary').waitFor();
  await check(trainer, 'manage-errors');
  await trainer.getByLabel('Their email address').fill('cofacilitator@example.org');
  await trainer.getByLabel('Module').selectOption('basics');
  await trainer.getByLabel('Co-author').check();
  await trainer.getByLabel('Artwork').check();
  await trainer.getByLabel('How they describe themselves').fill('young autistic co-facilitator');
  await trainer.getByRole('button', { name: 'Record this contribution' }).click();
  await trainer.getByText('The contribution is recorded.').waitFor();
  await check(trainer, 'manage-recorded');
  expect(takeBrowserProblems(trainer)).toEqual([expect.stringContaining('status of 422')]);

  const person = await harness.newPage();
  await signIn(person, 'cofacilitator@example.org', PASSWORD);
  await person.goto('/account');
  await person.getByRole('link', { name: 'See and change how I am credited' }).click();
  await check(person, 'mine-waiting');
  await person.getByRole('link', { name: 'Choose how I am credited on The basics' }).click();
  await check(person, 'choose');
  await person.getByLabel('A different name that I choose').check();
  await person.getByRole('button', { name: 'Save how I am credited' }).click();
  await person.locator('.error-summary').waitFor();
  expect(await person.locator('.error-summary').innerText()).toContain('Write the name you want to be shown');
  await check(person, 'choose-errors');
  await person.getByLabel('The different name').fill('Sunny');
  await person.getByLabel('I agree to be credited this way').check();
  await person.getByRole('button', { name: 'Save how I am credited' }).click();
  await person.getByText('You are now shown as: Sunny.').waitFor();
  await check(person, 'mine-chosen');

  const learner = await harness.newPage();
  await signIn(learner, 'learner@example.org', PASSWORD);
  await learner.goto(`/courses/${course.slug}`);
  await learner.getByText('Co-production: written with Sam (parent carer) and Sunny (young autistic co-facilitator).').waitFor();
  await check(learner, 'course-page');
  await learner.getByRole('link', { name: '1. The basics' }).click();
  await learner.getByRole('heading', { name: 'How this module was made' }).waitFor();
  expect(await learner.locator('main').innerText()).toContain('Sunny, young autistic co-facilitator (co-author, artwork)');
  await check(learner, 'module-page');
  const learnerId = (await harness.app.services.users.findSignInCandidate('learner@example.org'))?.user.id as string;
  for (const theme of ['low-sensory', 'high-contrast'] as const) {
    await harness.app.services.users.updateUserPreferences(learnerId, { theme });
    await learner.reload();
    expect(await learner.evaluate('document.documentElement.className')).toContain(theme);
    await check(learner, `module-page-${theme}`);
  }

  const certificate = await harness.app.services.certificates.issueCertificate({
    enrolmentId: new Types.ObjectId().toString(),
    learnerId,
    learnerName: 'Lee Learner',
    courseId: course.courseId,
    courseSlug: course.slug,
    courseTitle: 'Learning fixture course',
    version: 1,
    completedAt: new Date(),
  });
  const visitor = await harness.newPage();
  await visitor.goto(`/certificates/verify/${certificate.verificationCode}`);
  expect(await visitor.locator('main').innerText()).toContain('Sunny, young autistic co-facilitator (co-author, artwork)');
  await check(visitor, 'verify');

  // Withdrawal: the name leaves the verify page at once.
  await person.getByRole('link', { name: 'Change how I am credited on The basics' }).click();
  await person.getByRole('button', { name: 'Stop showing my name on this module' }).click();
  await person.getByText('You took back your consent.').waitFor();
  await visitor.reload();
  expect(await visitor.locator('main').innerText()).not.toContain('Sunny');
  expect(await visitor.locator('main').innerText()).toContain('A contributor who is not named');
  expect(takeBrowserProblems(person)).toEqual([expect.stringContaining('status of 422')]);
}, 240_000);

it('the admin publishes a new charter version, and sees its history', async () => {
  const admin = await harness.newPage();
  await signIn(admin, 'admin@example.org', PASSWORD);
  await admin.goto('/admin/charter');
  await check(admin, 'admin-charter');
  const text = admin.getByLabel('Charter text');
  await text.fill(`${await text.inputValue()}\n\n### We meet where it suits you\n\n- Online or in person.`);
  await admin.getByLabel('What changed, in a few words').fill('A new part on where we meet.');
  await admin.getByRole('button', { name: 'Publish as version 2' }).click();
  await admin.getByText('Version 2 of the charter is published.').waitFor();
  await admin.getByRole('link', { name: 'Version 1' }).click();
  await check(admin, 'admin-charter-version');
  expect(takeBrowserProblems(admin)).toEqual([]);

  const person = await harness.newPage();
  await signIn(person, 'cofacilitator@example.org', PASSWORD);
  await person.goto('/manage/courses');
  await person.waitForURL('**/charter?next=*');
  await person.getByText('A new part on where we meet.').waitFor();
  await check(person, 'charter-new-version');
}, 120_000);
