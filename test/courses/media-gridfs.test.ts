/**
 * Media kept in GridFS (the choice when MONGODB_URI names a shared MongoDB), here on the in-memory engine:
 * the import stores files once by content, and the media route streams them with the same Range rules
 * that Express's sendFile applies to files on disk.
 */
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { loadConfig } from '../../server/config';
import { Asset } from '../../server/media/model';
import { createMediaService, createServableAssetCache } from '../../server/media/service';
import express from 'express';
import mongoose from 'mongoose';
import supertest from 'supertest';
import { connectDatabase, disconnectDatabase } from '../../server/db/connection';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../server/db/embedded/index';
import type { MediaBlock } from '../../server/courses/types';
import { GridFsStorage } from '../../server/media/gridfs-storage';
import { mediaRouter } from '../../server/media/routes';
import { parseByteRange } from '../../server/media/send';
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

describe('uploads into GridFS (media.storeUpload)', () => {
  const incomingDir = path.join(os.tmpdir(), `coproduce-gridfs-incoming-${process.pid}`);
  afterAll(async () => {
    await rm(incomingDir, { recursive: true, force: true });
  });
  const uploadMedia = () =>
    createMediaService({
      storage: new GridFsStorage(() => mongoose.connection.db),
      servableAssets: createServableAssetCache(),
      uploads: { incomingDir, limits: loadConfig({ NODE_ENV: 'test' }).uploadLimits },
    });
  const counts = async () => ({
    files: await mongoose.connection.db?.collection('media.files').countDocuments(),
    chunks: await mongoose.connection.db?.collection('media.chunks').countDocuments(),
    records: await Asset.countDocuments(),
  });

  test('stores a picture without its metadata and its smaller copies, and discarding it removes them all', async () => {
    const media = uploadMedia();
    const before = await counts();
    const photo = await sharp({ create: { width: 700, height: 400, channels: 3, background: { r: 10, g: 200, b: 90 } } })
      .jpeg()
      .withExif({ IFD0: { Make: 'PhoneMaker' } })
      .toBuffer();
    const asset = await media.storeUpload({ stream: Readable.from([photo]), originalName: 'p.jpg', kind: 'image', uploadedBy: '0123456789abcdef01234567' });
    expect(asset.widths).toEqual([320, 640, 700]);
    const record = await Asset.findById(asset.assetId).lean();
    const stream = await media.storage.openRead(record?.storageKey ?? '');
    const chunks: Buffer[] = [];
    for await (const chunk of stream ?? []) chunks.push(chunk as Buffer);
    const stored = Buffer.concat(chunks);
    expect((await sharp(stored).metadata()).exif).toBeUndefined();
    expect(stored.includes('PhoneMaker')).toBe(false);
    expect((await counts()).files).toBe((before.files ?? 0) + 3);
    await media.discardUpload(asset.assetId);
    expect(await counts()).toEqual(before);
  });

  test('a refused upload leaves no file, no chunk and no record', async () => {
    const media = uploadMedia();
    const before = await counts();
    await expect(
      media.storeUpload({ stream: Readable.from([clip]), originalName: 'clip.mp3', kind: 'video', uploadedBy: '0123456789abcdef01234567' }),
    ).rejects.toMatchObject({ fields: { file: expect.stringMatching(/^"clip\.mp3" was not accepted: its content is audio\/mpeg/) } });
    expect(await counts()).toEqual(before);
  });
});
