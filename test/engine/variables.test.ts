/**
 * The `let` option (MongoDB 5.0+) and `$$variables` on every command that takes it: find, aggregate, update,
 * delete, findAndModify and bulk writes, through the driver and through Mongoose.
 */
import mongoose, { Schema, type Connection } from 'mongoose';
import { MongoClient, type Collection, type Db, type Document } from 'mongodb';
import { serverError, startTarget, type Target } from './target';

let target: Target;
let client: MongoClient;
let db: Db;
let connection: Connection;

beforeAll(async () => {
  target = await startTarget('variables');
  client = await MongoClient.connect(target.uri);
  db = client.db(target.dbName);
  connection = await mongoose.createConnection(target.dbUri).asPromise();
});

afterAll(async () => {
  await connection.close();
  await client.close();
  await target.stop();
});

async function scores(name: string): Promise<Collection<Document>> {
  const c = db.collection(name);
  await c.insertMany([
    { _id: 1, name: 'Asha', score: 4 },
    { _id: 2, name: 'Ben', score: 7 },
    { _id: 3, name: 'Cleo', score: 9 },
  ] as Document[]);
  return c;
}

test('find reads let variables in $expr and in projection expressions', async () => {
  const c = await scores('find_let');
  const docs = await c
    .find({ $expr: { $gte: ['$score', '$$pass'] } }, { let: { pass: 7, bonus: { $add: [1, 2] } }, projection: { name: 1, total: { $add: ['$score', '$$bonus'] } } })
    .sort({ _id: 1 })
    .toArray();
  expect(docs).toEqual([
    { _id: 2, name: 'Ben', total: 10 },
    { _id: 3, name: 'Cleo', total: 12 },
  ]);
});

test('aggregate reads let variables in every stage, and $$NOW is a date', async () => {
  const c = await scores('aggregate_let');
  const out = await c
    .aggregate(
      [
        { $match: { $expr: { $lt: ['$score', '$$limit'] } } },
        { $project: { _id: 0, name: 1, label: { $concat: ['$$prefix', '$name'] }, now: { $type: '$$NOW' } } },
        { $sort: { name: 1 } },
      ],
      { let: { limit: 9, prefix: 'learner: ' } },
    )
    .toArray();
  expect(out).toEqual([
    { name: 'Asha', label: 'learner: Asha', now: 'date' },
    { name: 'Ben', label: 'learner: Ben', now: 'date' },
  ]);
});

test('updates read let variables in the filter and in a pipeline update', async () => {
  const c = await scores('update_let');
  const one = await c.updateOne({ $expr: { $eq: ['$name', '$$who'] } }, [{ $set: { score: '$$to' } }], { let: { who: 'Ben', to: 8 } });
  expect(one).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
  const many = await c.updateMany({ $expr: { $lt: ['$score', '$$below'] } }, { $set: { low: true } }, { let: { below: 8 } });
  expect(many).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
  expect(await c.find({}, { projection: { _id: 0 } }).sort({ _id: 1 }).toArray()).toEqual([
    { name: 'Asha', score: 4, low: true },
    { name: 'Ben', score: 8 },
    { name: 'Cleo', score: 9 },
  ]);
});

test('deletes read let variables', async () => {
  const c = await scores('delete_let');
  const result = await c.deleteMany({ $expr: { $gt: ['$score', '$$over'] } }, { let: { over: 5 } });
  expect(result.deletedCount).toBe(2);
  expect(await c.find({}).toArray()).toEqual([{ _id: 1, name: 'Asha', score: 4 }]);
});

test('findAndModify reads let variables in its query and pipeline update', async () => {
  const c = await scores('fam_let');
  const after = await c.findOneAndUpdate({ $expr: { $eq: ['$_id', '$$id'] } }, [{ $set: { score: { $multiply: ['$score', '$$factor'] } } }], {
    let: { id: 3, factor: 2 },
    returnDocument: 'after',
  });
  expect(after).toEqual({ _id: 3, name: 'Cleo', score: 18 });
  const removed = await c.findOneAndDelete({ $expr: { $eq: ['$name', '$$who'] } }, { let: { who: 'Asha' } });
  expect(removed).toEqual({ _id: 1, name: 'Asha', score: 4 });
});

test('a bulk write shares its let variables across updates and deletes', async () => {
  const c = await scores('bulk_let');
  const result = await c.bulkWrite(
    [
      { updateOne: { filter: { $expr: { $eq: ['$name', '$$first'] } }, update: [{ $set: { score: '$$top' } }] } },
      { deleteOne: { filter: { $expr: { $eq: ['$name', '$$second'] } } } },
    ],
    { let: { first: 'Asha', second: 'Ben', top: 10 } },
  );
  expect(result).toMatchObject({ matchedCount: 1, modifiedCount: 1, deletedCount: 1 });
  expect(await c.find({}).sort({ _id: 1 }).toArray()).toEqual([
    { _id: 1, name: 'Asha', score: 10 },
    { _id: 3, name: 'Cleo', score: 9 },
  ]);
});

test('an undefined variable is 17276 and a badly named one 16867, as MongoDB answers', async () => {
  const c = await scores('bad_let');
  const undefinedVariable = await serverError(c.find({ $expr: { $eq: ['$score', '$$missing'] } }, { let: { other: 1 } }).toArray());
  expect(undefinedVariable.code).toBe(17276);
  expect(undefinedVariable.message).toMatch(/Use of undefined variable: missing/);
  const badName = await serverError(c.find({}, { let: { Upper: 1 } }).toArray());
  expect(badName.code).toBe(16867);
  expect(badName.message).toMatch(/'Upper' starts with an invalid character for a user variable name/);
});

test('Mongoose passes let to aggregate and to find', async () => {
  const Score = connection.model('Score', new Schema({ _id: Number, name: String, score: Number }), 'mongoose_let');
  await Score.insertMany([
    { _id: 1, name: 'Asha', score: 4 },
    { _id: 2, name: 'Ben', score: 7 },
  ]);
  const aggregated = await Score.aggregate([{ $match: { $expr: { $gt: ['$score', '$$min'] } } }, { $project: { _id: 0, name: 1 } }]).option({ let: { min: 5 } });
  expect(aggregated).toEqual([{ name: 'Ben' }]);
  const found = await Score.find({ $expr: { $lt: ['$score', '$$max'] } }).setOptions({ let: { max: 5 } }).lean();
  expect(found.map((d) => d.name)).toEqual(['Asha']);
});
