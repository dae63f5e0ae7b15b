/**
 * Fail-stop (issue 16): a journal write or fdatasync that fails is fatal. The failed write is never acknowledged
 * nor seen by a later read, the engine answers nothing more, its owner is told (to exit non-zero), and after a
 * restart every acknowledged write is there and the failed ones are not. Faults come from a file layer that
 * fails on demand; test/engine-crash/full-disk.test.ts does the same on a real full disk.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MongoClient, type MongoServerError } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo } from './index';
import { FaultyFiles } from '../../../test/support/faulty-files';
import { Journal } from './storage/journal';

let dir: string;
const open: Array<{ close(): Promise<void> }> = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'engine-fail-stop-'));
});

afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close();
  await rm(dir, { recursive: true, force: true });
});

interface Started {
  engine: EmbeddedMongo;
  client: MongoClient;
  fatal: Error[];
  logs: string[];
}

async function start(files?: FaultyFiles): Promise<Started> {
  const fatal: Error[] = [];
  const logs: string[] = [];
  const engine = await startEmbeddedMongo({ dbPath: dir, files, onFatal: (error) => fatal.push(error), log: (line) => logs.push(line) });
  open.push({ close: () => engine.stop() });
  // No retries: each operation reaches the engine once, so what it answered is what the test sees.
  const client = await MongoClient.connect(engine.uri, { retryWrites: false, retryReads: false, serverSelectionTimeoutMS: 2000 });
  open.push({ close: () => client.close() });
  return { engine, client, fatal, logs };
}

async function restartAndRead(): Promise<{ docs: Array<{ _id: unknown; n: number }> }> {
  const engine = await startEmbeddedMongo({ dbPath: dir, log: () => undefined });
  const client = await MongoClient.connect(engine.uri);
  const docs = await client.db('app').collection<{ _id: unknown; n: number }>('things').find().sort({ n: 1 }).toArray();
  await client.close();
  await engine.stop();
  return { docs };
}

test('a failed fdatasync: the write is refused, nothing more is answered, and a restart has every acknowledged write', async () => {
  const files = new FaultyFiles();
  const { engine, client, fatal, logs } = await start(files);
  const things = client.db('app').collection('things');
  for (let n = 0; n < 5; n++) await things.insertOne({ n });
  await things.updateOne({ n: 4 }, { $set: { updated: true } });

  files.fail('datasync', 'EIO');
  const failed = await things.insertOne({ n: 100 }).then(() => null, (error: MongoServerError) => error);
  expect(failed).toMatchObject({ code: 1 });
  expect(failed?.message).toMatch(/journal failure.*EIO/);
  expect(fatal).toHaveLength(1);
  expect(fatal[0]?.message).toMatch(/EIO/);
  expect(logs.some((line) => /FATAL.*EIO/.test(line))).toBe(true);

  // The failed write is in memory but nothing can read it: every command is refused, ping included.
  await expect(things.findOne({ n: 100 })).rejects.toMatchObject({ code: 1 });
  await expect(things.countDocuments()).rejects.toMatchObject({ code: 1 });
  await expect(client.db('admin').command({ ping: 1 })).rejects.toMatchObject({ code: 1 });
  await expect(things.insertOne({ n: 101 })).rejects.toMatchObject({ code: 1 });
  expect(fatal).toHaveLength(1);
  expect(files.raised.datasync).toBe(1); // nothing more was written after the failure

  await client.close();
  await engine.stop();
  const after = await restartAndRead();
  expect(after.docs.map((d) => d.n)).toEqual([0, 1, 2, 3, 4]);
  expect(after.docs[4]).toMatchObject({ updated: true });
});

test('concurrent writers when the disk fails: each write is acknowledged only if it survives the restart', async () => {
  const files = new FaultyFiles();
  const { engine, client, fatal } = await start(files);
  const things = client.db('app').collection('things');
  await things.insertOne({ n: -1 });
  // A few commit groups succeed, then a flush fails while other writers wait for the next one.
  files.fail('datasync', 'EIO', 3);
  const outcomes = await Promise.all(
    Array.from({ length: 40 }, (_, n) => things.insertOne({ n }).then(() => 'acknowledged' as const, () => 'refused' as const)),
  );
  const acknowledged = outcomes.flatMap((outcome, n) => (outcome === 'acknowledged' ? [n] : []));
  expect(outcomes).toContain('refused');
  expect(fatal).toHaveLength(1);

  await client.close();
  await engine.stop();
  const after = await restartAndRead();
  expect(after.docs.map((d) => d.n)).toEqual([-1, ...acknowledged]);
});

test('a disk that fills mid-write: the partial record is cut off or dropped as a torn tail, never replayed', async () => {
  const files = new FaultyFiles();
  const { engine, client, fatal } = await start(files);
  const things = client.db('app').collection('things');
  await things.insertMany([{ n: 0 }, { n: 1 }]);
  // The truncate that would cut the partial frame off fails too: the restart must drop it as a torn tail.
  files.fail('write', 'ENOSPC');
  files.fail('truncate', 'ENOSPC');
  await expect(things.insertOne({ n: 2, text: 'x'.repeat(5000) })).rejects.toMatchObject({ code: 1 });
  expect(fatal[0]?.message).toMatch(/ENOSPC/);
  expect(files.raised.write).toBe(1);

  await client.close();
  await engine.stop();
  const after = await restartAndRead();
  expect(after.docs.map((d) => d.n)).toEqual([0, 1]);
});

test('the journal itself: after a failed fdatasync it is marked failed, refuses appends and cuts the failed bytes off', async () => {
  const files = new FaultyFiles();
  const journal = await Journal.open(dir, { files });
  await journal.replay(() => undefined);
  await journal.append(Buffer.from('kept'));
  const sizeBefore = journal.sizeBytes;
  files.fail('datasync', 'EIO');
  await expect(journal.append(Buffer.from('lost'))).rejects.toMatchObject({ code: 'EIO' });
  expect(journal.failed?.message).toMatch(/EIO/);
  await expect(journal.append(Buffer.from('later'))).rejects.toThrow(/stopped accepting writes.*EIO/);
  expect(journal.sizeBytes).toBe(sizeBefore);
  await journal.close();

  const reopened = await Journal.open(dir);
  const records: string[] = [];
  const result = await reopened.replay((payload) => records.push(payload.toString()));
  await reopened.close();
  expect(records).toEqual(['kept']);
  expect(result.droppedTailBytes).toBe(0);
});
