/**
 * Views (createCollection with viewOn and pipeline): reads run the view's pipeline, writes and index builds are
 * refused with CommandNotSupportedOnView (166), through the driver and through Mongoose.
 */
import mongoose, { Schema, type Connection } from 'mongoose';
import { MongoClient, type Db, type Document } from 'mongodb';
import { serverError, startTarget, type Target } from './target';

let target: Target;
let client: MongoClient;
let db: Db;
let connection: Connection;

beforeAll(async () => {
  target = await startTarget('views');
  client = await MongoClient.connect(target.uri);
  db = client.db(target.dbName);
  connection = await mongoose.createConnection(target.dbUri).asPromise();
  await db.collection('enrolments').insertMany([
    { _id: 1, learner: 'asha', course: 'sensory', done: true, score: 9 },
    { _id: 2, learner: 'ben', course: 'sensory', done: false, score: 4 },
    { _id: 3, learner: 'cleo', course: 'meltdowns', done: true, score: 7 },
    { _id: 4, learner: 'dev', course: 'sensory', done: true, score: 6 },
  ] as Document[]);
  await db.createCollection('completed', { viewOn: 'enrolments', pipeline: [{ $match: { done: true } }, { $project: { done: 0 } }] });
});

afterAll(async () => {
  await connection.close();
  await client.close();
  await target.stop();
});

test('find on a view runs its pipeline, then the filter, sort, skip, limit and projection', async () => {
  const view = db.collection('completed');
  expect(await view.find({}).sort({ _id: 1 }).toArray()).toEqual([
    { _id: 1, learner: 'asha', course: 'sensory', score: 9 },
    { _id: 3, learner: 'cleo', course: 'meltdowns', score: 7 },
    { _id: 4, learner: 'dev', course: 'sensory', score: 6 },
  ]);
  const some = await view.find({ course: 'sensory' }, { projection: { _id: 0, learner: 1 } }).sort({ score: 1 }).skip(0).limit(1).toArray();
  expect(some).toEqual([{ learner: 'dev' }]);
  expect(await view.findOne({ _id: 2 as never })).toBeNull();
});

test('aggregate, count, estimatedDocumentCount and distinct on a view see only its documents', async () => {
  const view = db.collection('completed');
  const grouped = await view.aggregate([{ $group: { _id: '$course', n: { $sum: 1 } } }, { $sort: { _id: 1 } }]).toArray();
  expect(grouped).toEqual([
    { _id: 'meltdowns', n: 1 },
    { _id: 'sensory', n: 2 },
  ]);
  expect(await view.countDocuments()).toBe(3);
  expect(await view.countDocuments({ score: { $gt: 6 } })).toBe(2);
  expect(await view.estimatedDocumentCount()).toBe(3);
  expect((await view.distinct('course')).sort()).toEqual(['meltdowns', 'sensory']);
});

test('a view on a view runs both pipelines, and $lookup can read a view', async () => {
  await db.createCollection('completed_sensory', { viewOn: 'completed', pipeline: [{ $match: { course: 'sensory' } }] });
  expect((await db.collection('completed_sensory').find({}).sort({ _id: 1 }).toArray()).map((d) => d._id)).toEqual([1, 4]);
  await db.collection('learners').insertMany([{ _id: 'asha' }, { _id: 'ben' }] as Document[]);
  const joined = await db
    .collection('learners')
    .aggregate([{ $lookup: { from: 'completed', localField: '_id', foreignField: 'learner', as: 'done' } }, { $project: { n: { $size: '$done' } } }, { $sort: { _id: 1 } }])
    .toArray();
  expect(joined).toEqual([
    { _id: 'asha', n: 1 },
    { _id: 'ben', n: 0 },
  ]);
});

test('listCollections shows a view with its definition', async () => {
  const [info] = await db.listCollections({ name: 'completed' }).toArray();
  expect(info).toMatchObject({
    name: 'completed',
    type: 'view',
    options: { viewOn: 'enrolments', pipeline: [{ $match: { done: true } }, { $project: { done: 0 } }] },
    info: { readOnly: true },
  });
});

test('writes and index builds on a view are refused with 166, and the view follows its source', async () => {
  const view = db.collection('completed');
  expect((await serverError(view.insertOne({ learner: 'eve' }))).code).toBe(166);
  expect((await serverError(view.updateOne({}, { $set: { x: 1 } }))).code).toBe(166);
  expect((await serverError(view.deleteMany({}))).code).toBe(166);
  expect((await serverError(view.findOneAndUpdate({}, { $set: { x: 1 } }))).code).toBe(166);
  expect((await serverError(view.createIndex({ learner: 1 }))).code).toBe(166);
  await db.collection('enrolments').updateOne({ _id: 2 as never }, { $set: { done: true } });
  expect(await view.countDocuments()).toBe(4);
  await db.collection('enrolments').updateOne({ _id: 2 as never }, { $set: { done: false } });
});

test('collMod changes a view, drop removes it, and its source keeps every document', async () => {
  await db.command({ collMod: 'completed', viewOn: 'enrolments', pipeline: [{ $match: { done: false } }] });
  expect((await db.collection('completed').find({}).toArray()).map((d) => d._id)).toEqual([2]);
  expect(await db.collection('completed').drop()).toBe(true);
  expect(await db.listCollections({ name: 'completed' }).toArray()).toEqual([]);
  expect(await db.collection('enrolments').countDocuments()).toBe(4);
});

test('Mongoose models read a view', async () => {
  const Enrolment = connection.model('Enrolment', new Schema({ _id: Number, learner: String, course: String, done: Boolean, score: Number }), 'enrolments');
  const Passed = connection.model('Passed', new Schema({ _id: Number, learner: String, score: Number }, { autoIndex: false, autoCreate: false }), 'passed');
  await Passed.createCollection({ viewOn: Enrolment.collection.collectionName, pipeline: [{ $match: { score: { $gte: 7 } } }] });
  expect((await Passed.find().sort({ _id: 1 }).lean()).map((d) => d.learner)).toEqual(['asha', 'cleo']);
  expect(await Passed.countDocuments()).toBe(2);
  expect(await Passed.estimatedDocumentCount()).toBe(2);
  const err = await Passed.create({ _id: 9, learner: 'zed', score: 10 }).then(
    () => undefined,
    (e: unknown) => e as { code?: number },
  );
  expect(err?.code).toBe(166);
});
