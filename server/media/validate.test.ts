import { copyFile, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { checkMediaFile, checkWebVtt } from './validate';

const fixtureMedia = path.resolve(__dirname, '..', '..', 'test', 'courses', 'fixtures', 'tiny-course', 'media');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'media-validate-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('checking media files by their content', () => {
  test('accepts a real PNG and an MP3, with the type that matches their content', async () => {
    await expect(checkMediaFile(path.join(fixtureMedia, 'picture.png'), 'image')).resolves.toMatchObject({ ok: true, mimeType: 'image/png' });
    await expect(checkMediaFile(path.join(fixtureMedia, 'clip.mp3'), 'audio')).resolves.toMatchObject({ ok: true, mimeType: 'audio/mpeg' });
  });

  test('refuses a picture renamed as video, and a file type not allowed for its purpose', async () => {
    const renamed = path.join(dir, 'clip.mp4');
    await copyFile(path.join(fixtureMedia, 'picture.png'), renamed);
    await expect(checkMediaFile(renamed, 'video')).resolves.toEqual({ ok: false, problem: 'its content is png, not .mp4' });
    await expect(checkMediaFile(path.join(fixtureMedia, 'clip.mp3'), 'image')).resolves.toMatchObject({ ok: false, problem: expect.stringMatching(/must be one of/) });
  });

  test('refuses a file over the size limit before reading it', async () => {
    const big = path.join(dir, 'big.png');
    await writeFile(big, '');
    await truncate(big, 6 * 1024 * 1024); // sparse: takes no disk space
    await expect(checkMediaFile(big, 'image')).resolves.toEqual({ ok: false, problem: 'the file is 6 MB; an image file can be at most 5 MB' });
  });

  test('refuses a text download that is really a web page', async () => {
    const page = path.join(dir, 'notes.txt');
    await writeFile(page, '<html><body><script>alert(1)</script></body></html>');
    await expect(checkMediaFile(page, 'file')).resolves.toMatchObject({ ok: false, problem: expect.stringMatching(/web page or script/) });
  });
});

describe('WebVTT captions', () => {
  test('accepts cues with hours or without', () => {
    expect(checkWebVtt('WEBVTT\n\n1\n00:00.000 --> 00:01.500\nHello.\n\n01:00:01.000 --> 01:00:02.000 align:start\nLater.\n')).toBeNull();
  });

  test('names the line of a problem', () => {
    expect(checkWebVtt('Hello')).toEqual({ problem: 'a captions file must start with the line WEBVTT', line: 1 });
    expect(checkWebVtt('WEBVTT\n\n0:01 --> 0:02\nHi')).toEqual({ problem: expect.stringMatching(/not in the form/), line: 3 });
    expect(checkWebVtt('WEBVTT\n\n00:01.000 --> 00:02.000\n\n')).toEqual({ problem: 'this cue has no text', line: 3 });
    expect(checkWebVtt('WEBVTT\n')).toEqual({ problem: 'the captions file has no cues' });
  });
});
