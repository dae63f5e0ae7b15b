/**
 * Backup, restore and copy (issue 16), through the driver, on the embedded engine or a real MongoDB 7
 * (TEST_MONGODB_URI): a dump taken while writers keep writing holds everything acknowledged before it started
 * and (on the engine) one instant of every collection; the restore equals the dump, indexes and options
 * included; a mongodump-made folder loads; a copy to a second engine checks counts and checksums.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BSON, EJSON } from 'bson';
import { Binary, Decimal128, Double, Int32, Long, MongoClient, ObjectId, type Db, type Document } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../server/db/embedded';
import { copyDatabase } from '../../server/db/tools/copy';
import { dumpDatabase } from '../../server/db/tools/dump';
import { readBsonFile } from '../../server/db/tools/layout';
import { Checksum, verifyCollection } from '../../server/db/tools/load';
import { restoreDump } from '../../server/db/tools/restore';
import { EXACT_BSON } from '../../server/db/tools/snapshot';
import { startTarget, type Target } from './target';

let target: Target;
let client: MongoClient;
let work: string;
/** Databases made here besides the target's own, dropped at the end on a real MongoDB. */
const extraDatabases: string[] = [];

beforeAll(async () => {
  target = await startTarget('backup');
  client = await MongoClient.connect(target.uri);
  work = await fsp.mkdtemp(path.join(os.tmpdir(), 'backup-test-'));
});

afterAll(async () => {
  for (const name of extraDatabases) await client.db(name).dropDatabase();
  await client.close();
  await target.stop();
  await fsp.rm(work, { recursive: true, force: true });
});

function otherDatabase(suffix: string): string {
  const name = `${target.dbName}_${suffix}`;
  extraDatabases.push(name);
  return name;
}

/** Every document of a collection with its exact BSON types, by _id. */
async function contents(database: Db, name: string): Promise<Document[]> {
  return database.collection(name, EXACT_BSON).find({}).sort({ _id: 1 }).toArray();
}

/** The indexes as the server lists them, without what differs between servers for the same index. */
async function indexesOf(database: Db, name: string): Promise<Document[]> {
  const list = await database.collection(name).listIndexes().toArray();
  return list.map(({ v: _v, ns: _ns, ...rest }) => rest).sort((a, b) => String(a.name).localeCompare(String(b.name)));
}

async function collectionOptions(database: Db, name: string): Promise<Document> {
  const [info] = await database.listCollections({ name }).toArray();
  return (info as { options?: Document } | undefined)?.options ?? {};
}

/** A collection of every common BSON type, with several kinds of index and a collection option. */
async function seedTypes(database: Db): Promise<void> {
  await database.createCollection('people', { validator: { age: { $gte: 0 } } });
  const people = database.collection('people');
  await people.createIndex({ email: 1 }, { unique: true });
  await people.createIndex({ team: 1, age: -1 }, { name: 'team_age' });
  await people.createIndex({ nick: 1 }, { sparse: true });
  await people.createIndex({ seenAt: 1 }, { expireAfterSeconds: 3600 * 24 * 365 * 100 });
  await people.createIndex({ score: 1 }, { partialFilterExpression: { score: { $gt: 5 } } });
  await people.insertMany([
    {
      _id: new ObjectId(),
      email: 'a@example.org',
      age: new Int32(34),
      team: 'north',
      big: Long.fromString('9007199254740993'),
      money: Decimal128.fromString('12.50'),
      ratio: new Double(2),
      photo: new Binary(Buffer.from([1, 2, 3]), 0),
      pattern: /ab+c/i,
      seenAt: new Date('2026-01-02T03:04:05Z'),
      nested: { list: [1, 'two', { three: 3 }], empty: {} },
      nick: 'ay',
      score: 9,
    },
    { _id: 'text id', email: 'b@example.org', age: 0, team: 'south', nothing: null, score: 1 },
    { _id: 7, email: 'c@example.org', age: 51, team: 'north' },
  ] as Document[]);
  await database.collection('empty').createIndex({ x: 1 });
  await database.createCollection('adults', { viewOn: 'people', pipeline: [{ $match: { age: { $gte: 18 } } }] });
}

/** The view made by seedTypes answers the same in both databases. */
async function expectSameView(copy: Db, source: Db): Promise<void> {
  expect(await collectionOptions(copy, 'adults')).toEqual(await collectionOptions(source, 'adults'));
  const emails = async (database: Db) => (await database.collection('adults').find().sort({ email: 1 }).toArray()).map((d) => d.email as string);
  expect(await emails(copy)).toEqual(['a@example.org', 'c@example.org']);
  expect(await emails(source)).toEqual(['a@example.org', 'c@example.org']);
}

