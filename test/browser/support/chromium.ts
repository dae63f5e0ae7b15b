/**
 * Finding and launching Chromium for the browser tests, in this order:
 *   1. CHROME_PATH, when set;
 *   2. /usr/bin/chromium, when it exists (Debian's package);
 *   3. @sparticuz/chromium: a Chromium shipped inside an npm package (a dev dependency), unpacked to the temp
 *      folder on first use, so the tests also run on a CI machine without a system browser.
 * Playwright gives every launch a fresh temporary profile (its own user-data-dir) and removes it on close.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const SYSTEM_CHROMIUM = '/usr/bin/chromium';

interface ChromiumPackage {
  executablePath(input?: string): Promise<string>;
}

/** Where Chromium is. `sources` lets a test check the order without touching the machine. */
export async function findChromium(
  sources: {
    chromePath?: string;
    systemPath?: string;
    exists?: (file: string) => boolean;
    packaged?: () => Promise<string>;
  } = {},
): Promise<string> {
  // Test tooling, not the app: the brief names CHROME_PATH as the way to point the tests at a browser.
  const chromePath = 'chromePath' in sources ? sources.chromePath : process.env.CHROME_PATH;
  const systemPath = sources.systemPath ?? SYSTEM_CHROMIUM;
  const exists = sources.exists ?? existsSync;
  if (chromePath) return chromePath;
  if (exists(systemPath)) return systemPath;
  const packaged =
    sources.packaged ??
    (async () => {
      // The package is ESM with a CommonJS build; its default export is the Chromium class either way.
      const loaded = (await import('@sparticuz/chromium')) as unknown as { default?: ChromiumPackage } & Partial<ChromiumPackage>;
      const chromiumPackage = loaded.default ?? (loaded as ChromiumPackage);
      return chromiumPackage.executablePath();
    });
  return packaged();
}

/** Headless Chromium with the flags the project uses everywhere. */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: await findChromium(),
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
}
