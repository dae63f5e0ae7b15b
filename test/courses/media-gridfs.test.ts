/**
 * Media kept in GridFS (the choice when MONGODB_URI names a shared MongoDB), here on the in-memory engine:
 * the import stores files once by content, and the media route streams them with the same Range rules
 * that Express's sendFile applies to files on disk.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import express from 'express';
import mongoose from 'mongoose';
import supertest from 'supertest';
import { connectDatabase, disconnectDatabase } from '../../server/db/connection';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../server/db/embedded/index';
import type { MediaBlock } from '../../server/courses/types';
import { GridFsStorage } from '../../server/media/gridfs-storage';
import { mediaRouter, parseByteRange } from '../../server/media/routes';
import { createUploadFactory } from '../../server/web/upload';
import type { SignedInUser } from '../../server/people';
import { errorHandler } from '../../server/web/errors';
import { courseServicesOn } from '../support/course-services';

const fixture = path.join(__dirname, 'fixtures', 'tiny-course');
let engine: EmbeddedMongo;
let app: express.Express;
let audio: MediaBlock;
let clip: Buffer;

beforeAll(async () => {
  engine = await startEmbeddedMongo({ log: () => undefined });
  await connectDatabase(engine.uri);
  const storage = new GridFsStorage(() => mongoose.connection.db);
  const { courses, media, courseImport } = courseServicesOn(storage);
  const first = await courseImport.importCourseFromDirectory(fixture);
  const version = await courses.getPublishedVersion(first.courseId ?? '');
  audio = version?.modules[0]?.lessons[0]?.blocks.find((b): b is MediaBlock => b.kind === 'audio') as MediaBlock;
  clip = await readFile(path.join(fixture, 'media', 'clip.mp3'));

  app = express();
  // Only the route is under test here: a signed-in person is assumed (the access rules are tested elsewhere).
  app.use((req, _res, next) => {
    req.user = { id: '0123456789abcdef01234567', name: 'Test', email: 't@example.org', roles: ['learner'] } as SignedInUser;
    next();
  });
  app.use('/media', mediaRouter({ media }, { upload: createUploadFactory({ validateCsrf: () => true }) }));
  app.use(errorHandler({ showStack: false }));
});

afterAll(async () => {
  await disconnectDatabase();
  await engine.stop();
});

test('stores each file once, by its content', async () => {
  expect(await mongoose.connection.db?.collection('media.files').countDocuments()).toBe(4);
  await new GridFsStorage(() => mongoose.connection.db).putFile(path.join(fixture, 'media', 'clip.mp3'));
  expect(await mongoose.connection.db?.collection('media.files').countDocuments()).toBe(4);
});

test('sends the whole file, with its type and nosniff', async () => {
  const response = await supertest(app).get(`/media/${audio.media.assetId}`).buffer(true);
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toBe('audio/mpeg');
  expect(response.headers['x-content-type-options']).toBe('nosniff');
  expect(response.headers['accept-ranges']).toBe('bytes');
  expect(Buffer.compare(response.body as Buffer, clip)).toBe(0);
});

test('sends a range, a suffix range, and refuses a range past the end', async () => {
  const part = await supertest(app).get(`/media/${audio.media.assetId}`).set('Range', 'bytes=100-199').buffer(true);
  expect(part.status).toBe(206);
  expect(part.headers['content-range']).toBe(`bytes 100-199/${clip.length}`);
  expect(Buffer.compare(part.body as Buffer, clip.subarray(100, 200))).toBe(0);
  const tail = await supertest(app).get(`/media/${audio.media.assetId}`).set('Range', 'bytes=-50').buffer(true);
  expect(Buffer.compare(tail.body as Buffer, clip.subarray(clip.length - 50))).toBe(0);
  const past = await supertest(app).get(`/media/${audio.media.assetId}`).set('Range', `bytes=${clip.length}-`);
  expect(past.status).toBe(416);
  expect(past.headers['content-range']).toBe(`bytes */${clip.length}`);
});

test('answers 304 when the browser already has it', async () => {
  const first = await supertest(app).get(`/media/${audio.media.assetId}`);
  const again = await supertest(app).get(`/media/${audio.media.assetId}`).set('If-None-Match', first.headers.etag ?? '');
  expect(again.status).toBe(304);
});

test('reads the Range header forms media players send', () => {
  expect(parseByteRange('bytes=0-', 1000)).toEqual({ start: 0, end: 999 });
  expect(parseByteRange('bytes=10-20', 1000)).toEqual({ start: 10, end: 20 });
  expect(parseByteRange('bytes=990-5000', 1000)).toEqual({ start: 990, end: 999 });
  expect(parseByteRange('bytes=-100', 1000)).toEqual({ start: 900, end: 999 });
  expect(parseByteRange('bytes=1000-', 1000)).toBe('unsatisfiable');
  expect(parseByteRange('bytes=0-1,5-6', 1000)).toBeNull();
  expect(parseByteRange(undefined, 1000)).toBeNull();
});