describe('dump and restore', () => {
  test('a dump taken while writers write holds every acknowledged write, one instant of every collection, and restores equal', async () => {
    const source = client.db(otherDatabase('live'));
    await seedTypes(source);
    await source.collection('events').createIndex({ w: 1, k: 1 }, { unique: true });
    await source.collection<{ _id: string; [key: string]: unknown }>('counters').insertOne({ _id: 'created' });

    // Each writer w repeats: insert events {w, k}, then set counters[w].k = k. At any one instant the events of w
    // are k = 0..m with no gap, and counters[w].k is m or m - 1.
    const WRITERS = 6;
    const acknowledged = new Array<number>(WRITERS).fill(-1);
    let stop = false;
    const writer = async (w: number): Promise<void> => {
      for (let k = 0; !stop; k++) {
        await source.collection<{ _id: string; [key: string]: unknown }>('events').insertOne({ _id: `${w}-${k}`, w, k, at: new Date() });
        await source.collection<{ _id: string; [key: string]: unknown }>('counters').updateOne({ _id: `w${w}` }, { $set: { k } }, { upsert: true });
        acknowledged[w] = k;
      }
    };
    const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
    // Let every writer get going before the dump.
    await waitFor(() => acknowledged.every((k) => k >= 20));
    const ackedBeforeDump = [...acknowledged];
    const out = path.join(work, 'live-dump');
    let result;
    try {
      result = await dumpDatabase(client, out, { db: source.databaseName });
    } finally {
      stop = true;
      await Promise.all(writers);
    }
    expect(acknowledged.some((k, w) => k > (ackedBeforeDump[w] as number))).toBe(true); // writes went on

    const dumped = async (name: string): Promise<Document[]> => {
      const docs: Document[] = [];
      for await (const doc of readBsonFile(path.join(out, source.databaseName, `${name}.bson`))) docs.push(doc);
      return docs;
    };
    const events = await dumped('events');
    const counters = new Map((await dumped('counters')).map((d) => [String(d._id), d]));
    for (let w = 0; w < WRITERS; w++) {
      const ks = events.filter((e) => Number(e.w) === w).map((e) => Number(e.k)).sort((a, b) => a - b);
      // Everything acknowledged before the dump started is in it.
      expect(ks.length).toBeGreaterThan(ackedBeforeDump[w] as number);
      expect(ks).toEqual(ks.map((_, i) => i));
      if (result.pointInTime) {
        const counter = Number((counters.get(`w${w}`) as Document).k);
        expect([ks.length - 1, ks.length - 2]).toContain(counter);
      }
    }
    // The engine does better than mongodump: one instant across collections. A real MongoDB is read collection
    // by collection, and the dump says so.
    expect(result.pointInTime).toBe(target.embedded);

    const metadata = EJSON.parse(await fsp.readFile(path.join(out, source.databaseName, 'people.metadata.json'), 'utf8')) as Document;
    expect(metadata).toMatchObject({ collectionName: 'people', type: 'collection', options: { validator: { age: { $gte: 0 } } } });

    const restoredName = otherDatabase('restored');
    const loaded = await restoreDump(client, out, { db: source.databaseName, toDb: restoredName });
    const restored = client.db(restoredName);
    expect(loaded.map((c) => c.name).sort()).toEqual(['adults', 'counters', 'empty', 'events', 'people']);
    await expectSameView(restored, source);
    for (const name of ['counters', 'empty', 'events', 'people']) {
      expect(byId(await contents(restored, name))).toEqual(byId(await dumped(name)));
      expect(await indexesOf(restored, name)).toEqual(await indexesOf(source, name));
    }
    // The collection that no writer touched is exactly the source, BSON types included.
    expect(await contents(restored, 'people')).toEqual(await contents(source, 'people'));
    expect(await collectionOptions(restored, 'people')).toEqual(await collectionOptions(source, 'people'));
    await expect(restored.collection('people').insertOne({ email: 'a@example.org' })).rejects.toMatchObject({ code: 11000 });
  });

  test('a restore refuses to mix into a collection that has documents, and --drop replaces it', async () => {
    const source = client.db(otherDatabase('src2'));
    await seedTypes(source);
    const out = path.join(work, 'dump-2');
    await dumpDatabase(client, out, { db: source.databaseName });
    await expect(dumpDatabase(client, out, { db: source.databaseName })).rejects.toThrow(/already holds files/);

    const into = client.db(otherDatabase('into2'));
    await into.collection('people').insertOne({ email: 'someone-else@example.org' });
    await expect(restoreDump(client, out, { db: source.databaseName, toDb: into.databaseName })).rejects.toThrow(/people already exists with 1 documents: pass --drop/);
    await restoreDump(client, out, { db: source.databaseName, toDb: into.databaseName, drop: true });
    expect(await contents(into, 'people')).toEqual(await contents(source, 'people'));
  });

  test("loads a folder in mongodump's own format (canonical Extended JSON metadata with a uuid)", async () => {
    const folder = path.join(work, 'from-mongodump', 'shop');
    await fsp.mkdir(folder, { recursive: true });
    // As mongodump 100.x writes them.
    await fsp.writeFile(
      path.join(folder, 'orders.metadata.json'),
      '{"indexes":[{"v":{"$numberInt":"2"},"key":{"_id":{"$numberInt":"1"}},"name":"_id_"},' +
        '{"v":{"$numberInt":"2"},"key":{"ref":{"$numberInt":"1"}},"name":"ref_1","unique":true}],' +
        '"uuid":"8d0b5c2e3b6a4c1f9a7e2d4c6b8a0f12","collectionName":"orders","type":"collection","options":{}}',
    );
    const docs = [
      { _id: new ObjectId('65a1b2c3d4e5f60718293a4b'), ref: 'A-1', total: Decimal128.fromString('10.00'), lines: new Int32(2) },
      { _id: new ObjectId('65a1b2c3d4e5f60718293a4c'), ref: 'A-2', total: Decimal128.fromString('3.5'), lines: new Int32(1) },
    ];
    await fsp.writeFile(path.join(folder, 'orders.bson'), Buffer.concat(docs.map((d) => BSON.serialize(d))));
    const name = otherDatabase('shop');
    const loaded = await restoreDump(client, folder, { toDb: name });
    expect(loaded).toMatchObject([{ name: 'orders', documents: 2, indexes: 2 }]);
    const orders = client.db(name).collection('orders');
    expect(await orders.find({}, EXACT_BSON).sort({ _id: 1 }).toArray()).toEqual(docs);
    await expect(orders.insertOne({ ref: 'A-1' })).rejects.toMatchObject({ code: 11000 });
  });

  test('a damaged .bson file is refused with its byte offset, loading nothing after it silently', async () => {
    const folder = path.join(work, 'damaged', 'db');
    await fsp.mkdir(folder, { recursive: true });
    const good = Buffer.from(BSON.serialize({ _id: 1 }));
    await fsp.writeFile(path.join(folder, 'things.bson'), Buffer.concat([good, good.subarray(0, 7)]));
    await expect(restoreDump(client, folder, { toDb: otherDatabase('damaged') })).rejects.toThrow(/ends in the middle of a document/);
  });
});

