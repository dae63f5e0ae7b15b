/**
 * Change streams (watch()) on a collection and on a database, resumable by token, through the driver and
 * Mongoose. A MongoDB standalone has no change streams: against one (TEST_MONGODB_URI without a replica set)
 * these tests print why and pass without checking; against a replica set they run as here.
 */
import mongoose, { Schema, type Connection } from 'mongoose';
import { MongoClient, type ChangeStream, type ChangeStreamDocument, type Db, type Document, type ResumeToken } from 'mongodb';
import { startTarget, type Target } from './target';

let target: Target;
let client: MongoClient;
let db: Db;
let supported = true;
const open: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  target = await startTarget('change_streams');
  client = await MongoClient.connect(target.uri);
  db = client.db(target.dbName);
  const hello = await db.admin().command({ hello: 1 });
  supported = target.embedded || typeof hello.setName === 'string';
  if (!supported) console.log('change stream tests not checked: the target MongoDB is a standalone, which has no change streams');
});

afterAll(async () => {
  for (const s of open) await s.close();
  await client.close();
  await target.stop();
});

/** A stream that is already open on the server, so writes made after this resolves are in it. */
async function watching<T extends Document>(stream: ChangeStream<T, ChangeStreamDocument<T>>): Promise<ChangeStream<T, ChangeStreamDocument<T>>> {
  open.push(stream);
  expect(await stream.tryNext()).toBeNull();
  return stream;
}

async function nextEvents<T extends Document>(stream: ChangeStream<T, ChangeStreamDocument<T>>, n: number): Promise<Array<ChangeStreamDocument<T>>> {
  const out: Array<ChangeStreamDocument<T>> = [];
  for (let i = 0; i < n; i++) out.push(await stream.next());
  return out;
}

test('a collection stream sees inserts, updates, replaces and deletes in order', async () => {
  if (!supported) return;
  const c = db.collection<{ _id: number; name?: string; tags?: string[]; score?: number; note?: string }>('watched');
  const stream = await watching(c.watch([], { maxAwaitTimeMS: 200 }));
  await c.insertOne({ _id: 1, name: 'Asha', tags: ['a'], score: 1, note: 'x' });
  await c.updateOne({ _id: 1 }, { $set: { score: 2 }, $unset: { note: '' }, $push: { tags: 'b' } });
  await c.replaceOne({ _id: 1 }, { name: 'Asha B' });
  await c.deleteOne({ _id: 1 });
  await db.collection('elsewhere').insertOne({ ignored: true });
  const [inserted, updated, replaced, deleted] = await nextEvents(stream, 4);
  expect(inserted).toMatchObject({ operationType: 'insert', ns: { db: target.dbName, coll: 'watched' }, documentKey: { _id: 1 }, fullDocument: { _id: 1, name: 'Asha', tags: ['a'], score: 1, note: 'x' } });
  expect(updated).toMatchObject({
    operationType: 'update',
    documentKey: { _id: 1 },
    updateDescription: { updatedFields: { score: 2, 'tags.1': 'b' }, removedFields: ['note'], truncatedArrays: [] },
  });
  expect(replaced).toMatchObject({ operationType: 'replace', fullDocument: { _id: 1, name: 'Asha B' } });
  expect(deleted).toMatchObject({ operationType: 'delete', documentKey: { _id: 1 } });
  expect(deleted?._id).toBeDefined();
  expect((deleted as { clusterTime?: unknown }).clusterTime).toBeDefined();
});

test('a stream resumes after a token, with its pipeline and updateLookup', async () => {
  if (!supported) return;
  const c = db.collection<{ _id: number; n: number }>('resumable');
  const first = await watching(c.watch([{ $match: { operationType: { $in: ['insert', 'update'] } } }], { fullDocument: 'updateLookup', maxAwaitTimeMS: 200 }));
  await c.insertMany([
    { _id: 1, n: 1 },
    { _id: 2, n: 2 },
  ]);
  const [one] = await nextEvents(first, 1);
  expect(one).toMatchObject({ operationType: 'insert', documentKey: { _id: 1 } });
  const token: ResumeToken = first.resumeToken;
  await first.close();
  await c.deleteOne({ _id: 2 });
  await c.updateOne({ _id: 1 }, { $inc: { n: 10 } });
  const resumed = c.watch([{ $match: { operationType: { $in: ['insert', 'update'] } } }], { resumeAfter: token, fullDocument: 'updateLookup', maxAwaitTimeMS: 200 });
  open.push(resumed);
  const [two, three] = await nextEvents(resumed, 2);
  expect(two).toMatchObject({ operationType: 'insert', documentKey: { _id: 2 } });
  expect(three).toMatchObject({ operationType: 'update', documentKey: { _id: 1 }, fullDocument: { _id: 1, n: 11 }, updateDescription: { updatedFields: { n: 11 } } });
});

test('a database stream sees every collection; dropping a collection ends its own stream with invalidate', async () => {
  if (!supported) return;
  await db.collection('doomed').insertOne({ _id: 0 } as Document);
  const dbStream = await watching(db.watch([], { maxAwaitTimeMS: 200 }));
  const collStream = await watching(db.collection('doomed').watch([], { maxAwaitTimeMS: 200 }));
  await db.collection('left').insertOne({ _id: 'l' } as Document);
  await db.collection('doomed').insertOne({ _id: 'd' } as Document);
  await db.collection('doomed').drop();
  const seen = await nextEvents(dbStream, 3);
  expect(seen.map((e) => [e.operationType, (e as { ns?: { coll?: string } }).ns?.coll])).toEqual([
    ['insert', 'left'],
    ['insert', 'doomed'],
    ['drop', 'doomed'],
  ]);
  const own = await nextEvents(collStream, 3);
  expect(own.map((e) => e.operationType)).toEqual(['insert', 'drop', 'invalidate']);
  // startAfter an invalidate opens a new stream on the collection.
  const again = await watching(db.collection('doomed').watch([], { startAfter: own[2]?._id, maxAwaitTimeMS: 200 }));
  await db.collection('doomed').insertOne({ _id: 'reborn' } as Document);
  expect((await nextEvents(again, 1))[0]).toMatchObject({ operationType: 'insert', documentKey: { _id: 'reborn' } });
});

test('Mongoose Model.watch() streams change events', async () => {
  if (!supported) return;
  const connection: Connection = await mongoose.createConnection(target.dbUri).asPromise();
  try {
    const Note = connection.model('Note', new Schema({ text: String }), 'notes');
    await Note.createCollection();
    const stream = Note.watch([], { maxAwaitTimeMS: 200 });
    // Opened on the server before writing (Mongoose sends the aggregate on the first read).
    const inner = stream as unknown as { $driverChangeStreamPromise: Promise<unknown>; driverChangeStream: ChangeStream };
    await inner.$driverChangeStreamPromise;
    expect(await inner.driverChangeStream.tryNext()).toBeNull();
    const note = await Note.create({ text: 'hello' });
    await Note.updateOne({ _id: note._id }, { text: 'bye' });
    const first = (await stream.next()) as { operationType: string; fullDocument?: { text?: string } };
    const second = (await stream.next()) as { operationType: string; updateDescription?: { updatedFields?: Document } };
    expect(first).toMatchObject({ operationType: 'insert', fullDocument: { text: 'hello' } });
    expect(second).toMatchObject({ operationType: 'update', updateDescription: { updatedFields: { text: 'bye' } } });
    await stream.close();
  } finally {
    await connection.close();
  }
});
