/** $out and $merge as MongoDB 7 runs them: modes, `on` fields, unique indexes and their errors. */
import { MongoClient, type Db, type Document } from 'mongodb';
import { serverError, startTarget, type Target } from './target';

let target: Target;
let client: MongoClient;
let db: Db;

beforeAll(async () => {
  target = await startTarget('merge');
  client = await MongoClient.connect(target.uri);
  db = client.db(target.dbName);
  await db.collection('attempts').insertMany([
    { _id: 1, learner: 'asha', score: 3 },
    { _id: 2, learner: 'asha', score: 5 },
    { _id: 3, learner: 'ben', score: 4 },
  ] as Document[]);
});

afterAll(async () => {
  await client.close();
  await target.stop();
});

const totals = [{ $group: { _id: '$learner', total: { $sum: '$score' } } }, { $sort: { _id: 1 } }];

test('$merge by default merges fields into matched documents and inserts the rest', async () => {
  await db.collection('totals').insertOne({ _id: 'asha' as never, total: 0, note: 'kept' });
  await db.collection('attempts').aggregate([...totals, { $merge: { into: 'totals' } }]).toArray();
  expect(await db.collection('totals').find({}).sort({ _id: 1 }).toArray()).toEqual([
    { _id: 'asha', total: 8, note: 'kept' },
    { _id: 'ben', total: 4 },
  ]);
});

test('whenMatched replace, keepExisting and a pipeline with $$new; whenNotMatched discard', async () => {
  const t = db.collection('modes');
  await t.insertMany([{ _id: 'asha', total: 1, note: 'old' }] as Document[]);
  await db.collection('attempts').aggregate([...totals, { $merge: { into: 'modes', whenMatched: 'replace', whenNotMatched: 'discard' } }]).toArray();
  expect(await t.find({}).toArray()).toEqual([{ _id: 'asha', total: 8 }]);
  await db.collection('attempts').aggregate([...totals, { $merge: { into: 'modes', whenMatched: 'keepExisting' } }]).toArray();
  expect(await t.find({}).sort({ _id: 1 }).toArray()).toEqual([
    { _id: 'asha', total: 8 },
    { _id: 'ben', total: 4 },
  ]);
  await db
    .collection('attempts')
    .aggregate([...totals, { $merge: { into: 'modes', whenMatched: [{ $set: { total: { $add: ['$total', '$$new.total'] } } }] } }])
    .toArray();
  expect(await t.find({}).sort({ _id: 1 }).toArray()).toEqual([
    { _id: 'asha', total: 16 },
    { _id: 'ben', total: 8 },
  ]);
});

test('whenMatched fail is a duplicate key (11000); whenNotMatched fail is 13113', async () => {
  const matched = await serverError(db.collection('attempts').aggregate([...totals, { $merge: { into: 'modes', whenMatched: 'fail' } }]).toArray());
  expect(matched.code).toBe(11000);
  const unmatched = await serverError(
    db.collection('attempts').aggregate([{ $project: { _id: { $concat: ['new-', '$learner'] } } }, { $merge: { into: 'modes', whenMatched: 'merge', whenNotMatched: 'fail' } }]).toArray(),
  );
  expect(unmatched.code).toBe(13113);
});

test('$merge into a collection with a unique index reports the duplicate key (11000)', async () => {
  const t = db.collection('by_learner');
  await t.createIndex({ learner: 1 }, { unique: true });
  await t.insertOne({ _id: 'existing' as never, learner: 'asha' });
  const err = await serverError(db.collection('attempts').aggregate([{ $match: { _id: 1 } }, { $merge: { into: 'by_learner' } }]).toArray());
  expect(err.code).toBe(11000);
  expect(err.message).toMatch(/duplicate key/);
});

test('$merge on other fields needs a unique index on them (51183) and values in every result (51132)', async () => {
  const t = db.collection('by_learner');
  const noIndex = await serverError(db.collection('attempts').aggregate([{ $project: { _id: 0, score: 1 } }, { $merge: { into: 'by_learner', on: 'score' } }]).toArray());
  expect(noIndex.code).toBe(51183);
  const missing = await serverError(db.collection('attempts').aggregate([{ $project: { _id: 0, score: 1 } }, { $merge: { into: 'by_learner', on: 'learner' } }]).toArray());
  expect(missing.code).toBe(51132);
  await db.collection('attempts').aggregate([...totals, { $project: { _id: 0, learner: '$_id', total: 1 } }, { $merge: { into: 'by_learner', on: 'learner' } }]).toArray();
  const docs = await t.find({}, { projection: { _id: 0 } }).sort({ learner: 1 }).toArray();
  expect(docs).toEqual([
    { learner: 'asha', total: 8 },
    { learner: 'ben', total: 4 },
  ]);
  expect((await t.findOne({ learner: 'asha' }))?._id).toBe('existing');
});

test('$out replaces the documents but keeps the indexes, and a duplicate key leaves the target as it was', async () => {
  const t = db.collection('report');
  await t.insertOne({ _id: 'stale' as never, learner: 'zed' });
  await t.createIndex({ learner: 1 }, { unique: true, name: 'one_per_learner' });
  await db.collection('attempts').aggregate([...totals, { $project: { learner: '$_id', total: 1 } }, { $out: 'report' }]).toArray();
  expect((await t.find({}).sort({ _id: 1 }).toArray()).map((d) => d._id)).toEqual(['asha', 'ben']);
  expect((await t.indexes()).map((ix) => ix.name)).toEqual(['_id_', 'one_per_learner']);
  const err = await serverError(db.collection('attempts').aggregate([{ $project: { learner: 'same' } }, { $out: 'report' }]).toArray());
  expect(err.code).toBe(11000);
  expect((await t.find({}).sort({ _id: 1 }).toArray()).map((d) => d._id)).toEqual(['asha', 'ben']);
});
