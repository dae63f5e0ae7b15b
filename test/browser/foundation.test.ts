/**
 * The foundation in real Chromium: each demo person signs in, visits every page their navigation offers, and every
 * page passes an axe-core scan with no serious or critical problems. Preferences change how every page looks
 * (checked through computed styles), the skip link works from the keyboard, and screenshots of each page and
 * theme are saved under test/artifacts/ for people to look at.
 */
import type { Page } from 'playwright-core';
import { axeScan, screenshot, signIn, signOut, startBrowserHarness, takeBrowserProblems, type BrowserHarness } from './support/browser';

const DEMO_PASSWORD = 'demo-password-for-browser-tests';

const DEMO_PEOPLE = [
  { email: 'learner@example.org', role: 'learner', expectedNav: ['My courses', 'Course catalogue', 'My account', 'Preferences'] },
  { email: 'cofacilitator@example.org', role: 'co-facilitator', expectedNav: ['Courses to manage', 'Write courses', 'Questions to answer', 'Involvement', 'Feedback', 'My account', 'Preferences'] },
  { email: 'trainer@example.org', role: 'trainer', expectedNav: ['Courses to manage', 'Write courses', 'Involvement', 'Feedback', 'Completion', 'Assignments', 'People', 'Teams', 'My account', 'Preferences'] },
  { email: 'admin@example.org', role: 'admin', expectedNav: ['Write courses', 'Involvement', 'Completion', 'Assignments', 'People', 'Teams', 'Audit log', 'Charter', 'My account', 'Preferences'] },
] as const;

let harness: BrowserHarness;

beforeAll(async () => {
  harness = await startBrowserHarness();
  await harness.app.seedDemoAccounts(DEMO_PASSWORD);
  // The demo co-facilitator has accepted the co-production charter (otherwise "Courses to manage" asks first:
  // test/credits/credit-charter.browser.test.ts walks that).
  const cofacilitator = await harness.app.services.users.findSignInCandidate('cofacilitator@example.org');
  if (!cofacilitator) throw new Error('No demo co-facilitator');
  await harness.app.services.charter.acceptCharter(cofacilitator.user, (await harness.app.services.charter.currentCharter()).version);
});

afterAll(async () => {
  await harness?.stop();
});

/** The links in the header navigation, in order. */
async function navigation(page: Page): Promise<Array<{ text: string; href: string }>> {
  // Expressions as strings: the project compiles without the DOM types, and this runs in the page.
  return page.evaluate(`Array.from(document.querySelectorAll('.site-nav a.site-nav__link')).map((link) => ({
    text: link.textContent.trim(),
    href: link.getAttribute('href'),
  }))`);
}

async function computed(page: Page, selector: string, property: string): Promise<string> {
  return page.evaluate(
    `getComputedStyle(document.querySelector(${JSON.stringify(selector)})).getPropertyValue(${JSON.stringify(property)})`,
  );
}

/** Every control in the header and every button on the page is at least 24 by 24 CSS pixels. */
async function smallTargets(page: Page): Promise<string[]> {
  return page.evaluate(`Array.from(document.querySelectorAll('.site-nav a, .site-nav button, .skip-link, main button, main .button, .pagination a, input[type=radio], input[type=checkbox]'))
    .filter((element) => element.getClientRects().length > 0)
    .map((element) => ({ element, box: element.getBoundingClientRect() }))
    .filter(({ box }) => box.width < 24 || box.height < 24)
    .map(({ element, box }) => element.outerHTML.slice(0, 80) + ' ' + Math.round(box.width) + 'x' + Math.round(box.height))`);
}

async function choosePreferences(
  page: Page,
  choices: { textSize: string; theme: string; reducedMotion: boolean; readableFont: boolean },
): Promise<void> {
  await page.goto('/preferences');
  await page.getByRole('group', { name: 'Text size' }).getByLabel(choices.textSize, { exact: true }).check();
  await page.getByRole('group', { name: 'Colours' }).getByLabel(choices.theme, { exact: true }).check();
  await page.getByLabel('Stop all movement').setChecked(choices.reducedMotion);
  await page.getByLabel('Use the OpenDyslexic font').setChecked(choices.readableFont);
  await Promise.all([page.waitForURL('**/preferences'), page.getByRole('button', { name: 'Save preferences' }).click()]);
  await page.getByText('Your preferences are saved.').waitFor();
}

describe('each demo person', () => {
  it.each(DEMO_PEOPLE)('$email signs in and every page in their navigation passes axe', async (person) => {
    const page = await harness.newPage();
    await signIn(page, person.email, DEMO_PASSWORD);
    await axeScan(page, `the first page after ${person.email} signs in`);
    await screenshot(page, `foundation-${person.role}-after-sign-in`);

    const links = await navigation(page);
    expect(links.map((link) => link.text)).toEqual(person.expectedNav);
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(1);

    for (const link of links) {
      const response = await page.goto(link.href);
      expect({ page: link.href, status: response?.status() }).toEqual({ page: link.href, status: 200 });
      const current = page.locator('.site-nav a[aria-current="page"]');
      expect(await current.count()).toBe(1);
      expect(await current.textContent()).toBe(link.text);
      expect(await page.locator('h1').count()).toBe(1);
      await axeScan(page, `${link.href} as ${person.email}`);
      expect(await smallTargets(page)).toEqual([]);
      expect(takeBrowserProblems(page)).toEqual([]);
      await screenshot(page, `foundation-${person.role}-${link.href.replace(/\//g, '-').replace(/^-/, '')}`);
    }

    await signOut(page);
    expect(await page.locator('.site-nav').getByRole('link', { name: 'Sign in' }).count()).toBe(1);
  });
});

