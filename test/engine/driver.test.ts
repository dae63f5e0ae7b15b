/** The official driver against the engine: cursors, errors, numeric types, explain, updates, projections. */
import { Decimal128, Double, Int32, Long, MongoClient, MongoServerError, type Db } from 'mongodb';
import { serverError, startTarget, type Target } from './target';

let target: Target;
let client: MongoClient;
let db: Db;

beforeAll(async () => {
  target = await startTarget('driver');
  client = await MongoClient.connect(target.uri);
  db = client.db(target.dbName);
});

afterAll(async () => {
  await client.close();
  await target.stop();
});

describe('cursors', () => {
  test('walks a large result over many getMore batches, in order', async () => {
    const items = db.collection('items');
    await items.insertMany(Array.from({ length: 1234 }, (_, i) => ({ n: i, even: i % 2 === 0 })));
    const cursor = items.find({ even: true }, { batchSize: 50 }).sort({ n: -1 });
    const seen: number[] = [];
    for await (const doc of cursor) seen.push(doc.n as number);
    expect(seen).toHaveLength(617);
    expect(seen[0]).toBe(1232);
    expect(seen.at(-1)).toBe(0);
    expect(seen.every((n, i) => i === 0 || n < (seen[i - 1] as number))).toBe(true);
  });

  test('skips, limits and projects', async () => {
    const docs = await db
      .collection('items')
      .find({ n: { $lt: 10 } }, { projection: { _id: 0, n: 1 } })
      .sort({ n: 1 })
      .skip(2)
      .limit(3)
      .toArray();
    expect(docs).toEqual([{ n: 2 }, { n: 3 }, { n: 4 }]);
  });

  test('an aggregate cursor also spans batches', async () => {
    const out = await db
      .collection('items')
      .aggregate([{ $match: { n: { $gte: 1000 } } }, { $project: { _id: 0, n: 1 } }], { batchSize: 10 })
      .toArray();
    expect(out).toHaveLength(234);
  });
});

describe('protocol', () => {
  test('an unacknowledged (w: 0) write gets no reply and still lands', async () => {
    const c = db.collection('fire_and_forget');
    const result = await c.insertOne({ _id: 'w0' as never }, { writeConcern: { w: 0 } });
    expect(result.acknowledged).toBe(false);
    let found = null;
    for (let i = 0; i < 100 && !found; i++) found = await c.findOne({ _id: 'w0' as never });
    expect(found).toEqual({ _id: 'w0' });
  });

  test('hello answers as a MongoDB 7.0 standalone', async () => {
    const hello = await db.admin().command({ hello: 1 });
    expect(hello).toMatchObject({ isWritablePrimary: true, maxWireVersion: 21, logicalSessionTimeoutMinutes: 30, maxBsonObjectSize: 16777216 });
    expect(hello.setName).toBeUndefined();
    if (target.embedded) expect(hello.topologyVersion).toBeUndefined();
  });
});