describe('copy to another server', () => {
  let second: EmbeddedMongo;
  let secondClient: MongoClient;

  beforeAll(async () => {
    second = await startEmbeddedMongo({ log: () => undefined });
    secondClient = await MongoClient.connect(second.uri);
  });

  afterAll(async () => {
    await secondClient.close();
    await second.stop();
  });

  test('copies every collection with its indexes and options, and checks counts and checksums', async () => {
    const source = client.db(otherDatabase('copysrc'));
    await seedTypes(source);
    await source.collection('many').insertMany(Array.from({ length: 2500 }, (_, n) => ({ n, text: `row ${n}` })));
    const result = await copyDatabase(client, secondClient, { db: source.databaseName });
    expect(result.pointInTime).toBe(target.embedded);
    expect(result.collections.map((c) => [c.name, c.documents])).toEqual(
      expect.arrayContaining([['people', 3], ['many', 2500], ['empty', 0]]),
    );
    const copied = secondClient.db(source.databaseName);
    for (const name of ['people', 'many', 'empty']) {
      expect(await contents(copied, name)).toEqual(await contents(source, name));
      expect(await indexesOf(copied, name)).toEqual(await indexesOf(source, name));
    }
    expect(await collectionOptions(copied, 'people')).toEqual(await collectionOptions(source, 'people'));
    await expectSameView(copied, source);

    // A second copy does not mix into the data now there; with drop it replaces it.
    await expect(copyDatabase(client, secondClient, { db: source.databaseName })).rejects.toThrow(/already exists/);
    await copyDatabase(client, secondClient, { db: source.databaseName, drop: true });
    expect(await copied.collection('many').countDocuments()).toBe(2500);

    // The check finds a difference: one changed document on the target.
    await copied.collection('many').updateOne({ n: 5 }, { $set: { text: 'changed' } });
    const checksum = new Checksum();
    for (const doc of await contents(source, 'many')) checksum.add(doc);
    const problem = await verifyCollection(copied, { db: copied.databaseName, name: 'many', type: 'collection', documents: 2500, indexes: 1, checksum: checksum.hex });
    expect(problem).toMatch(/documents differ from the source/);
  });
});

/** Documents in one order whatever the server's: by their _id as Extended JSON. */
function byId(docs: Document[]): Document[] {
  const key = (doc: Document): string => EJSON.stringify({ id: doc._id as unknown });
  return [...docs].sort((a, b) => key(a).localeCompare(key(b)));
}

/** Waits for a condition by polling on the event loop (no fixed sleeps). */
async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}
