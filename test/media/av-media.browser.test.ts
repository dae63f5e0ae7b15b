/**
 * Audio and video in real Chromium (a fake microphone and camera): the demo co-facilitator records a clip on the
 * upload page with the keyboard and uploads it; uploads a phone's HEVC video through the file input and watches
 * its conversion finish on the page; writes captions for it and makes a transcript. Every page passes axe, in the
 * standard and the low-sensory theme; screenshots go to test/artifacts/.
 */
import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { axeScan, screenshot, signIn, startBrowserHarness, takeBrowserProblems, type BrowserHarness, chooseTheme } from '../browser/support/browser';
import { makeClip } from './support/clips';

const PASSWORD = 'demo-password-for-av-pages';
let harness: BrowserHarness;
const video = path.join(os.tmpdir(), `coproduce-av-${process.pid}.mov`);

beforeAll(async () => {
  harness = await startBrowserHarness({
    chromiumArgs: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'],
    app: { jobs: { processEveryMs: 200, lockLifetimeMs: 5_000 } },
  });
  await harness.app.seedDemoAccounts(PASSWORD);
  await writeFile(video, (await makeClip('hevc-mov', 3)).bytes);
}, 60_000);

afterAll(async () => {
  await harness?.stop();
  await rm(video, { force: true });
});

it('records a clip, converts a phone video, writes its captions and a transcript', async () => {
  const page = await harness.newPage();
  await signIn(page, 'cofacilitator@example.org', PASSWORD);

  // Recording, keyboard only.
  await page.goto('/media/uploads');
  const status = page.locator('[data-recorder-status]');
  await status.waitFor();
  expect(await status.textContent()).toBe('Not recording.');
  await axeScan(page, 'uploads with the recorder');
  await screenshot(page, 'av-uploads-recorder');
  const toggle = page.getByRole('button', { name: 'Start recording' });
  await toggle.focus();
  await page.keyboard.press('Enter');
  await page.getByText('Recording sound. Press Stop recording when you are done.').waitFor();
  await page.locator('[data-recorder-time]').filter({ hasText: '0:02' }).waitFor();
  await screenshot(page, 'av-recording');
  // Focus stays on the one button, which now stops.
  expect(await page.evaluate('document.activeElement.textContent')).toBe('Stop recording');
  await page.keyboard.press('Enter');
  await page.getByText(/^Recorded 0:0\d\. Play it back if you like/).waitFor();
  const preview = page.locator('[data-recorder-preview] audio');
  expect(await preview.getAttribute('controls')).not.toBeNull();
  expect(await preview.evaluate((element) => (element as unknown as { paused: boolean }).paused)).toBe(true);
  await axeScan(page, 'a recording ready to upload');
  await screenshot(page, 'av-recorded');
  // Focus moved to the upload button.
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Uploaded' }).waitFor();
  expect(await page.locator('main').textContent()).toMatch(/recording-[0-9-]+\.webm \(audio\/webm/);
  expect(takeBrowserProblems(page)).toEqual([]);

  // A phone video through the file input: converted, the page follows it.
  await page.getByLabel('a video (MP4, WebM, MOV, MKV, 3GP, AVI or MPEG)').check();
  await page.getByLabel('File', { exact: true }).setInputFiles(video);
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await page.locator('[data-conversion]').waitFor();
  expect(await page.locator('main').textContent()).toContain('coproduce-av-');
  await axeScan(page, 'a video being converted');
  await screenshot(page, 'av-converting');
  await page.getByText('Ready to play in every browser. The original file is kept for the team.').waitFor({ timeout: 60_000 });
  const player = page.locator('main video');
  expect(await player.getAttribute('autoplay')).toBeNull();
  expect(await player.evaluate((element) => (element as unknown as { canPlayType(type: string): string }).canPlayType('video/mp4; codecs="avc1.42E01E, mp4a.40.2"'))).not.toBe('');
  await axeScan(page, 'a converted video');
  await screenshot(page, 'av-converted');

  // Captions for it.
  await page.getByRole('link', { name: 'Write captions for this clip' }).click();
  await page.getByRole('heading', { name: /^Captions for / }).waitFor();
  await axeScan(page, 'the caption editor');
  await page.getByLabel('Starts at').first().fill('0:00.5');
  await page.getByLabel('Ends at').first().fill('0:02');
  await page.getByLabel('What is said or heard').first().fill('A test picture and a tone.');
  await page.getByLabel('Starts at').nth(1).fill('0:02');
  await page.getByLabel('Ends at').nth(1).fill('0:01');
  await page.getByLabel('What is said or heard').nth(1).fill('Ends too soon');
  await page.getByRole('button', { name: 'Save captions' }).click();
  await page.locator('.error-summary').waitFor();
  await axeScan(page, 'the caption editor with a mistake');
  await screenshot(page, 'av-captions-error');
  // The refused save is the one 422 the browser reports.
  expect(takeBrowserProblems(page)).toEqual([expect.stringMatching(/status of 422/)]);
  await page.getByRole('link', { name: 'Caption 2: the end must come after the start.' }).click();
  expect(await page.evaluate('document.activeElement.id')).toBe('cue-2-end');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('0:03');
  await page.getByRole('button', { name: 'Save captions' }).click();
  await page.getByText('The captions are saved.').waitFor();
  await screenshot(page, 'av-captions-saved');
  await page.getByRole('link', { name: 'Make a transcript from the saved captions' }).click();
  await page.getByText('A test picture and a tone. Ends too soon').waitFor();
  await axeScan(page, 'the transcript');
  await screenshot(page, 'av-transcript');
  const captionsUrl = page.url().replace(/\/transcript$/, '');

  // The low-sensory theme.
  await chooseTheme(page, 'Low sensory');
  await page.goto('/media/uploads');
  await axeScan(page, 'uploads, low sensory');
  await screenshot(page, 'av-uploads-low-sensory');
  await page.goto(captionsUrl);
  await axeScan(page, 'the caption editor, low sensory');
  await screenshot(page, 'av-captions-low-sensory');
  await chooseTheme(page, 'Standard');
  expect(takeBrowserProblems(page)).toEqual([]);
}, 180_000);