describe('errors as MongoDB reports them', () => {
  test('duplicate keys from insertMany come back as write errors with keyPattern and keyValue', async () => {
    const people = db.collection('people');
    await people.createIndex({ email: 1 }, { unique: true });
    await people.insertOne({ email: 'a@example.org' });
    const err = await serverError(people.insertMany([{ email: 'b@example.org' }, { email: 'a@example.org' }, { email: 'c@example.org' }], { ordered: false }));
    const writeErrors = (err as unknown as { writeErrors: Array<{ index: number; code: number }> }).writeErrors;
    expect(writeErrors).toHaveLength(1);
    expect(writeErrors[0]).toMatchObject({ index: 1, code: 11000 });
    expect(await people.countDocuments()).toBe(3);
    const single = await serverError(people.insertOne({ email: 'c@example.org' }));
    expect(single).toMatchObject({ code: 11000, keyPattern: { email: 1 }, keyValue: { email: 'c@example.org' } });
  });

  test('findOneAndUpdate reports a duplicate key at the top level', async () => {
    const err = await serverError(db.collection('people').findOneAndUpdate({ email: 'b@example.org' }, { $set: { email: 'a@example.org' } }));
    expect(err).toMatchObject({ code: 11000, keyPattern: { email: 1 }, keyValue: { email: 'a@example.org' } });
  });

  test('building a unique index over duplicates fails and leaves no index', async () => {
    const pets = db.collection('pets');
    await pets.insertMany([{ name: 'Rex' }, { name: 'Rex' }]);
    expect((await serverError(pets.createIndex({ name: 1 }, { unique: true }))).code).toBe(11000);
    expect((await pets.indexes()).map((ix) => ix.name)).toEqual(['_id_']);
  });

  test('an unknown command is CommandNotFound (59)', async () => {
    const err = await serverError(db.command({ frobnicate: 1 }));
    expect(err.code).toBe(59);
    expect(err.codeName).toBe('CommandNotFound');
  });

  test('a transaction on a standalone server is IllegalOperation (20)', async () => {
    const session = client.startSession();
    try {
      session.startTransaction();
      const err = await serverError(db.collection('people').insertOne({ email: 'tx@example.org' }, { session }));
      // The driver wraps the server's 20 in its own advice about retryable writes.
      const original = (err as unknown as { originalError?: { code?: number } }).originalError;
      expect(original?.code ?? err.code).toBe(20);
    } finally {
      await session.endSession();
    }
  });

  test('documents over 16 MiB are refused as MongoDB refuses them', async () => {
    const big = db.collection('big');
    // Over 16 MiB: the insert is refused with BadValue.
    const justOver = await serverError(big.insertOne({ s: 'x'.repeat(16 * 1024 * 1024) }));
    expect(justOver.code).toBe(2);
    expect(justOver.message).toMatch(/object to insert too large/);
    // Over the 16 KiB a command may add: 10334 BSONObjectTooLarge, and the connection stays usable.
    const tooLarge = await serverError(big.insertOne({ s: 'x'.repeat(16 * 1024 * 1024 + 20 * 1024) }));
    expect(tooLarge.code).toBe(10334);
    expect(tooLarge.codeName).toBe('BSONObjectTooLarge');
    // An update that would grow a document past 16 MiB: 17419.
    await big.insertOne({ _id: 1 as never, a: 'y'.repeat(9 * 1024 * 1024) });
    const grown = await serverError(big.updateOne({ _id: 1 as never }, { $set: { b: 'z'.repeat(8 * 1024 * 1024) } }));
    expect(grown.code).toBe(17419);
    expect(await big.countDocuments()).toBe(1);
  });

  test('creating an existing collection is NamespaceExists (48); listing indexes of a missing one NamespaceNotFound (26)', async () => {
    await db.createCollection('once');
    expect((await serverError(db.createCollection('once'))).code).toBe(48);
    expect((await serverError(db.collection('never').indexes())).code).toBe(26);
  });

  test('index option and key conflicts are 85 and 86', async () => {
    const c = db.collection('conflicts');
    await c.createIndex({ at: 1 }, { name: 'by_at', expireAfterSeconds: 60 });
    // Same name and key, another non-identifying option: 85 IndexOptionsConflict.
    expect((await serverError(c.createIndex({ at: 1 }, { name: 'by_at', expireAfterSeconds: 120 }))).code).toBe(85);
    // Same name, another key: 86 IndexKeySpecsConflict.
    expect((await serverError(c.createIndex({ b: 1 }, { name: 'by_at' }))).code).toBe(86);
    // The identical request again is fine.
    await expect(c.createIndex({ at: 1 }, { name: 'by_at', expireAfterSeconds: 60 })).resolves.toBe('by_at');
  });

  test('an unknown update operator is FailedToParse (9), changing _id ImmutableField (66), two operators on one path 40', async () => {
    const c = db.collection('updates');
    await c.insertOne({ _id: 1 as never, a: 1 });
    expect((await serverError(c.updateOne({ _id: 1 as never }, { $frob: { a: 1 } } as never))).code).toBe(9);
    expect((await serverError(c.updateOne({ _id: 1 as never }, { $set: { _id: 2 } }))).code).toBe(66);
    expect((await serverError(c.updateOne({ _id: 1 as never }, { $set: { a: 2 }, $inc: { a: 1 } }))).code).toBe(40);
  });

  test('geo and $text queries are refused rather than answered wrongly', async () => {
    const c = db.collection('places');
    await c.insertOne({ loc: [0, 0], text: 'hello' });
    await expect(c.find({ $text: { $search: 'hello' } }).toArray()).rejects.toBeInstanceOf(MongoServerError);
    await expect(c.find({ loc: { $near: [0, 0] } }).toArray()).rejects.toBeInstanceOf(MongoServerError);
  });
});

