/**
 * Browser-test harness: real Chromium through playwright-core, driving the app on an ephemeral port.
 *
 *   const harness = await startBrowserHarness();   // in-memory database + app + Chromium
 *   const page = await harness.newPage();            // a fresh browser context (no cookies) per call
 *   await page.goto(harness.url('/preferences'));
 *   await signIn(page, 'learner@example.org', password);
 *   await axeScan(page, 'preferences page');         // throws listing serious/critical violations
 *   await screenshot(page, 'preferences-standard');  // test/artifacts/<name>.png
 *   expect(takeBrowserProblems(page)).toEqual([]);  // no console errors (CSP refusals, failed loads)
 *   await harness.stop();                            // closes pages, browser, app and database
 *
 * Chromium is found by ./chromium.ts (CHROME_PATH, /usr/bin/chromium, then the @sparticuz/chromium package).
 */
import { mkdir, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestApp, type TestApp, type TestAppOptions } from '../../support/app';
import { launchChromium } from './chromium';

export { findChromium, launchChromium } from './chromium';

export const ARTIFACTS_DIR = path.resolve(__dirname, '..', '..', 'artifacts');

export interface BrowserHarness {
  readonly baseUrl: string;
  readonly browser: Browser;
  readonly app: TestApp;
  /** An absolute URL on the app for a path like '/preferences'. */
  url(pathname: string): string;
  /** A page in a new browser context: its own cookies, a 1280 x 900 window unless told otherwise. */
  newPage(options?: { width?: number; height?: number }): Promise<Page>;
  stop(): Promise<void>;
}

const pageProblems = new WeakMap<Page, string[]>();

/**
 * Console errors and uncaught script errors seen on a page from the harness since it opened (or since the last
 * call), such as a refused inline script or style, or a stylesheet or font that did not load.
 */
export function takeBrowserProblems(page: Page): string[] {
  const problems = pageProblems.get(page) ?? [];
  return problems.splice(0, problems.length);
}

/**
 * `chromiumArgs` adds Chromium flags (e.g. a fake camera and microphone); `app` is passed to startTestApp (e.g.
 * { jobs: {} } for the job scheduler).
 */
export async function startBrowserHarness(options: { chromiumArgs?: string[]; app?: TestAppOptions } = {}): Promise<BrowserHarness> {
  const app = await startTestApp(options.app);
  let server: Server | undefined;
  let browser: Browser | undefined;
  try {
    server = await new Promise<Server>((resolve, reject) => {
      const listening = app.app.listen(0, '127.0.0.1', () => resolve(listening));
      listening.once('error', reject);
    });
    const { port } = server.address() as AddressInfo;
    const baseUrl = `http://127.0.0.1:${port}`;
    browser = await launchChromium(options.chromiumArgs);
    const contexts: BrowserContext[] = [];
    const openBrowser = browser;
    const openServer = server;
    return {
      baseUrl,
      browser: openBrowser,
      app,
      url: (pathname) => new URL(pathname, baseUrl).toString(),
      async newPage(options = {}) {
        const context = await openBrowser.newContext({
          viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
          baseURL: baseUrl,
        });
        contexts.push(context);
        const page = await context.newPage();
        const problems: string[] = [];
        pageProblems.set(page, problems);
        // Console errors include Content-Security-Policy refusals and failed loads of CSS, fonts and scripts.
        page.on('console', (message) => {
          if (message.type() === 'error') problems.push(`${page.url()}: ${message.text()}`);
        });
        page.on('pageerror', (error) => problems.push(`${page.url()}: ${error.message}`));
        return page;
      },
      async stop() {
        for (const context of contexts) await context.close();
        await openBrowser.close();
        await closeServer(openServer);
        await app.stop();
      },
    };
  } catch (error) {
    await browser?.close();
    if (server) await closeServer(server);
    await app.stop();
    throw error;
  }
}

