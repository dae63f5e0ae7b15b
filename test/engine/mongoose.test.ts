/** Mongoose against the engine: models, validation, indexes, populate, timestamps, subdocuments, aggregation. */
import mongoose, { Schema, type Connection } from 'mongoose';
import { startTarget, type Target } from './target';

interface Author {
  name: string;
  email: string;
  team: string;
  joined: number;
}

interface Lesson {
  title: string;
  author: mongoose.Types.ObjectId;
  tags: string[];
  blocks: Array<{ kind: string; minutes: number; _id?: mongoose.Types.ObjectId; updatedAt?: Date }>;
  minutes: number;
  createdAt?: Date;
  updatedAt?: Date;
}

const authorSchema = new Schema<Author>({
  name: { type: String, required: true, minlength: 2 },
  email: { type: String, required: true, unique: true, lowercase: true },
  team: { type: String, required: true },
  joined: { type: Number, required: true },
});
authorSchema.index({ team: 1, joined: -1 });

const blockSchema = new Schema({ kind: String, minutes: Number }, { timestamps: true });
const lessonSchema = new Schema<Lesson>(
  {
    title: { type: String, required: true },
    author: { type: Schema.Types.ObjectId, ref: 'Author', required: true },
    tags: [String],
    blocks: [blockSchema],
    minutes: Number,
  },
  { timestamps: true },
);
lessonSchema.index({ author: 1, title: 1 }, { unique: true });

let target: Target;
let connection: Connection;

beforeAll(async () => {
  target = await startTarget('mongoose');
  connection = await mongoose.createConnection(target.dbUri).asPromise();
});

afterAll(async () => {
  await connection.close();
  await target.stop();
});

function models() {
  const AuthorModel = connection.models.Author ?? connection.model<Author>('Author', authorSchema);
  const LessonModel = connection.models.Lesson ?? connection.model<Lesson>('Lesson', lessonSchema);
  return { AuthorModel: AuthorModel as mongoose.Model<Author>, LessonModel: LessonModel as mongoose.Model<Lesson> };
}

test('creates the schema indexes and enforces a unique email with a duplicate key error', async () => {
  const { AuthorModel } = models();
  await AuthorModel.init();
  const indexes = await AuthorModel.collection.indexes();
  expect(indexes.map((ix) => ix.name).sort()).toEqual(['_id_', 'email_1', 'team_1_joined_-1']);
  await AuthorModel.create({ name: 'Sam', email: 'Sam@Example.org', team: 'north', joined: 2020 });
  const err = await AuthorModel.create({ name: 'Samuel', email: 'sam@example.org', team: 'south', joined: 2021 }).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 11000, keyPattern: { email: 1 }, keyValue: { email: 'sam@example.org' } });
});

test('refuses an invalid document before it reaches the database', async () => {
  const { AuthorModel } = models();
  await expect(AuthorModel.create({ name: 'A', email: 'a@example.org', team: 'x', joined: 1 })).rejects.toThrow(/shorter than the minimum/);
});

test('stores subdocuments and arrays, keeps timestamps, and populates references', async () => {
  const { AuthorModel, LessonModel } = models();
  await LessonModel.init();
  const author = await AuthorModel.create({ name: 'Rae', email: 'rae@example.org', team: 'north', joined: 2022 });
  const lesson = await LessonModel.create({
    title: 'Sensory needs',
    author: author._id,
    tags: ['sensory', 'environment'],
    blocks: [
      { kind: 'text', minutes: 5 },
      { kind: 'video', minutes: 8 },
    ],
    minutes: 13,
  });
  expect(lesson.createdAt).toBeInstanceOf(Date);
  // Mongoose timestamps on a subdocument through the positional operator, beside the parent's updatedAt.
  await LessonModel.updateOne({ _id: lesson._id, 'blocks._id': lesson.blocks[1]?._id }, { $set: { 'blocks.$.minutes': 10 } });
  const found = await LessonModel.findById(lesson._id).populate<{ author: Author }>('author').lean();
  expect(found?.author.name).toBe('Rae');
  expect(found?.blocks.map((b) => b.minutes)).toEqual([5, 10]);
  expect(found?.blocks[1]?.updatedAt?.getTime()).toBeGreaterThanOrEqual(lesson.createdAt!.getTime());
  expect(found?.tags).toEqual(['sensory', 'environment']);
  const dup = await LessonModel.create({ title: 'Sensory needs', author: author._id, minutes: 1 }).catch((e: unknown) => e);
  expect(dup).toMatchObject({ code: 11000, keyPattern: { author: 1, title: 1 } });
});