describe('numeric types', () => {
  test('int32, int64, double and Decimal128 keep their types and compare numerically', async () => {
    const nums = db.collection('numbers');
    await nums.insertMany([
      { _id: 'int' as never, v: new Int32(5) },
      { _id: 'long' as never, v: Long.fromString('9007199254740993') },
      { _id: 'small-long' as never, v: Long.fromNumber(3) },
      { _id: 'double' as never, v: new Double(4) },
      { _id: 'fraction' as never, v: 4.5 },
      { _id: 'decimal' as never, v: Decimal128.fromString('10.25') },
    ]);
    const raw = await nums.find({}, { promoteValues: false, promoteLongs: false }).sort({ _id: 1 }).toArray();
    const types = Object.fromEntries(raw.map((d) => [String(d._id), (d.v as { _bsontype?: string })._bsontype]));
    expect(types).toEqual({ decimal: 'Decimal128', double: 'Double', fraction: 'Double', int: 'Int32', long: 'Long', 'small-long': 'Long' });
    const sorted = await nums.find({}).sort({ v: 1 }).toArray();
    expect(sorted.map((d) => d._id)).toEqual(['small-long', 'double', 'fraction', 'int', 'decimal', 'long']);
    const between = await nums.find({ v: { $gt: Long.fromNumber(4), $lt: 11 } }).sort({ v: 1 }).toArray();
    expect(between.map((d) => d._id)).toEqual(['fraction', 'int', 'decimal']);
    expect(await nums.countDocuments({ v: 3 })).toBe(1);
    expect(await nums.countDocuments({ v: { $type: 'long' } })).toBe(2);
    expect(await nums.countDocuments({ v: { $type: 'int' } })).toBe(1);
    expect(await nums.countDocuments({ v: { $type: 'decimal' } })).toBe(1);
    const projected = await nums.aggregate([{ $match: { _id: 'long' } }, { $project: { v: 1, twice: { $multiply: ['$v', 1] } } }], { promoteLongs: false }).toArray();
    expect(projected[0]?.v).toEqual(Long.fromString('9007199254740993'));
    await nums.updateOne({ _id: 'small-long' as never }, { $inc: { v: 2 } });
    const updated = await nums.findOne({ _id: 'small-long' as never }, { promoteLongs: false });
    expect(updated?.v).toEqual(Long.fromNumber(5));
  });
});

describe('updates and projections', () => {
  test('arrayFilters, pipeline updates, and two positional paths in one update', async () => {
    const c = db.collection('courses');
    await c.insertOne({ _id: 'c1' as never, modules: [{ key: 'a', done: false, n: 1 }, { key: 'b', done: false, n: 2 }], total: 0 });
    await c.updateOne({ _id: 'c1' as never }, { $set: { 'modules.$[m].done': true } }, { arrayFilters: [{ 'm.n': { $gte: 2 } }] });
    await c.updateOne({ _id: 'c1' as never, 'modules.key': 'a' }, { $set: { 'modules.$.done': true, 'modules.$.at': 'now' } });
    await c.updateOne({ _id: 'c1' as never }, [{ $set: { total: { $sum: '$modules.n' } } }]);
    expect(await c.findOne({ _id: 'c1' as never })).toEqual({
      _id: 'c1',
      modules: [
        { key: 'a', done: true, n: 1, at: 'now' },
        { key: 'b', done: true, n: 2 },
      ],
      total: 3,
    });
  });

  test('$elemMatch and positional projections return the first matching element', async () => {
    const c = db.collection('scores');
    await c.insertOne({ _id: 's1' as never, marks: [3, 8, 9], answers: [{ q: 1, ok: false }, { q: 2, ok: true }] });
    expect(await c.findOne({ _id: 's1' as never }, { projection: { marks: { $elemMatch: { $gt: 5 } } } })).toEqual({ _id: 's1', marks: [8] });
    expect(await c.findOne({ 'answers.ok': true }, { projection: { 'answers.$': 1 } })).toEqual({ _id: 's1', answers: [{ q: 2, ok: true }] });
  });

  test('upsert seeds the new document from the filter equalities', async () => {
    const c = db.collection('progress');
    const r = await c.updateOne({ learner: 'l1', course: 'c1', score: { $gt: 0 } }, { $inc: { visits: 1 } }, { upsert: true });
    expect(r.upsertedCount).toBe(1);
    expect(await c.findOne({ learner: 'l1' }, { projection: { _id: 0 } })).toEqual({ learner: 'l1', course: 'c1', visits: 1 });
  });
});