function closeServer(server: Server): Promise<void> {
  // Browsers keep connections alive; close them so the port is released at once.
  server.closeAllConnections();
  return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}

/** Signs in through the real form, as a person would; throws with the page's message when sign-in is refused. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/sign-in');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const signedIn = page.waitForURL((url) => !url.pathname.startsWith('/sign-in')).then(() => 'signed in' as const);
  const refused = page.locator('.error-summary').waitFor().then(() => 'refused' as const);
  // The wait that loses the race rejects later, when the page closes; that must not be an unhandled rejection.
  signedIn.catch(() => undefined);
  refused.catch(() => undefined);
  const outcome = await Promise.race([signedIn, refused]);
  if (outcome === 'refused') {
    const message = (await page.locator('.error-summary').innerText()).replace(/\s+/g, ' ').trim();
    throw new Error(`Sign-in as ${email} was refused: ${message}`);
  }
}

/** Signs out with the button in the header. */
export async function signOut(page: Page): Promise<void> {
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Sign out' }).click()]);
}

interface AxeViolation {
  id: string;
  impact?: string | null;
  help: string;
  helpUrl: string;
  nodes: Array<{ target: unknown[]; failureSummary?: string }>;
}

let axeSource: string | undefined;

/**
 * Runs axe-core on the page and throws when it finds serious or critical violations (with `{ everyImpact: true }`:
 * any violation at all), listing each rule, the elements and how to fix them. The strict CSP refuses injected
 * script tags, so the source is evaluated instead.
 */
export async function axeScan(page: Page, label = page.url(), options: { everyImpact?: boolean } = {}): Promise<void> {
  axeSource ??= await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  // Strings, not functions: this project compiles without the DOM types, and the code runs in the page.
  const alreadyLoaded = (await page.evaluate("typeof window.axe === 'object'")) === true;
  if (!alreadyLoaded) await page.evaluate(axeSource);
  const violations = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((result) =>
    result.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      helpUrl: violation.helpUrl,
      nodes: violation.nodes.map((node) => ({ target: node.target, failureSummary: node.failureSummary })),
    })))`)) as AxeViolation[];
  const serious = options.everyImpact ? violations : violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
  if (serious.length > 0) {
    const report = serious
      .map((violation) => {
        const nodes = violation.nodes
          .slice(0, 5)
          .map((node) => `    - ${JSON.stringify(node.target)}: ${(node.failureSummary ?? '').replace(/\s+/g, ' ')}`)
          .join('\n');
        return `  [${violation.impact ?? 'unknown'}] ${violation.id}: ${violation.help} (${violation.helpUrl})\n${nodes}`;
      })
      .join('\n');
    throw new Error(`axe found ${serious.length} serious or critical accessibility problem(s) on ${label}:\n${report}`);
  }
}

/** Saves a full-page PNG under test/artifacts/ (git-ignored) and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name.replace(/[^a-z0-9-]+/gi, '-')}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * A page as the journeys check it: axe-core at every impact level, no console problems (a form's 422 answer may be
 * allowed), and a screenshot named `name` in test/artifacts/.
 */
export async function checkPage(page: Page, name: string, options: { allowProblem?: (problem: string) => boolean } = {}): Promise<void> {
  await axeScan(page, name, { everyImpact: true });
  const problems = takeBrowserProblems(page).filter((problem) => !options.allowProblem?.(problem));
  expect({ page: name, problems }).toEqual({ page: name, problems: [] });
  await screenshot(page, name);
}

/** Chooses a colour theme on the preferences page, as a person would. */
export async function chooseTheme(page: Page, theme: 'Standard' | 'High contrast' | 'Low sensory'): Promise<void> {
  await page.goto('/preferences');
  await page.getByRole('group', { name: 'Colours' }).getByLabel(theme, { exact: true }).check();
  await Promise.all([page.waitForURL('**/preferences'), page.getByRole('button', { name: 'Save preferences' }).click()]);
  await page.getByText('Your preferences are saved.').waitFor();
}
