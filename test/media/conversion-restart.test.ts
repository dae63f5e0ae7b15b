/**
 * Conversions are durable: an upload whose conversion never started (no scheduler in that process), one that a
 * stopping process gave back, and one held by a process that died are all finished after a restart, by the
 * job scheduler of the next process on the same database and files.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Asset } from '../../server/media/model';
import { csrfFrom, startTestApp, type TestApp } from '../support/app';
import { makeClip } from './support/clips';

let root: string;
let dbPath: string;
let dataDir: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'coproduce-restart-'));
  dbPath = path.join(root, 'db');
  dataDir = path.join(root, 'data');
  await mkdir(dbPath, { recursive: true });
  await mkdir(dataDir, { recursive: true });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function start(jobs: boolean): Promise<TestApp> {
  return startTestApp({ engine: { dbPath }, dataDir, ...(jobs ? { jobs: { processEveryMs: 100, lockLifetimeMs: 2_000 } } : {}) });
}

async function playbackOf(assetId: string) {
  return (await Asset.findById(assetId).lean())?.playback ?? null;
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('queued, given back and abandoned conversions all finish after a restart', async () => {
  // 1. A process without a scheduler takes uploads: they wait, queued.
  let t = await start(false);
  const { agent, user } = await t.signedInAgent({ roles: ['trainer'] });
  const token = csrfFrom((await agent.get('/media/uploads').set('Accept', 'text/html')).text);
  const send = async (name: string, bytes: Buffer, kind: string) =>
    (await agent.post('/media/uploads').set('Accept', 'application/json').field('_csrf', token).field('kind', kind).attach('file', bytes, name)).body.asset
      .assetId as string;
  const waiting = await send('waiting.flac', (await makeClip('flac', 1)).bytes, 'audio');
  const abandoned = await send('abandoned.amr', (await makeClip('amr', 1)).bytes, 'audio');
  expect((await playbackOf(waiting))?.status).toBe('queued');
  // Without JavaScript the page says so and offers a plain link to look again.
  const page = await agent.get(`/media/uploads?uploaded=${waiting}`).set('Accept', 'text/html');
  expect(page.text).toContain('Waiting to be changed into a form every browser can play.');
  expect(page.text).toContain(`<a href="/media/uploads?uploaded=${waiting}">Check again</a>`);
  expect(page.text).not.toMatch(/<(audio|video) /);
  // As a process that died mid-conversion leaves it: converting, its heartbeat long silent.
  await Asset.updateOne(
    { _id: abandoned },
    { $set: { 'playback.status': 'converting', 'playback.claimedBy': 'a-dead-process', 'playback.heartbeatAt': new Date(Date.now() - 60 * 60_000) } },
  );
  await t.stop();

  // 2. A process with a scheduler starts, resumes both, and is stopped in the middle of a long conversion.
  t = await start(true);
  await until(() => playbackOf(waiting), (playback) => playback?.status === 'ready', 'the queued conversion');
  await until(() => playbackOf(abandoned), (playback) => playback?.status === 'ready', 'the abandoned conversion');
  const agent2 = t.request();
  await t.signIn(agent2, user.email, user.password);
  const token2 = csrfFrom((await agent2.get('/media/uploads').set('Accept', 'text/html')).text);
  const long = (
    await agent2
      .post('/media/uploads')
      .set('Accept', 'application/json')
      .field('_csrf', token2)
      .field('kind', 'video')
      .attach('file', (await makeClip('hevc-mov', 120)).bytes, 'long.mov')
  ).body.asset.assetId as string;
  // Long enough (120 s of video) that even a quiet machine is still converting it when the process stops.
  await until(() => playbackOf(long), (playback) => playback?.status === 'converting' && playback.progress > 0, 'the long conversion to start');
  await t.services.media.conversion?.stop();
  // Given back, not failed: the next process takes it.
  expect(await playbackOf(long)).toMatchObject({ status: 'queued', claimedBy: null });
  await t.stop();

  // 3. The next start finishes it.
  t = await start(true);
  const finished = await until(() => playbackOf(long), (playback) => playback?.status === 'ready', 'the given-back conversion');
  expect(finished?.progress).toBe(1);
  await t.stop();
}, 180_000);