describe('explain and indexes', () => {
  test('an indexed lookup uses the index and examines one document', async () => {
    const c = db.collection('lookups');
    await c.insertMany(Array.from({ length: 2000 }, (_, i) => ({ code: `k${i}`, group: i % 10 })));
    await c.createIndex({ code: 1 });
    const plan = (await c.find({ code: 'k1234' }).explain('executionStats')) as unknown as {
      queryPlanner: { winningPlan: { stage: string; inputStage?: { stage: string; indexName: string } } };
      executionStats: { totalDocsExamined: number; totalKeysExamined: number; nReturned: number };
    };
    expect(plan.queryPlanner.winningPlan.inputStage).toMatchObject({ stage: 'IXSCAN', indexName: 'code_1' });
    expect(plan.executionStats.nReturned).toBe(1);
    expect(plan.executionStats.totalDocsExamined).toBe(1);
    expect(plan.executionStats.totalKeysExamined).toBeLessThanOrEqual(2);
  });

  test('a filter on an unindexed field is a collection scan', async () => {
    const plan = (await db.collection('lookups').find({ group: 3 }).explain('executionStats')) as unknown as {
      queryPlanner: { winningPlan: { stage: string } };
      executionStats: { totalDocsExamined: number };
    };
    expect(plan.queryPlanner.winningPlan.stage).toBe('COLLSCAN');
    expect(plan.executionStats.totalDocsExamined).toBe(2000);
  });

  test('a compound index serves equality plus range and the sort', async () => {
    const c = db.collection('lookups');
    await c.createIndex({ group: 1, code: -1 });
    const cursor = c.find({ group: 4, code: { $gte: 'k1500' } }).sort({ code: -1 }).limit(3);
    const plan = (await cursor.explain('executionStats')) as unknown as {
      queryPlanner: { winningPlan: Record<string, unknown> };
      executionStats: { totalDocsExamined: number };
    };
    expect(JSON.stringify(plan.queryPlanner.winningPlan)).toContain('group_1_code_-1');
    expect(JSON.stringify(plan.queryPlanner.winningPlan)).not.toContain('"SORT"');
    expect(plan.executionStats.totalDocsExamined).toBeLessThanOrEqual(3);
    const docs = await c.find({ group: 4, code: { $gte: 'k1500' } }).sort({ code: -1 }).limit(3).toArray();
    expect(docs.map((d) => d.code)).toEqual(['k994', 'k984', 'k974']);
  });

  test('sparse and partial indexes leave out what they should', async () => {
    const c = db.collection('optional');
    await c.createIndex({ nick: 1 }, { unique: true, sparse: true });
    await c.createIndex({ ref: 1 }, { unique: true, partialFilterExpression: { ref: { $type: 'string' } } });
    await c.insertMany([{ a: 1 }, { a: 2 }, { nick: 'x', ref: null }, { ref: null }]);
    await expect(c.insertOne({ nick: 'x' })).rejects.toMatchObject({ code: 11000 });
    expect(await c.countDocuments({ nick: { $exists: false } })).toBe(3);
  });
});
