/**
 * The feedback loop in Chromium with the demo accounts: the demo learner flags a lesson (two clicks) and gives
 * end-of-module feedback; the demo trainer triages both (one declined with its reason, one into a revision, which
 * opens version 2 as a draft); the version is published; the demo co-facilitator comments and writes the "you
 * said, we did" note; the learner sees it on the dashboard and opens the changed lesson of the new version. Every
 * page passes axe-core at every impact level (the board, a lesson's flag form and the dashboard also in the
 * low-sensory and high-contrast themes); screenshots go to test/artifacts/.
 * Drafts: authoring's startDraft is faked by importing the fixture's version 2 as a draft; publishing goes
 * through courses.publishVersion (two-key publish is another branch's work).
 */
import { signIn, startBrowserHarness, type BrowserHarness, checkPage } from './support/browser';
import { importFixtureCourse, type FixtureCourse } from '../learning/support/fixture-course';
import mongoose, { Types } from 'mongoose';

const DEMO_PASSWORD = 'demo-password-for-the-feedback-loop';
let harness: BrowserHarness;
let course: FixtureCourse;

beforeAll(async () => {
  harness = await startBrowserHarness({
    app: { drafts: { startDraft: async () => ({ version: await course.draftVersion2() }) } },
  });
  await harness.app.seedDemoAccounts(DEMO_PASSWORD);
  const { services } = harness.app;
  course = await importFixtureCourse(services);
  const ids = await services.users.findUserIdsByEmails(['learner@example.org', 'cofacilitator@example.org']);
  const learnerId = ids.get('learner@example.org');
  const cofacId = ids.get('cofacilitator@example.org');
  if (!learnerId || !cofacId) throw new Error('no demo accounts');
  await services.learning.enrol({ id: learnerId, name: 'Lee Learner' }, course.slug);
  // The co-facilitator joins the course's authoring team (the authoring feature's work; its field set directly).
  await mongoose.connection.db
    ?.collection('courses')
    .updateOne({ _id: new Types.ObjectId(course.courseId) }, { $push: { authoringTeam: { user: new Types.ObjectId(cofacId), role: 'co-facilitator', livedExperience: true, addedAt: new Date(), addedBy: null } } } as never);
}, 120_000);

afterAll(async () => {
  await course?.cleanUp();
  await harness?.stop();
});


