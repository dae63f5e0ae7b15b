/** The engine on a dbPath: what was acknowledged is there after a restart, catalog changes included. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Long, MongoClient } from 'mongodb';
import { startEmbeddedMongo } from './index';
import { DatabaseLockedError } from './storage/journal';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'engine-durability-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function withEngine<T>(dbPath: string, work: (client: MongoClient) => Promise<T>, extra: { compactMinBytes?: number } = {}): Promise<T> {
  const engine = await startEmbeddedMongo({ dbPath, log: () => undefined, ...extra });
  const client = await MongoClient.connect(engine.uri);
  try {
    return await work(client);
  } finally {
    await client.close();
    await engine.stop();
  }
}

test('documents, updates, deletes, indexes and renames survive a restart', async () => {
  const dbPath = path.join(dir, 'db');
  await withEngine(dbPath, async (client) => {
    const db = client.db('app');
    const people = db.collection('people');
    await people.createIndex({ email: 1 }, { unique: true });
    await people.insertMany([
      { email: 'a@example.org', visits: 1, big: Long.fromString('9007199254740993') },
      { email: 'b@example.org', visits: 1 },
      { email: 'c@example.org', visits: 1 },
    ]);
    await people.updateOne({ email: 'a@example.org' }, { $inc: { visits: 4 } });
    await people.deleteOne({ email: 'b@example.org' });
    await db.collection('scratch').insertOne({ x: 1 });
    await db.collection('scratch').rename('kept');
    await db.collection('gone').insertOne({ x: 1 });
    await db.collection('gone').drop();
  });
  await withEngine(dbPath, async (client) => {
    const db = client.db('app');
    const people = db.collection('people');
    const all = await people.find({}, { projection: { _id: 0 }, promoteLongs: false }).sort({ email: 1 }).toArray();
    expect(all).toEqual([
      { email: 'a@example.org', visits: 5, big: Long.fromString('9007199254740993') },
      { email: 'c@example.org', visits: 1 },
    ]);
    expect((await people.indexes()).map((ix) => ix.name)).toEqual(['_id_', 'email_1']);
    await expect(people.insertOne({ email: 'c@example.org' })).rejects.toMatchObject({ code: 11000 });
    const names = (await db.listCollections().toArray()).map((c) => c.name).sort();
    expect(names).toEqual(['kept', 'people']);
  });
});

test('an insert batch larger than one BSON document is journaled and replayed whole', async () => {
  const dbPath = path.join(dir, 'db');
  const chunk = 'x'.repeat(1024 * 1024);
  await withEngine(dbPath, async (client) => {
    await client.db('app').collection('files').insertMany(Array.from({ length: 30 }, (_, i) => ({ i, chunk })));
    // The driver splits its own batches; $out writes all 30 MB as one insert in the engine.
    await client.db('app').collection('files').aggregate([{ $match: {} }, { $out: 'copies' }]).toArray();
  });
  await withEngine(dbPath, async (client) => {
    expect(await client.db('app').collection('files').countDocuments()).toBe(30);
    expect(await client.db('app').collection('copies').countDocuments()).toBe(30);
  });
});

test('serverStatus reports the journal counters (one flush per lone acknowledged write)', async () => {
  await withEngine(path.join(dir, 'db'), async (client) => {
    const flushes = async (): Promise<number> => ((await client.db('admin').admin().serverStatus()).embeddedJournal as { flushes: number }).flushes;
    const before = await flushes();
    for (let i = 0; i < 5; i++) await client.db('app').collection('one').insertOne({ i });
    // The first insert also creates the collection: same command, same flush.
    expect((await flushes()) - before).toBe(5);
  });
});

test('a second engine on the same dbPath is refused while the first runs', async () => {
  const dbPath = path.join(dir, 'db');
  const first = await startEmbeddedMongo({ dbPath, log: () => undefined });
  try {
    await expect(startEmbeddedMongo({ dbPath, log: () => undefined })).rejects.toBeInstanceOf(DatabaseLockedError);
  } finally {
    await first.stop();
  }
});

test('compaction keeps the data and the journal shrinks back towards the live size', async () => {
  const dbPath = path.join(dir, 'db');
  const { stat } = await import('node:fs/promises');
  await withEngine(
    dbPath,
    async (client) => {
      const c = client.db('app').collection('counters');
      await c.insertOne({ _id: 'hits' as never, n: 0, pad: 'x'.repeat(4000) });
      for (let i = 0; i < 100; i++) await c.updateOne({ _id: 'hits' as never }, { $inc: { n: 1 } });
    },
    { compactMinBytes: 64 * 1024 },
  );
  const size = (await stat(path.join(dbPath, 'journal'))).size;
  // 101 records of ~4 KB each would be ~400 KB without compaction.
  expect(size).toBeLessThan(150 * 1024);
  await withEngine(dbPath, async (client) => {
    expect(await client.db('app').collection('counters').findOne({ _id: 'hits' as never })).toMatchObject({ n: 100 });
  });
});
