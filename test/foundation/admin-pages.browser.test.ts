/**
 * The admin and invitation journeys in real Chromium, through the forms as people use them (the CSV goes
 * through the file input, so the multipart CSRF check is the browser's): every page passes axe, and screenshots
 * go to test/artifacts/.
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { axeScan, screenshot, signIn, startBrowserHarness, takeBrowserProblems, type BrowserHarness } from '../browser/support/browser';

const PASSWORD = 'demo-password-for-admin-pages';
let harness: BrowserHarness;

beforeAll(async () => {
  harness = await startBrowserHarness();
  await harness.app.seedDemoAccounts(PASSWORD);
});

afterAll(async () => {
  await harness?.stop();
});

async function checkPage(page: Parameters<typeof axeScan>[0], name: string): Promise<void> {
  await axeScan(page, name);
  await screenshot(page, `foundation-admin-pages-${name}`);
}

it('an admin invites one person, then many from a CSV, changes roles and looks after a team', async () => {
  const page = await harness.newPage();
  await signIn(page, 'admin@example.org', PASSWORD);

  await page.goto('/admin/people/invite');
  await checkPage(page, 'invite');
  await page.getByRole('button', { name: 'Send invitation', exact: true }).click();
  await page.locator('.error-summary').waitFor();
  await checkPage(page, 'invite-errors');
  // The browser reports the form's 422 answer as a failed load: that one is expected.
  expect(takeBrowserProblems(page)).toEqual([expect.stringContaining('status of 422')]);

  await page.getByLabel('Email address').fill('robin@example.org');
  await page.getByRole('group', { name: 'Roles' }).getByLabel('Learner', { exact: true }).check();
  await page.getByLabel('Team (optional)').selectOption({ label: 'Demo team' });
  await page.getByRole('button', { name: 'Send invitation', exact: true }).click();
  await page.getByText('We have sent an invitation to robin@example.org.').waitFor();

  const csv = path.join(os.tmpdir(), `coproduce-people-${process.pid}.csv`);
  await writeFile(csv, 'email,roles,team\nalex.two@example.org,learner,Demo team\nnot-an-email,learner,\n');
  await page.getByLabel('CSV file').setInputFiles(csv);
  await page.getByRole('button', { name: 'Upload and send invitations' }).click();
  await page.getByText('1 sent. 1 not sent.').waitFor();
  await checkPage(page, 'invite-results');

  await page.goto('/admin/people?q=robin');
  await page.getByRole('link', { name: '(not given yet)' }).click();
  await page.getByRole('heading', { name: 'robin@example.org' }).waitFor();
  await checkPage(page, 'person');
  await page.getByRole('group', { name: 'Roles' }).getByLabel('Co-facilitator', { exact: true }).check();
  await page.getByRole('button', { name: 'Save roles' }).click();
  await page.getByText('now has: Learner, Co-facilitator').waitFor();

  await page.goto('/admin/teams');
  await page.getByRole('link', { name: 'Demo team' }).click();
  await page.getByRole('heading', { name: 'Demo team' }).waitFor();
  await checkPage(page, 'team');
  expect(await page.getByText('robin@example.org').count()).toBe(1);

  expect(takeBrowserProblems(page)).toEqual([]);
});

it('an invited person follows the emailed link and sets up their account', async () => {
  const mail = await harness.app.latestMail('robin@example.org');
  const link = mail.links.find((href) => href.includes('/invitations/')) ?? '';
  const page = await harness.newPage();
  await page.goto(new URL(link).pathname);
  await checkPage(page, 'accept-invitation');
  await page.getByLabel('Your name').fill('Robin Example');
  await page.getByLabel('Choose a password').fill('robin long password');
  await page.getByLabel('Type the password again').fill('robin long password');
  await page.getByRole('button', { name: 'Create my account' }).click();
  await page.getByText('Signed in as Robin Example').waitFor();
  expect(takeBrowserProblems(page)).toEqual([]);
});
