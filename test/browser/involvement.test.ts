/**
 * Paid involvement in Chromium, from the demo seed: the demo co-facilitator sees their log and totals, logs
 * involvement with JavaScript off (a mistake first: the form comes back with what they typed), adds a receipt;
 * the demo trainer checks and approves it; the admin adds rates, marks it paid and looks at the finance period.
 * A new co-facilitator sees the note about benefits first. Every page passes axe-core at every impact level, in the
 * standard theme and (the co-facilitator's pages) the low-sensory theme; screenshots go to test/artifacts/.
 */
import sharp from 'sharp';
import path from 'node:path';
import { seedDemoInvolvement } from '../../server/involvement/seed';
import { screenshot, signIn, startBrowserHarness, type BrowserHarness, checkPage, chooseTheme } from './support/browser';

const DEMO_PASSWORD = 'demo-password-for-involvement';
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

let harness: BrowserHarness;

function isoDaysAgo(days: number): string {
  const at = new Date(Date.now() - days * 24 * 60 * 60 * 1000);
  return at.toISOString().slice(0, 10);
}

beforeAll(async () => {
  harness = await startBrowserHarness();
  await harness.app.seedDemoAccounts(DEMO_PASSWORD);
  const { services } = harness.app;
  const report = await services.courseImport.importCourses({ dir: path.join(PROJECT_ROOT, 'content', 'courses') });
  expect(report.ok).toBe(true);
  await expect(seedDemoInvolvement(services)).resolves.toEqual({ entries: 2 });
  // A second call adds nothing.
  await expect(seedDemoInvolvement(services)).resolves.toEqual({ entries: 0 });
}, 120_000);

afterAll(async () => {
  await harness?.stop();
});

