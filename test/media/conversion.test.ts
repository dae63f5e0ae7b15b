/**
 * Audio and video that browsers cannot all play get a playable copy from ffmpeg in a background job on the
 * durable scheduler: H.264/AAC MP4 for video, AAC (MP4) for audio. The original stays for the team, progress
 * and the outcome show on the upload page, a failure gives a clear message, two runs never convert one asset at
 * once, and no temporary file is left behind. The clips are made here by the app's own ffmpeg binary.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import mongoose from 'mongoose';
import { GridFsStorage } from '../../server/media/gridfs-storage';
import { createMediaService, createServableAssetCache } from '../../server/media/service';
import { Asset } from '../../server/media/model';
import { createMediaConversion } from '../../server/media/conversion';
import { ffmpegPath } from '../../server/media/ffmpeg';
import { createLogger } from '../../server/web/logging';
import { csrfFrom, startTestApp, type TestAgent, type TestApp } from '../support/app';
import { describeClip, makeClip } from './support/clips';

let t: TestApp;
let author: TestAgent;
let token: string;

beforeAll(async () => {
  t = await startTestApp({ jobs: { processEveryMs: 100, lockLifetimeMs: 2_000 } });
  const signedIn = await t.signedInAgent({ roles: ['co-facilitator'] });
  author = signedIn.agent;
  token = csrfFrom((await author.get('/media/uploads').set('Accept', 'text/html')).text);
});

afterAll(async () => {
  await t.stop();
});

function upload(kind: string, name: string, bytes: Buffer) {
  return author.post('/media/uploads').set('Accept', 'application/json').field('_csrf', token).field('kind', kind).attach('file', bytes, name);
}

interface ConversionJson {
  status: string;
  percent: number;
  targetMimeType: string;
  failure: string | null;
}

/** Waits (polling the page's own status address) until the conversion is no longer queued or converting. */
async function conversionSettles(assetId: string): Promise<ConversionJson> {
  const deadline = Date.now() + 60_000;
  const seen: number[] = [];
  for (;;) {
    const response = await author.get(`/media/uploads/${assetId}/conversion`).set('Accept', 'application/json');
    expect(response.status).toBe(200);
    const conversion = response.body.conversion as ConversionJson;
    seen.push(conversion.percent);
    if (conversion.status !== 'queued' && conversion.status !== 'converting') return conversion;
    if (Date.now() > deadline) throw new Error(`The conversion of ${assetId} did not finish: ${JSON.stringify(conversion)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function incomingFiles(): Promise<string[]> {
  return readdir(path.join(t.config.dataDir, 'media', '.incoming')).catch(() => []);
}

function binary(agentRequest: ReturnType<TestAgent['get']>) {
  return agentRequest.buffer(true).parse((res, callback) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => callback(null, Buffer.concat(chunks)));
  });
}

test('the ffmpeg of @ffmpeg-installer runs here', () => {
  expect(ffmpegPath()).toMatch(/ffmpeg$/);
});

describe('a phone video (HEVC in a .mov)', () => {
  let assetId: string;
  let original: Buffer;

  beforeAll(async () => {
    const clip = await makeClip('hevc-mov', 2);
    original = clip.bytes;
    expect(await describeClip(original, clip.name)).toMatch(/Video: hevc/);
    const response = await upload('video', 'IMG_0420.MOV', original);
    expect(response.status).toBe(201);
    assetId = response.body.asset.assetId as string;
    expect(response.body.asset.mimeType).toBe('video/quicktime');
    expect(response.body.asset.conversion).toMatchObject({ status: 'queued', targetMimeType: 'video/mp4' });
  });

  test('is converted to H.264/AAC MP4 in the background, and learners would get that copy', async () => {
    const conversion = await conversionSettles(assetId);
    expect(conversion).toEqual({ status: 'ready', percent: 100, targetMimeType: 'video/mp4', failure: null });
    const played = await binary(author.get(`/media/${assetId}`));
    expect(played.status).toBe(200);
    expect(played.headers['content-type']).toBe('video/mp4');
    expect(played.headers['content-disposition']).toContain('IMG_0420.mp4');
    const described = await describeClip(played.body as Buffer, 'played.mp4');
    expect(described).toMatch(/Video: h264/);
    expect(described).toMatch(/Audio: aac/);
    expect(described).toMatch(/Duration: 00:00:0[12]\./);
  });

  test('the original stays, byte for byte, for the team', async () => {
    const kept = await binary(author.get(`/media/${assetId}?original=1`));
    expect(kept.status).toBe(200);
    expect(kept.headers['content-type']).toBe('video/quicktime');
    expect(Buffer.compare(kept.body as Buffer, original)).toBe(0);
  });

  test('the playable copy answers Range requests with the right bytes', async () => {
    const whole = (await binary(author.get(`/media/${assetId}`))).body as Buffer;
    const part = await binary(author.get(`/media/${assetId}`).set('Range', 'bytes=10-209'));
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 10-209/${whole.length}`);
    expect(Buffer.compare(part.body as Buffer, whole.subarray(10, 210))).toBe(0);
  });

  test('the upload page says it is ready, and no temporary file is left', async () => {
    const page = await author.get(`/media/uploads?uploaded=${assetId}`).set('Accept', 'text/html');
    expect(page.text).toContain('Ready to play in every browser');
    expect(await incomingFiles()).toEqual([]);
  });

  test('someone outside its team can read neither its progress, nor the copy, nor the original', async () => {
    const other = await t.signedInAgent({ roles: ['co-facilitator'] });
    expect((await other.agent.get(`/media/uploads/${assetId}/conversion`).set('Accept', 'application/json')).status).toBe(404);
    expect((await other.agent.get(`/media/${assetId}`).set('Accept', 'text/html')).status).toBe(404);
    expect((await other.agent.get(`/media/${assetId}?original=1`).set('Accept', 'text/html')).status).toBe(404);
  });
});