test('counts, finds distinct values, and aggregates with $lookup, $unwind and $group', async () => {
  const { AuthorModel, LessonModel } = models();
  const ids = await AuthorModel.insertMany([
    { name: 'Kit', email: 'kit@example.org', team: 'south', joined: 2019 },
    { name: 'Lou', email: 'lou@example.org', team: 'south', joined: 2023 },
  ]);
  await LessonModel.insertMany([
    { title: 'Routines', author: ids[0]!._id, tags: ['routine'], minutes: 20 },
    { title: 'Transitions', author: ids[0]!._id, tags: ['routine', 'change'], minutes: 15 },
    { title: 'Meltdowns', author: ids[1]!._id, tags: ['change'], minutes: 25 },
  ]);
  expect(await AuthorModel.countDocuments({ team: 'south' })).toBe(2);
  expect((await LessonModel.distinct('tags')).sort()).toEqual(['change', 'environment', 'routine', 'sensory']);
  const perTeam = await LessonModel.aggregate<{ _id: string; minutes: number; lessons: number }>([
    { $lookup: { from: 'authors', localField: 'author', foreignField: '_id', as: 'writer' } },
    { $unwind: '$writer' },
    { $group: { _id: '$writer.team', minutes: { $sum: '$minutes' }, lessons: { $sum: 1 } } },
    { $sort: { _id: 1 } },
  ]);
  expect(perTeam).toEqual([
    { _id: 'north', minutes: 13, lessons: 1 },
    { _id: 'south', minutes: 60, lessons: 3 },
  ]);
});

test('findOneAndUpdate with upsert creates then updates, with $setOnInsert only on insert', async () => {
  const { AuthorModel } = models();
  const first = await AuthorModel.findOneAndUpdate(
    { email: 'new@example.org' },
    { $set: { team: 'east' }, $setOnInsert: { name: 'Newcomer', joined: 2024 } },
    { upsert: true, returnDocument: 'after' },
  ).lean();
  expect(first).toMatchObject({ email: 'new@example.org', team: 'east', name: 'Newcomer', joined: 2024 });
  const second = await AuthorModel.findOneAndUpdate(
    { email: 'new@example.org' },
    { $set: { team: 'west' }, $setOnInsert: { name: 'Ignored' } },
    { upsert: true, returnDocument: 'after' },
  ).lean();
  expect(second).toMatchObject({ _id: first?._id, team: 'west', name: 'Newcomer' });
});

test('bulkWrite applies mixed operations and reports the counts', async () => {
  const { AuthorModel } = models();
  const result = await AuthorModel.bulkWrite([
    { insertOne: { document: { name: 'Bo', email: 'bo@example.org', team: 'east', joined: 2018 } } },
    { updateMany: { filter: { team: 'east' }, update: { $inc: { joined: 1 } } } },
    { deleteOne: { filter: { email: 'kit@example.org' } } },
    { updateOne: { filter: { email: 'zed@example.org' }, update: { $set: { name: 'Zed', team: 'x', joined: 1 } }, upsert: true } },
  ]);
  expect(result.insertedCount).toBe(1);
  expect(result.modifiedCount).toBe(1);
  expect(result.deletedCount).toBe(1);
  expect(result.upsertedCount).toBe(1);
  expect(await AuthorModel.findOne({ email: 'bo@example.org' }).lean()).toMatchObject({ joined: 2019 });
});