describe('pages without signing in', () => {
  it('the sign-in page and the preferences page pass axe', async () => {
    const page = await harness.newPage();
    for (const path of ['/', '/sign-in', '/preferences']) {
      const response = await page.goto(path);
      expect(response?.status()).toBe(200);
      await axeScan(page, `${path} before sign-in`);
      expect(takeBrowserProblems(page)).toEqual([]);
      await screenshot(page, `foundation-anonymous-${path === '/' ? 'home' : path.slice(1)}`);
    }
  });

  it('the password reset and invitation pages, also with a link that no longer works, pass axe', async () => {
    const page = await harness.newPage();
    for (const path of ['/password-reset', '/password-reset/a-link-that-does-not-work', '/invitations/a-link-that-does-not-work']) {
      const response = await page.goto(path);
      expect({ path, status: (response?.status() ?? 500) < 500 }).toEqual({ path, status: true });
      expect(await page.locator('h1').count()).toBe(1);
      await axeScan(page, path);
      await screenshot(page, `foundation-anonymous${path.replace(/\//g, '-')}`);
    }
  });

  it('a page that does not exist shows a calm page that passes axe', async () => {
    const page = await harness.newPage();
    const response = await page.goto('/no-such-page');
    expect(response?.status()).toBe(404);
    await axeScan(page, 'the not found page');
    await screenshot(page, 'foundation-not-found');
  });

  it('a form that needs correcting shows the problem at the top and beside the field, and passes axe', async () => {
    const page = await harness.newPage();
    await page.goto('/sign-in');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.error-summary').waitFor();
    await axeScan(page, 'the sign-in form with errors');
    await screenshot(page, 'foundation-sign-in-errors');
    // The script moves focus to the summary so screen reader users hear it first.
    expect(await page.evaluate("document.activeElement && document.activeElement.classList.contains('error-summary')")).toBe(true);
  });

  it('the account page with a password form that needs correcting passes axe, from the keyboard alone', async () => {
    const page = await harness.newPage();
    await signIn(page, 'learner@example.org', DEMO_PASSWORD);
    await page.goto('/account');
    await page.getByLabel('Current password').focus();
    await page.keyboard.type('not the password');
    await page.keyboard.press('Tab');
    await page.keyboard.type('a new password that is long');
    await page.keyboard.press('Tab');
    await page.keyboard.type('a new password that is long');
    await page.keyboard.press('Enter');
    await page.locator('.error-summary').waitFor();
    expect(await page.locator('.error-summary').textContent()).toContain('This is not your current password');
    await axeScan(page, 'the account page with errors');
    await screenshot(page, 'foundation-account-errors');
  });
});

describe('on a phone with the largest text', () => {
  it('no page is wider than the screen, and a wide table scrolls in a box the keyboard can reach', async () => {
    const page = await harness.newPage({ width: 390, height: 844 });
    await signIn(page, 'admin@example.org', DEMO_PASSWORD);
    await choosePreferences(page, { textSize: 'Largest', theme: 'Standard', reducedMotion: false, readableFont: false });
    for (const link of await navigation(page)) {
      await page.goto(link.href);
      expect({ page: link.href, widerThanScreen: await page.evaluate('document.documentElement.scrollWidth > document.documentElement.clientWidth') }).toEqual({
        page: link.href,
        widerThanScreen: false,
      });
      const scrollingTables = (await page.evaluate(
        `Array.from(document.querySelectorAll('.table-wrap')).filter((wrap) => wrap.scrollWidth > wrap.clientWidth + 1)
          .map((wrap) => ({ tabindex: wrap.getAttribute('tabindex'), name: wrap.getAttribute('aria-label') }))`,
      )) as Array<{ tabindex: string | null; name: string | null }>;
      for (const table of scrollingTables) {
        expect(table.tabindex).toBe('0');
        expect(table.name).toEqual(expect.any(String));
      }
      await axeScan(page, `${link.href} on a phone with the largest text`);
      await screenshot(page, `foundation-phone-largest-admin${link.href.replace(/\//g, '-')}`);
    }
    // Audit events have no links, so that table is the one that needs its own keyboard stop.
    await page.goto('/admin/audit');
    expect(await page.locator('.table-wrap[tabindex="0"][role="region"]').count()).toBeGreaterThan(0);
  });
});