test.each([
  ['flac', 'recording.flac', 'audio/flac'],
  ['amr', 'voice-memo.amr', 'audio/amr'],
] as const)('%s audio becomes AAC in MP4', async (form, name, storedType) => {
  const clip = await makeClip(form, 2);
  const response = await upload('audio', name, clip.bytes);
  expect(response.status).toBe(201);
  expect(response.body.asset.mimeType).toBe(storedType);
  const assetId = response.body.asset.assetId as string;
  expect(await conversionSettles(assetId)).toMatchObject({ status: 'ready', targetMimeType: 'audio/mp4' });
  const played = await binary(author.get(`/media/${assetId}`));
  expect(played.headers['content-type']).toBe('audio/mp4');
  expect(await describeClip(played.body as Buffer, 'played.m4a')).toMatch(/Audio: aac/);
});

test('H.264/AAC in an MKV is copied into MP4 without re-encoding', async () => {
  const clip = await makeClip('h264-mkv', 2);
  const response = await upload('video', clip.name, clip.bytes);
  expect(response.status).toBe(201);
  expect(await conversionSettles(response.body.asset.assetId as string)).toMatchObject({ status: 'ready', targetMimeType: 'video/mp4' });
});

test('MP3 and H.264 MP4 play everywhere as they are: no conversion', async () => {
  for (const form of ['mp3', 'h264-mp4'] as const) {
    const clip = await makeClip(form, 1);
    const response = await upload(form === 'mp3' ? 'audio' : 'video', clip.name, clip.bytes);
    expect(response.status).toBe(201);
    expect(response.body.asset.conversion).toBeNull();
  }
});

test('a file that starts like a video but is not one is refused, leaving nothing', async () => {
  const clip = await makeClip('h264-mp4', 1);
  const broken = Buffer.concat([clip.bytes.subarray(0, 64), Buffer.alloc(70_000, 7)]);
  const before = await Asset.countDocuments();
  const response = await upload('video', 'broken.mp4', broken);
  expect(response.status).toBe(422);
  expect(response.body.error.fields.file).toBe('"broken.mp4" was not accepted: it could not be read as a video; it may be damaged.');
  expect(await Asset.countDocuments()).toBe(before);
  expect(await incomingFiles()).toEqual([]);
});