describe('the feedback loop in the browser', () => {
  it('goes from a learner\'s feedback to a published change and back to the learner', async () => {
    const learner = await harness.newPage();
    await signIn(learner, 'learner@example.org', DEMO_PASSWORD);
    await learner.goto(`/learn/${course.slug}/basics/welcome`);
    // Two clicks: open the disclosure, press the button (the note is optional).
    await learner.getByText('Something not right in this lesson? Tell us').click();
    await learner.getByLabel(/What was the problem/).fill('The second sentence is hard to follow.');
    await checkPage(learner, 'feedback-lesson-flag-open');
    await Promise.all([learner.waitForURL(/\/welcome$/), learner.getByRole('button', { name: 'This was unclear' }).click()]);
    await learner.getByText('Your trainers will look at what you told us').waitFor();

    await learner.goto(`/learn/${course.slug}/basics/reflect`);
    await learner.getByRole('link', { name: 'Give feedback on this module' }).click();
    await learner.getByRole('heading', { level: 1, name: /Your feedback on The basics/ }).waitFor();
    await checkPage(learner, 'feedback-module-form');
    await learner.getByRole('group', { name: 'How useful was this module?' }).getByLabel('4').check();
    await learner.getByRole('group', { name: /before the module/ }).getByLabel('2', { exact: true }).check();
    await learner.getByRole('group', { name: 'How confident do you feel now?' }).getByLabel('4').check();
    await learner.getByLabel('What should change?').fill('Add a video about the reflection.');
    await Promise.all([learner.waitForURL(/\/modules\/basics$/), learner.getByRole('button', { name: 'Send my feedback' }).click()]);
    await learner.getByText('Thank you. Your feedback is saved.').waitFor();
    await checkPage(learner, 'feedback-module-page-before');

    const trainer = await harness.newPage();
    await signIn(trainer, 'trainer@example.org', DEMO_PASSWORD);
    await trainer.goto('/feedback');
    await checkPage(trainer, 'feedback-courses');
    await trainer.getByRole('link', { name: 'Learning fixture course' }).click();
    await trainer.getByRole('heading', { level: 1, name: /Feedback: Learning fixture course/ }).waitFor();
    await checkPage(trainer, 'feedback-board-new');
    // The module feedback: not changed, with the reason.
    await trainer.getByRole('link', { name: 'Feedback on the module' }).click();
    await checkPage(trainer, 'feedback-item');
    await trainer.getByLabel('Not changed').check();
    await trainer.getByLabel('The reason').fill('A video is planned for next year with the whole course.');
    await Promise.all([trainer.waitForURL(/\/items\//), trainer.getByRole('button', { name: 'Save the decision' }).click()]);
    await trainer.getByText('The feedback is now: Not changed.').waitFor();
    // The flag goes into a revision.
    await trainer.getByRole('link', { name: /Feedback: Learning fixture course/ }).click();
    await trainer.getByLabel(/Include in a new revision/).check();
    await Promise.all([trainer.waitForURL(/\/revisions\//), trainer.getByRole('button', { name: 'Open a revision with the ticked feedback' }).click()]);
    await trainer.getByText('Version 2 is open as a draft').waitFor();
    await checkPage(trainer, 'feedback-revision-draft');
    const revisionPath = new URL(trainer.url()).pathname;

    // The draft is edited and approved elsewhere (authoring); here it is published.
    await harness.app.services.courses.publishVersion(course.courseId, 2);

    const cofac = await harness.newPage();
    await signIn(cofac, 'cofacilitator@example.org', DEMO_PASSWORD);
    await cofac.goto(`/feedback/courses/${course.courseId}`);
    await cofac.getByText('A learner (anonymous)').first().waitFor();
    expect(await cofac.getByText('Lee Learner').count()).toBe(0);
    await checkPage(cofac, 'feedback-board-cofacilitator');
    await cofac.goto(revisionPath);
    await checkPage(cofac, 'feedback-revision-note-form');
    await cofac.getByLabel('What we did, for the learners').fill('You said the welcome was hard to follow. We rewrote it and added a lesson on sensory breaks.');
    await cofac.getByRole('group', { name: 'The feedback this note answers' }).getByLabel(/Feedback on the module/).check();
    await cofac.getByRole('group', { name: 'Written together with' }).getByLabel('Tara Trainer').check();
    await Promise.all([cofac.waitForURL(/\/revisions\//), cofac.getByRole('button', { name: 'Publish the note and tell the learners' }).click()]);
    await cofac.getByText('The note is published.').waitFor();
    await checkPage(cofac, 'feedback-revision-note-published');

    await learner.goto('/dashboard');
    await learner.getByRole('heading', { name: 'You said, we did' }).waitFor();
    await learner.getByText('Not changed, because: A video is planned').waitFor();
    await checkPage(learner, 'feedback-dashboard-note');
    await learner.getByRole('link', { name: 'Extra' }).first().click();
    await learner.getByText('You are reading version 2').waitFor();
    await learner.getByText('A new lesson on sensory breaks.').waitFor();
    await checkPage(learner, 'feedback-changed-lesson');
    await learner.goto(`/courses/${course.slug}/modules/basics`);
    await learner.getByText('We rewrote it and added a lesson on sensory breaks').waitFor();
    await checkPage(learner, 'feedback-module-page-note');

    await trainer.goto(`/feedback/courses/${course.courseId}`);
    await checkPage(trainer, 'feedback-board-answered');

    // The same pages in the low-sensory and high-contrast themes.
    for (const theme of ['Low sensory', 'High contrast'] as const) {
      for (const page of [trainer, learner]) {
        await page.goto('/preferences');
        await page.getByRole('group', { name: 'Colours' }).getByLabel(theme, { exact: true }).check();
        await Promise.all([page.waitForURL('**/preferences'), page.getByRole('button', { name: 'Save preferences' }).click()]);
        await page.getByText('Your preferences are saved.').waitFor();
      }
      const name = theme.toLowerCase().replace(' ', '-');
      await trainer.goto(`/feedback/courses/${course.courseId}`);
      await checkPage(trainer, `feedback-board-${name}`);
      await learner.goto(`/learn/${course.slug}/basics/welcome`);
      await learner.getByText('Something not right in this lesson? Tell us').click();
      await checkPage(learner, `feedback-lesson-flag-${name}`);
      await learner.goto('/dashboard');
      await checkPage(learner, `feedback-dashboard-${name}`);
    }
  }, 240_000);
});
