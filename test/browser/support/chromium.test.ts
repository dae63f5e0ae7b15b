/**
 * The browser tests find Chromium on any machine: CHROME_PATH first, then Debian's /usr/bin/chromium, then the
 * Chromium inside the @sparticuz/chromium package (the path a fresh CI machine takes).
 */
import { existsSync } from 'node:fs';
import { findChromium } from './chromium';

const neverPackaged = (): Promise<string> => Promise.reject(new Error('the packaged Chromium should not be used'));

describe('findChromium', () => {
  it('uses CHROME_PATH when it is set', async () => {
    await expect(
      findChromium({ chromePath: '/opt/chrome/chrome', systemPath: '/usr/bin/chromium', exists: () => true, packaged: neverPackaged }),
    ).resolves.toBe('/opt/chrome/chrome');
  });

  it('uses the system Chromium when CHROME_PATH is not set and the system one exists', async () => {
    await expect(
      findChromium({ chromePath: undefined, systemPath: '/usr/bin/chromium', exists: (file) => file === '/usr/bin/chromium', packaged: neverPackaged }),
    ).resolves.toBe('/usr/bin/chromium');
  });

  it('unpacks the Chromium from @sparticuz/chromium when there is no system browser', async () => {
    const executable = await findChromium({ chromePath: undefined, systemPath: '/nowhere/chromium', exists: () => false });
    expect(executable).not.toBe('/nowhere/chromium');
    expect(existsSync(executable)).toBe(true);
  });
});