describe('the job', () => {
  /** A queued asset, as an upload leaves it before its job runs. */
  async function queuedAsset(): Promise<string> {
    const clip = await makeClip('flac', 1);
    const response = await upload('audio', 'again.flac', clip.bytes);
    const assetId = response.body.asset.assetId as string;
    await conversionSettles(assetId);
    await Asset.updateOne({ _id: assetId }, { $set: { 'playback.status': 'queued', 'playback.progress': 0, 'playback.storageKey': null, 'playback.sha256': null } });
    return assetId;
  }

  function capturingLogger() {
    const lines: Array<{ msg?: string }> = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(JSON.parse(chunk.toString()) as { msg?: string });
        callback();
      },
    });
    return { lines, logger: createLogger('info', destination) };
  }

  test('two processes asked to convert one asset at once: only one converts it', async () => {
    const assetId = await queuedAsset();
    const incomingDir = path.join(t.config.dataDir, 'media', '.incoming');
    const a = capturingLogger();
    const b = capturingLogger();
    const storage = t.services.media.storage;
    const first = createMediaConversion({ storage, incomingDir, ffmpeg: ffmpegPath(), logger: a.logger });
    const second = createMediaConversion({ storage, incomingDir, ffmpeg: ffmpegPath(), logger: b.logger });
    await Promise.all([first.convertAsset(assetId), second.convertAsset(assetId)]);
    const converted = [...a.lines, ...b.lines].filter((line) => line.msg === 'media converted');
    expect(converted).toHaveLength(1);
    expect((await Asset.findById(assetId).lean())?.playback?.status).toBe('ready');
  });

  test('a failed conversion is recorded with a clear message, shown on the upload page; the original stays', async () => {
    const assetId = await queuedAsset();
    const failing = createMediaConversion({
      storage: t.services.media.storage,
      incomingDir: path.join(t.config.dataDir, 'media', '.incoming'),
      // A binary that reads nothing: ffmpeg failing on a file.
      ffmpeg: '/bin/false',
    });
    await failing.convertAsset(assetId);
    const conversion = (await author.get(`/media/uploads/${assetId}/conversion`).set('Accept', 'application/json')).body.conversion as ConversionJson;
    expect(conversion.status).toBe('failed');
    expect(conversion.failure).toContain('could not be changed into a form every browser can play. The original file is kept.');
    const page = await author.get(`/media/uploads?uploaded=${assetId}`).set('Accept', 'text/html');
    expect(page.text).toContain('could not be changed into a form every browser can play');
    expect((await author.get(`/media/${assetId}`)).headers['content-type']).toBe('audio/flac');
    expect(await incomingFiles()).toEqual([]);
  });
});

test('with GridFS storage the original is copied out to convert it, and the copy goes into GridFS', async () => {
  const storage = new GridFsStorage(() => mongoose.connection.db);
  const incomingDir = path.join(t.config.dataDir, 'gridfs-incoming');
  const conversion = createMediaConversion({ storage, incomingDir, ffmpeg: ffmpegPath() });
  const media = createMediaService({ storage, servableAssets: createServableAssetCache(), uploads: { incomingDir, limits: t.config.uploadLimits }, conversion });
  const clip = await makeClip('flac', 1);
  const stored = await media.storeUpload({ stream: Readable.from([clip.bytes]), originalName: 'grid.flac', kind: 'audio', uploadedBy: '0123456789abcdef01234567' });
  expect(stored.conversion?.status).toBe('queued');
  expect(await storage.localPath()).toBeNull();
  await conversion.convertAsset(stored.assetId);
  const playback = (await Asset.findById(stored.assetId).lean())?.playback;
  expect(playback?.status).toBe('ready');
  const stream = await storage.openRead(playback?.storageKey ?? '');
  const chunks: Buffer[] = [];
  for await (const chunk of stream ?? []) chunks.push(chunk as Buffer);
  expect(await describeClip(Buffer.concat(chunks), 'grid.m4a')).toMatch(/Audio: aac/);
  expect(await readdir(incomingDir)).toEqual([]);
});