describe('keyboard', () => {
  it('the first Tab reaches the skip link, which is visible and moves focus to the main content', async () => {
    const page = await harness.newPage();
    await page.goto('/preferences');
    await page.keyboard.press('Tab');
    const skip = page.locator('.skip-link');
    expect(await page.evaluate("document.activeElement && document.activeElement.className")).toBe('skip-link');
    const box = await skip.boundingBox();
    expect(box && box.y >= 0 && box.height >= 24).toBe(true);
    expect(parseFloat(await computed(page, '.skip-link', 'outline-width'))).toBeGreaterThanOrEqual(3);
    await screenshot(page, 'foundation-skip-link-focused');
    await page.keyboard.press('Enter');
    expect(await page.evaluate("document.activeElement && document.activeElement.id")).toBe('main');
  });
});

describe('preferences', () => {
  it('each theme, the largest text, the readable font and reduced motion apply to every page', async () => {
    const page = await harness.newPage();
    await signIn(page, 'learner@example.org', DEMO_PASSWORD);

    const themes = [
      { label: 'Standard', theme: 'standard', background: 'rgb(246, 244, 239)' },
      { label: 'High contrast', theme: 'high-contrast', background: 'rgb(255, 255, 255)' },
      { label: 'Low sensory', theme: 'low-sensory', background: 'rgb(236, 235, 230)' },
    ];
    for (const theme of themes) {
      await choosePreferences(page, { textSize: 'Standard', theme: theme.label, reducedMotion: false, readableFont: false });
      await page.goto('/dashboard');
      expect(await page.getAttribute('html', 'class')).toContain(`theme-${theme.theme}`);
      expect(await computed(page, 'body', 'background-color')).toBe(theme.background);
      await axeScan(page, `the dashboard in the ${theme.theme} theme`);
      await screenshot(page, `foundation-theme-${theme.theme}-dashboard`);
      await page.goto('/preferences');
      await axeScan(page, `preferences in the ${theme.theme} theme`);
      await screenshot(page, `foundation-theme-${theme.theme}-preferences`);
    }
    expect(await computed(page, '.button--primary', 'box-shadow')).toBe('none');

    await choosePreferences(page, { textSize: 'Largest', theme: 'Standard', reducedMotion: true, readableFont: true });
    await page.goto('/courses');
    const classes = (await page.getAttribute('html', 'class')) ?? '';
    expect(classes.split(' ')).toEqual(expect.arrayContaining(['text-largest', 'readable-font', 'reduce-motion']));
    // 150% of the browser's 16px.
    expect(await computed(page, 'html', 'font-size')).toBe('24px');
    expect(await computed(page, 'body', 'font-family')).toMatch(/^"?OpenDyslexic/);
    await page.evaluate('document.fonts.ready');
    expect(await page.evaluate("document.fonts.check('16px OpenDyslexic')")).toBe(true);
    expect(await computed(page, '.site-nav__link', 'transition-duration')).toBe('0s');
    expect(await page.evaluate('document.documentElement.scrollWidth <= document.documentElement.clientWidth')).toBe(true);
    await axeScan(page, 'the catalogue with the largest text and the readable font');
    expect(takeBrowserProblems(page)).toEqual([]);
    await screenshot(page, 'foundation-largest-readable-catalogue');
  });

  it('small movements happen only when neither the person nor their system asks to reduce motion', async () => {
    const page = await harness.newPage();
    await page.emulateMedia({ reducedMotion: 'no-preference' });
    await page.goto('/preferences');
    expect(await computed(page, '.button--primary', 'transition-duration')).toBe('0.12s');

    await page.emulateMedia({ reducedMotion: 'reduce' });
    expect(await computed(page, '.button--primary', 'transition-duration')).toBe('0s');

    await page.emulateMedia({ reducedMotion: 'no-preference' });
    await choosePreferences(page, { textSize: 'Standard', theme: 'Standard', reducedMotion: true, readableFont: false });
    expect(await computed(page, '.button--primary', 'transition-duration')).toBe('0s');
  });

  it('before sign-in, the choices live in a cookie and the sample previews a choice before it is saved', async () => {
    const page = await harness.newPage({ width: 390, height: 844 });
    await page.goto('/preferences');
    const preview = page.locator('[data-preferences-preview]');
    expect(await preview.getAttribute('class')).toContain('theme-standard');
    await page.getByRole('group', { name: 'Colours' }).getByLabel('High contrast', { exact: true }).check();
    expect(await preview.getAttribute('class')).toContain('theme-high-contrast');
    expect(await page.getAttribute('html', 'class')).toContain('theme-standard');
    await screenshot(page, 'foundation-preview-before-saving-phone');

    await Promise.all([page.waitForURL('**/preferences'), page.getByRole('button', { name: 'Save preferences' }).click()]);
    expect(await page.getAttribute('html', 'class')).toContain('theme-high-contrast');
    await page.goto('/sign-in');
    expect(await page.getAttribute('html', 'class')).toContain('theme-high-contrast');
    await axeScan(page, 'sign-in in high contrast on a phone');
    await screenshot(page, 'foundation-sign-in-high-contrast-phone');
  });
});
