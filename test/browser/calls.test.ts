/**
 * Calls for contributions in Chromium: the demo trainer opens a call on the shipped course and makes a personal
 * link; a parent carer with no account answers through it (keyboard only, in the low-sensory theme too); the demo
 * co-facilitator answers signed in; the trainer reads both answers and puts one in the draft. Every page passes
 * axe-core at every impact level; screenshots go to test/artifacts/.
 */
import path from 'node:path';
import { Types } from 'mongoose';
import { Course } from '../../server/courses/model';
import { signIn, startBrowserHarness, takeBrowserProblems, type BrowserHarness, checkPage, chooseTheme } from './support/browser';

const DEMO_PASSWORD = 'demo-password-for-the-calls';
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const SLUG = 'person-centred-support';

let harness: BrowserHarness;

beforeAll(async () => {
  harness = await startBrowserHarness();
  await harness.app.seedDemoAccounts(DEMO_PASSWORD);
  const { services } = harness.app;
  expect((await services.courseImport.importCourses({ dir: path.join(PROJECT_ROOT, 'content', 'courses') })).ok).toBe(true);
  const ids = await Promise.all(['trainer@example.org', 'cofacilitator@example.org'].map(async (email) => (await services.users.findUserIdsByEmails([email])).get(email)));
  const charter = await services.charter.currentCharter();
  await services.charter.acceptCharter({ id: ids[1] ?? '', email: 'cofacilitator@example.org', roles: ['co-facilitator'] }, charter.version);
  const addedAt = new Date();
  await Course.updateOne(
    { slug: SLUG },
    {
      $set: {
        authoringTeam: [
          { user: new Types.ObjectId(ids[0]), role: 'trainer', livedExperience: false, addedAt },
          { user: new Types.ObjectId(ids[1]), role: 'co-facilitator', livedExperience: true, addedAt },
        ],
      },
    },
  );
}, 120_000);

afterAll(async () => {
  await harness?.stop();
});

test('a call is opened, answered through a personal link and signed in, and an answer goes into the draft', async () => {
  const trainer = await harness.newPage();
  await signIn(trainer, 'trainer@example.org', DEMO_PASSWORD);
  await trainer.goto(`/manage/courses/${SLUG}/calls`);
  await checkPage(trainer, 'calls-course-empty');
  await trainer.getByLabel('Module').selectOption({ label: 'Working with parent carers as equal partners' });
  await trainer.getByLabel('The question, in plain words').fill('What must every member of staff know on their first day with your child?');
  const closing = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
  await trainer.getByLabel('Closing date').fill(closing);
  await Promise.all([trainer.waitForURL(/\/calls\/[a-f0-9]{24}$/), trainer.getByRole('button', { name: 'Open the call' }).click()]);
  await checkPage(trainer, 'calls-call-open');

  await trainer.getByLabel('Their name').fill('Sam Jones');
  await trainer.getByRole('group', { name: 'Who are they?' }).getByLabel('A parent carer').check();
  await Promise.all([trainer.waitForEvent('load'), trainer.getByRole('button', { name: 'Make the link' }).click()]);
  const callPath = new URL(trainer.url()).pathname;
  const link = await trainer.getByLabel('Personal link for Sam Jones').inputValue();
  expect(link).toMatch(/\/call-link\/[A-Za-z0-9_-]{40,}$/);
  await checkPage(trainer, 'calls-link-made');

  // A parent carer with no account, keyboard only, in the low-sensory theme.
  const carer = await harness.newPage();
  await chooseTheme(carer, 'Low sensory');
  await carer.goto(new URL(link).pathname);
  await carer.getByRole('heading', { level: 1, name: 'Answer a question' }).waitFor();
  await checkPage(carer, 'calls-answer-by-link-low-sensory');
  await carer.getByLabel('Your answer in writing').focus();
  await carer.keyboard.type('That he needs to know what happens next. Show him the picture timetable first.');
  await carer.getByLabel('Your name, or the name you choose').focus();
  await carer.keyboard.type('Sam Jones');
  await carer.getByLabel('The team may read my answer').focus();
  await carer.keyboard.press('Space');
  await carer.getByRole('button', { name: 'Send my answer' }).focus();
  await Promise.all([carer.waitForEvent('load'), carer.keyboard.press('Enter')]);
  await carer.getByText('Thank you. Your answer is saved').waitFor();
  await checkPage(carer, 'calls-answer-sent-low-sensory');

  // The demo co-facilitator answers signed in, and forgets the permission box first.
  const coFacilitator = await harness.newPage();
  await signIn(coFacilitator, 'cofacilitator@example.org', DEMO_PASSWORD);
  await coFacilitator.goto('/calls');
  await checkPage(coFacilitator, 'calls-open-for-co-facilitator');
  await coFacilitator.getByRole('link', { name: /What must every member of staff know/ }).click();
  await coFacilitator.getByLabel('Your answer in writing').fill('Ask how the child says no, before anything else.');
  await coFacilitator.getByRole('group', { name: 'How do you want to be named in the course?' }).getByLabel('A different name that I choose').check();
  await coFacilitator.getByLabel('Your name, or the name you choose').fill('River');
  await Promise.all([coFacilitator.waitForEvent('load'), coFacilitator.getByRole('button', { name: 'Send my answer' }).click()]);
  await coFacilitator.getByRole('heading', { name: 'There is a problem' }).waitFor();
  expect(takeBrowserProblems(coFacilitator)).toEqual([expect.stringContaining('422')]);
  await checkPage(coFacilitator, 'calls-answer-missing-permission');
  expect(await coFacilitator.getByLabel('Your answer in writing').inputValue()).toBe('Ask how the child says no, before anything else.');
  await coFacilitator.getByLabel('The team may read my answer').check();
  await Promise.all([coFacilitator.waitForEvent('load'), coFacilitator.getByRole('button', { name: 'Send my answer' }).click()]);
  await coFacilitator.getByText('Thank you. Your answer is saved').waitFor();

  // The trainer reads both and puts the parent carer's answer into the draft.
  await trainer.goto(callPath);
  await trainer.getByText('Credit as chosen: Sam.').waitFor();
  await trainer.getByText('Credit as chosen: River').waitFor();
  await checkPage(trainer, 'calls-answers');
  const first = trainer.locator('article', { hasText: 'Sam Jones (parent carer' });
  await first.getByText('Use this answer in the draft').click();
  await first.getByLabel('Add it at the end of the lesson').selectOption({ index: 0 });
  await Promise.all([trainer.waitForEvent('load'), first.getByRole('button', { name: 'Add it to the draft' }).click()]);
  await trainer.getByText(/The answer is now a block at the end of the lesson, in draft version \d+/).waitFor();
  await checkPage(trainer, 'calls-answer-used');
}, 180_000);
