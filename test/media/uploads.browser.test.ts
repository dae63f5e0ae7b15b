/**
 * The trainer's upload page in real Chromium: a photograph chosen in the file input goes up with the progress
 * bar and comes back shown without its metadata; a file of the wrong kind comes back with the message naming it.
 * Every page passes axe; screenshots go to test/artifacts/.
 */
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { axeScan, screenshot, signIn, startBrowserHarness, takeBrowserProblems, type BrowserHarness } from '../browser/support/browser';

const PASSWORD = 'demo-password-for-upload-pages';
const fixtureMedia = path.join(__dirname, '..', 'courses', 'fixtures', 'tiny-course', 'media');
let harness: BrowserHarness;
const photo = path.join(os.tmpdir(), `coproduce-upload-photo-${process.pid}.jpg`);

beforeAll(async () => {
  harness = await startBrowserHarness();
  await harness.app.seedDemoAccounts(PASSWORD);
  await sharp({ create: { width: 1200, height: 800, channels: 3, background: { r: 90, g: 140, b: 200 } } })
    .jpeg()
    .withExif({ IFD0: { Make: 'PhoneMaker' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1' } })
    .toFile(photo);
});

afterAll(async () => {
  await harness?.stop();
  await rm(photo, { force: true });
});

it('a trainer uploads a photograph, then a file of the wrong kind', async () => {
  const page = await harness.newPage();
  await signIn(page, 'trainer@example.org', PASSWORD);

  await page.goto('/media/uploads');
  await axeScan(page, 'uploads');
  await screenshot(page, 'media-uploads-form');

  await page.getByLabel('a picture (JPEG, PNG, WebP or GIF)').check();
  await page.getByLabel('File', { exact: true }).setInputFiles(photo);
  await page.getByRole('button', { name: 'Upload' }).click();
  await page.getByRole('heading', { name: 'Uploaded' }).waitFor();
  const shown = page.locator('main img');
  expect(await shown.getAttribute('srcset')).toMatch(/\?width=320 320w, .*\?width=640 640w, .*\?width=1024 1024w, \/media\/[0-9a-f]{24} 1200w$/);
  await axeScan(page, 'uploads-done');
  await screenshot(page, 'media-uploads-done');
  expect(takeBrowserProblems(page)).toEqual([]);

  await page.getByLabel('a picture (JPEG, PNG, WebP or GIF)').check();
  await page.getByLabel('File', { exact: true }).setInputFiles(path.join(fixtureMedia, 'clip.mp3'));
  await page.getByRole('button', { name: 'Upload' }).click();
  await page.locator('.error-summary').waitFor();
  await page.getByText('"clip.mp3" was not accepted: its content is audio/mpeg').first().waitFor();
  await axeScan(page, 'uploads-refused');
  await screenshot(page, 'media-uploads-refused');
});
