/**
 * Through the whole app: stored media is served only to signed-in people, with the checked type, nosniff and
 * ranges; the trainer's course pages show drafts and what they change, and lead to the draft's review (publishing
 * is there: test/review/).
 */
import { cp, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FileBlock, ImageBlock, MediaBlock } from '../../server/courses/types';
import { hashFile, storageKeyOf } from '../../server/media/storage';
import { csrfFrom, startTestApp, type TestApp } from '../support/app';

const fixture = path.join(__dirname, 'fixtures', 'tiny-course');

let t: TestApp;
let work: string;
let courseDir: string;
let image: ImageBlock;
let audio: MediaBlock;
let file: FileBlock;

beforeAll(async () => {
  t = await startTestApp();
  work = await mkdtemp(path.join(os.tmpdir(), 'courses-web-'));
  courseDir = path.join(work, 'tiny-course');
  await cp(fixture, courseDir, { recursive: true });
  const result = await t.services.courseImport.importCourseFromDirectory(courseDir);
  const version = await t.services.courses.getPublishedVersion(result.courseId ?? '');
  const blocks = version?.modules[0]?.lessons[0]?.blocks ?? [];
  image = blocks.find((b): b is ImageBlock => b.kind === 'image') as ImageBlock;
  audio = blocks.find((b): b is MediaBlock => b.kind === 'audio') as MediaBlock;
  file = blocks.find((b): b is FileBlock => b.kind === 'file') as FileBlock;
});

afterAll(async () => {
  await t.stop();
  await rm(work, { recursive: true, force: true });
});

describe('GET /media/:assetId', () => {
  test('refuses anonymous people', async () => {
    const page = await t.request().get(`/media/${image.image.assetId}`).set('Accept', 'text/html');
    expect(page.status).toBe(303);
    expect(page.headers.location).toMatch(/^\/sign-in/);
    const api = await t.request().get(`/media/${image.image.assetId}`).set('Accept', 'application/json');
    expect(api.status).toBe(401);
    expect(api.headers['content-type']).not.toMatch(/image/);
  });

  test('serves a picture inline with its checked type, nosniff and a long private cache', async () => {
    const { agent } = await t.signedInAgent({ roles: ['learner'] });
    const response = await agent.get(`/media/${image.image.assetId}`);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('image/png');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-disposition']).toMatch(/^inline/);
    expect(response.headers['cache-control']).toMatch(/private.*immutable/);
    expect(Buffer.compare(response.body as Buffer, await readFile(path.join(fixture, 'media', 'picture.png')))).toBe(0);
  });

  test('answers a range request for audio with part of the file', async () => {
    const { agent } = await t.signedInAgent({ roles: ['learner'] });
    const response = await agent.get(`/media/${audio.media.assetId}`).set('Range', 'bytes=0-99').buffer(true);
    expect(response.status).toBe(206);
    expect(response.headers['content-type']).toBe('audio/mpeg');
    expect(response.headers['content-range']).toBe(`bytes 0-99/${audio.media.sizeBytes}`);
    expect(response.headers['content-length']).toBe('100');
  });

  test('serves captions as text/vtt, and other files as a download', async () => {
    const { agent } = await t.signedInAgent({ roles: ['learner'] });
    const captions = await agent.get(`/media/${audio.captions?.assetId}`);
    expect(captions.headers['content-type']).toBe('text/vtt');
    expect(captions.text).toMatch(/^WEBVTT/);
    const handout = await agent.get(`/media/${file.file.assetId}`);
    expect(handout.status).toBe(200);
    expect(handout.headers['content-disposition']).toBe('attachment; filename="handout.txt"');
    expect(handout.headers['x-content-type-options']).toBe('nosniff');
  });

  test('answers a plain 404 page, not a file to keep, when the stored bytes are gone', async () => {
    const { agent } = await t.signedInAgent({ roles: ['learner'] });
    const stored = path.join(t.config.dataDir, 'media', storageKeyOf(await hashFile(path.join(fixture, 'media', 'handout.txt'))));
    await rename(stored, `${stored}.away`);
    try {
      const response = await agent.get(`/media/${file.file.assetId}`).set('Accept', 'text/html');
      expect(response.status).toBe(404);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.headers['content-disposition']).toBeUndefined();
      expect(response.headers.etag).toBeUndefined();
      expect(response.headers['cache-control']).toBe('no-store');
    } finally {
      await rename(`${stored}.away`, stored);
    }
  });

  test('answers 404 for an unknown or malformed id', async () => {
    const { agent } = await t.signedInAgent({ roles: ['learner'] });
    expect((await agent.get('/media/0123456789abcdef01234567')).status).toBe(404);
    expect((await agent.get('/media/not-an-id')).status).toBe(404);
  });
});

describe('the trainer course pages', () => {
  async function makeDraft(): Promise<void> {
    const moduleFile = path.join(courseDir, '01-first-steps.md');
    const text = await readFile(moduleFile, 'utf8');
    await writeFile(moduleFile, `${text}\n## A new lesson {#new-lesson}\n\nMore to read.\n`);
    const result = await t.services.courseImport.importCourseFromDirectory(courseDir);
    expect(result.outcome).toMatch(/^draft-/);
  }

  test('are closed to learners', async () => {
    const { agent } = await t.signedInAgent({ roles: ['learner'] });
    expect((await agent.get('/manage/courses').set('Accept', 'text/html')).status).toBe(403);
    expect((await agent.get('/manage/courses/tiny-course').set('Accept', 'text/html')).status).toBe(403);
    expect((await agent.get('/manage/courses/tiny-course/versions/1').set('Accept', 'text/html')).status).toBe(403);
  });

  test('let co-facilitators see the draft and what it changes, with the way to its review instead of a Publish button', async () => {
    await makeDraft();
    const { agent, user } = await t.signedInAgent({ roles: ['co-facilitator'] });
    // Co-facilitators accept the co-production charter before the authoring pages (test/charter/charter.test.ts).
    await t.services.charter.acceptCharter(user, (await t.services.charter.currentCharter()).version);
    const list = await agent.get('/manage/courses');
    expect(list.status).toBe(200);
    expect(list.text).toContain('A tiny course');
    expect(list.text).toContain('Version 2 is a draft in review');
    const page = await agent.get('/manage/courses/tiny-course');
    expect(page.text).toContain('New lesson: First steps, A new lesson');
    expect(page.text).not.toContain('Publish version 2');
    expect(page.text).toContain('href="/manage/courses/tiny-course/review"');
    const version = await agent.get('/manage/courses/tiny-course/versions/2');
    expect(version.status).toBe(200);
    expect(version.text).toMatch(/A new lesson <span class="tag">New<\/span>/);
    // Reviewers see the answer key, unlike learners.
    expect(version.text).toContain('<strong>Right:</strong> Right.');
    expect((await agent.get('/manage/courses/tiny-course/versions/9')).status).toBe(404);
  });

  test('the one-click Publish is gone: a draft is published only through its review (test/review/)', async () => {
    const { agent } = await t.signedInAgent({ roles: ['trainer'] });
    const page = await agent.get('/manage/courses/tiny-course');
    expect(page.text).not.toContain('Publish version 2');
    const old = await agent.post('/manage/courses/tiny-course/publish').type('form').send({ _csrf: csrfFrom(page.text), version: '2', contentHash: '0'.repeat(64) });
    expect(old.status).toBe(404);
    expect((await t.services.courses.getCourseBySlug('tiny-course'))?.publishedVersion).toBe(1);
  });
});