describe('paid involvement', () => {
  let entryUrl = '';

  it('the demo co-facilitator sees the seeded log and totals, in both themes', async () => {
    const page = await harness.newPage();
    await signIn(page, 'cofacilitator@example.org', DEMO_PASSWORD);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Involvement' }).click();
    await page.getByRole('heading', { level: 1, name: 'Involvement' }).waitFor();
    const log = page.getByRole('table', { name: 'Your involvement, newest first' });
    await expect(log.getByRole('row').count()).resolves.toBe(3);
    await expect(log.getByText('Approved, payment to come').count()).resolves.toBe(1);
    await expect(log.getByText('Waiting for approval').count()).resolves.toBe(1);
    await checkPage(page, 'involvement-home');
    await chooseTheme(page, 'Low sensory');
    await page.goto('/involvement');
    await checkPage(page, 'involvement-home-low-sensory');
    await page.goto('/involvement/entries/new');
    await checkPage(page, 'involvement-log-form-low-sensory');
    await chooseTheme(page, 'Standard');
  });

  it('the co-facilitator logs involvement with JavaScript off, fixes a mistake, and adds a receipt', async () => {
    const context = await harness.browser.newContext({ baseURL: harness.baseUrl, javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      await signIn(page, 'cofacilitator@example.org', DEMO_PASSWORD);
      await page.goto('/involvement/entries/new');
      await page.getByLabel('Date of the work').fill(isoDaysAgo(1));
      await page.getByLabel('Recording', { exact: true }).check();
      await page.getByLabel('Hours', { exact: true }).fill('3');
      await page.getByLabel('Minutes', { exact: true }).fill('15');
      await page.getByLabel('Travel, in pounds').fill('twelve');
      await page.getByLabel('What the travel was').fill('Train to the studio');
      await page.getByRole('button', { name: 'Log involvement' }).click();
      await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
      await expect(page.getByLabel('What the travel was').inputValue()).resolves.toBe('Train to the studio');
      await expect(page.getByLabel('Hours', { exact: true }).inputValue()).resolves.toBe('3');
      await screenshot(page, 'involvement-log-form-error-no-js');
      await page.getByLabel('Travel, in pounds').fill('12.40');
      await page.getByRole('button', { name: 'Log involvement' }).click();
      await page.getByRole('heading', { level: 1, name: /Involvement on/ }).waitFor();
      entryUrl = new URL(page.url()).pathname;
      // 3 hours 15 minutes at £20.00 an hour is £65.00; the half-day band (3 hours or more) pays £75.00. Plus £12.40.
      await expect(page.getByText('£75.00 (half-day rate)').count()).resolves.toBe(1);
      await expect(page.getByText('£87.40').count()).resolves.toBe(1);

      const receipt = await sharp({ create: { width: 60, height: 40, channels: 3, background: { r: 250, g: 250, b: 240 } } }).png().toBuffer();
      await page.getByLabel('Receipt', { exact: true }).setInputFiles({ name: 'train ticket.png', mimeType: 'image/png', buffer: receipt });
      await page.getByRole('button', { name: 'Add the receipt' }).click();
      await page.getByText('The receipt is added.').waitFor();
      await expect(page.getByRole('link', { name: 'Download train ticket.png' }).count()).resolves.toBe(1);
      await screenshot(page, 'involvement-entry-no-js');
    } finally {
      await context.close();
    }
    const page = await harness.newPage();
    await signIn(page, 'cofacilitator@example.org', DEMO_PASSWORD);
    await page.goto(entryUrl);
    await checkPage(page, 'involvement-entry-co-facilitator');
  });

  it('the demo trainer checks and approves it, with the keyboard', async () => {
    const page = await harness.newPage();
    await signIn(page, 'trainer@example.org', DEMO_PASSWORD);
    await page.goto('/involvement/approvals');
    const waiting = page.getByRole('table', { name: 'Entries waiting for approval' });
    await expect(waiting.getByRole('row').count()).resolves.toBe(3);
    await checkPage(page, 'involvement-approvals');
    await page.goto(entryUrl);
    await checkPage(page, 'involvement-entry-trainer');
    await page.getByRole('button', { name: 'Approve this entry' }).focus();
    await page.keyboard.press('Enter');
    await page.getByText('The entry is approved.').waitFor();
    await checkPage(page, 'involvement-entry-approved');
  });

  it('the admin adds rates (a mistake first), marks the entry paid and looks at the period for finance', async () => {
    const page = await harness.newPage();
    await signIn(page, 'admin@example.org', DEMO_PASSWORD);
    await page.goto('/involvement/rates');
    await checkPage(page, 'involvement-rates');
    await page.getByLabel('Start date').fill(isoDaysAgo(-30));
    await page.getByLabel('An hour, in pounds').fill('21.5');
    await page.getByLabel('A half day (3 hours or more), in pounds').fill('eighty');
    await page.getByLabel('A day (6 hours or more), in pounds').fill('150');
    await page.getByRole('button', { name: 'Save the new rates' }).click();
    await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
    await checkPage(page, 'involvement-rates-error', { allowProblem: (problem) => problem.includes('status of 422') });
    await page.getByLabel('A half day (3 hours or more), in pounds').fill('80');
    await page.getByRole('button', { name: 'Save the new rates' }).click();
    await page.getByText('The new rates are saved.').waitFor();
    await expect(page.getByRole('cell', { name: '£21.50' }).count()).resolves.toBe(1);

    await page.goto(entryUrl);
    await page.getByRole('button', { name: 'Mark as paid' }).click();
    await page.getByText('The entry is marked as paid.').waitFor();
    await checkPage(page, 'involvement-entry-paid');

    await page.goto('/involvement/finance');
    await page.getByLabel('First day').fill(isoDaysAgo(30));
    await page.getByLabel('Last day').fill(isoDaysAgo(0));
    await page.getByRole('button', { name: 'Show this period' }).click();
    await page.getByRole('heading', { name: 'This period' }).waitFor();
    // The seeded approved workshop (£56.40) is still to pay; the recording (£87.40) is paid.
    const period = page.locator('dl');
    await expect(period.getByText('£56.40').count()).resolves.toBe(1);
    await expect(period.getByText('£87.40').count()).resolves.toBe(1);
    await checkPage(page, 'involvement-finance');
  });

  it('a new co-facilitator reads the note about benefits before a first claim', async () => {
    const person = await harness.app.createUser({ roles: ['co-facilitator'], name: 'Nia Newcomer' });
    const page = await harness.newPage();
    await signIn(page, person.email, person.password);
    await page.goto('/involvement');
    await page.getByRole('heading', { level: 1, name: 'How you are paid' }).waitFor();
    await checkPage(page, 'involvement-payment-note');
    await page.getByLabel('A voucher instead of money').check();
    await page.getByRole('button', { name: 'Save my choice' }).click();
    await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
    await expect(page.getByLabel('A voucher instead of money').isChecked()).resolves.toBe(true);
    await checkPage(page, 'involvement-payment-note-error', { allowProblem: (problem) => problem.includes('status of 422') });
    await page.getByLabel('I have read the note about payments and benefits').check();
    await page.getByRole('button', { name: 'Save my choice' }).click();
    await page.getByText('Your payment choice is saved.').waitFor();
  });
});
