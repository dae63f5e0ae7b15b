/**
 * What a MongoDB 7.0 standalone refuses, refused the same way (8.0's sort on updateOne, `$` inside _id), and the
 * logical session cache as $listLocalSessions shows it; per-statement constants (`c`) on updates.
 */
import { Binary, MongoClient, type Db } from 'mongodb';
import { serverError, startTarget, type Target } from './target';

let target: Target;
let client: MongoClient;
let db: Db;

beforeAll(async () => {
  target = await startTarget('refusals');
  client = await MongoClient.connect(target.uri);
  db = client.db(target.dbName);
});

afterAll(async () => {
  await client.close();
  await target.stop();
});

test('a sort on updateOne or replaceOne (a MongoDB 8.0 option) is an unknown field (40415) and changes nothing', async () => {
  const c = db.collection<{ _id: number; n: number; touched?: boolean }>('sorted_updates');
  await c.insertMany([
    { _id: 1, n: 1 },
    { _id: 2, n: 2 },
  ]);
  const update = await serverError(c.updateOne({}, { $set: { touched: true } }, { sort: { n: -1 } }));
  expect(update.code).toBe(40415);
  expect(update.message).toMatch(/BSON field 'update\.updates\.sort' is an unknown field/);
  const replace = await serverError(c.replaceOne({}, { n: 5 }, { sort: { n: -1 } }));
  expect(replace.code).toBe(40415);
  expect(await c.find({}).sort({ _id: 1 }).toArray()).toEqual([
    { _id: 1, n: 1 },
    { _id: 2, n: 2 },
  ]);
  // findOneAndUpdate has always had a sort.
  await c.findOneAndUpdate({}, { $set: { touched: true } }, { sort: { n: -1 } });
  expect(await c.findOne({ touched: true })).toEqual({ _id: 2, n: 2, touched: true });
});

test("a '$'-prefixed field inside _id is refused with DollarPrefixedFieldName (52)", async () => {
  const c = db.collection('dollar_ids');
  const top = await serverError(c.insertOne({ _id: { $bad: 1 } as never }));
  expect(top.code).toBe(52);
  expect(top.message).toMatch(/_id fields may not contain '\$'-prefixed fields: \$bad is not valid for storage/);
  const nested = await serverError(c.insertOne({ _id: { a: { $inner: 1 } } as never }));
  expect(nested.code).toBe(52);
  await c.insertOne({ _id: { a: 1, b: 'x' } as never });
  expect(await c.countDocuments()).toBe(1);
});

test('per-statement constants (c) on an update are variables for that statement', async () => {
  const c = db.collection('constants');
  await c.insertMany([
    { _id: 1, n: 1 },
    { _id: 2, n: 2 },
  ] as never[]);
  const reply = await db.command({
    update: 'constants',
    updates: [
      { q: { $expr: { $eq: ['$_id', '$$which'] } }, u: [{ $set: { n: '$$to' } }], c: { which: 1, to: 10 } },
      { q: { $expr: { $eq: ['$_id', '$$which'] } }, u: [{ $set: { n: '$$to' } }], c: { which: 2, to: 20 } },
    ],
  });
  expect(reply).toMatchObject({ n: 2, nModified: 2 });
  expect(await c.find({}).sort({ _id: 1 }).toArray()).toEqual([
    { _id: 1, n: 10 },
    { _id: 2, n: 20 },
  ]);
});

test('$listLocalSessions lists the sessions this server has seen, as a standalone without access control does', async () => {
  const session = client.startSession();
  try {
    await db.collection('sessions_used').insertOne({ at: 1 }, { session });
    const wanted = Buffer.from(session.id!.id.buffer).toString('hex');
    const listed = await client.db('admin').aggregate([{ $listLocalSessions: { allUsers: true } }]).toArray();
    const mine = listed.find((s) => Buffer.from((s._id.id as Binary).buffer).toString('hex') === wanted);
    expect(mine).toBeDefined();
    expect(mine?.lastUse).toBeInstanceOf(Date);
    expect((mine?._id.uid as Binary).buffer.length).toBe(32);
    const matched = await client.db('admin').aggregate([{ $listLocalSessions: {} }, { $match: { '_id.id': session.id!.id } }, { $count: 'n' }]).toArray();
    expect(matched).toEqual([{ n: 1 }]);
    // Only first, and only against the database.
    await serverError(client.db('admin').aggregate([{ $match: {} }, { $listLocalSessions: {} }]).toArray());
    await serverError(db.collection('sessions_used').aggregate([{ $listLocalSessions: {} }]).toArray());
    await serverError(client.db('admin').aggregate([{ $listLocalSessions: { allUsers: true, users: [] } }]).toArray());
  } finally {
    await session.endSession();
  }
});
