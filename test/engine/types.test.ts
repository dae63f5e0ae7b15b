/** $type against every BSON type a driver can store, by name and by number, and an _id of null. */
import { Binary, BSONRegExp, BSONSymbol, Code, Decimal128, Double, Int32, Long, MaxKey, MinKey, MongoClient, MongoServerError, ObjectId, Timestamp, type Db, type Document } from 'mongodb';
import { startTarget, type Target } from './target';

let target: Target;
let client: MongoClient;
let db: Db;

beforeAll(async () => {
  target = await startTarget('types');
  client = await MongoClient.connect(target.uri);
  db = client.db(target.dbName);
  await db.collection('values').insertMany([
    { _id: 'double', v: new Double(1.5) },
    { _id: 'string', v: 'text' },
    { _id: 'object', v: { inner: true } },
    { _id: 'array', v: [new Int32(1)] },
    { _id: 'binData', v: new Binary(Buffer.from('abc')) },
    { _id: 'objectId', v: new ObjectId() },
    { _id: 'bool', v: false },
    { _id: 'date', v: new Date(0) },
    { _id: 'null', v: null },
    { _id: 'regex', v: new BSONRegExp('^a', 'i') },
    { _id: 'javascript', v: new Code('function () { return 1; }') },
    { _id: 'symbol', v: new BSONSymbol('sym') },
    { _id: 'javascriptWithScope', v: new Code('function () { return x; }', { x: 1 }) },
    { _id: 'int', v: new Int32(7) },
    { _id: 'timestamp', v: new Timestamp({ t: 1, i: 1 }) },
    { _id: 'long', v: Long.fromNumber(8) },
    { _id: 'decimal', v: Decimal128.fromString('9.5') },
    { _id: 'minKey', v: new MinKey() },
    { _id: 'maxKey', v: new MaxKey() },
  ] as Document[]);
});

afterAll(async () => {
  await client.close();
  await target.stop();
});

const CODES: Array<[string, number]> = [
  ['double', 1],
  ['string', 2],
  ['object', 3],
  ['array', 4],
  ['binData', 5],
  ['objectId', 7],
  ['bool', 8],
  ['date', 9],
  ['null', 10],
  ['regex', 11],
  ['javascript', 13],
  ['symbol', 14],
  ['javascriptWithScope', 15],
  ['int', 16],
  ['timestamp', 17],
  ['long', 18],
  ['decimal', 19],
  ['minKey', -1],
  ['maxKey', 127],
];

async function idsOf(filter: Document): Promise<string[]> {
  const docs = await db.collection('values').find(filter, { projection: { _id: 1 } }).toArray();
  return docs.map((d) => String(d._id)).sort();
}

test.each(CODES)('$type %s (code %i) finds exactly the documents holding that type', async (name, code) => {
  // The array holds an int, and $type looks inside arrays, so int also finds it.
  const expected = (name === 'int' ? ['array', 'int'] : [name]).sort();
  expect(await idsOf({ v: { $type: name } })).toEqual(expected);
  expect(await idsOf({ v: { $type: code } })).toEqual(expected);
});

test('"number" finds every numeric type, and a list of types finds any of them', async () => {
  expect(await idsOf({ v: { $type: 'number' } })).toEqual(['array', 'decimal', 'double', 'int', 'long']);
  expect(await idsOf({ v: { $type: ['bool', 2] } })).toEqual(['bool', 'string']);
  // A missing field has no type at all.
  expect(await idsOf({ missing: { $type: 'null' } })).toEqual([]);
});

test('unknown type names and codes are refused with BadValue (2)', async () => {
  const refused = async (filter: Document): Promise<MongoServerError> => {
    const err = await db.collection('values').find(filter).toArray().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(MongoServerError);
    return err as MongoServerError;
  };
  const unknownName = await refused({ v: { $type: 'integer' } });
  expect(unknownName.code).toBe(2);
  expect(unknownName.message).toMatch(/Unknown type name alias: integer/);
  const unknownCode = await refused({ v: { $type: 99 } });
  expect(unknownCode.code).toBe(2);
  expect(unknownCode.message).toMatch(/Invalid numerical type code: 99/);
  expect((await refused({ v: { $type: [] } })).message).toMatch(/must match at least one type/);
});

test('a document whose _id is null is stored, found by equality and by $type "null", and is unique', async () => {
  const c = db.collection<{ _id: null | string; kind?: string }>('null_ids');
  // The driver gives a document with `_id: null` a new ObjectId, so a null _id arrives through an upsert or a raw
  // insert command, as it does on MongoDB.
  await db.command({ insert: 'null_ids', documents: [{ _id: null, kind: 'raw' }] });
  expect(await c.find({ _id: { $type: 'null' } }).toArray()).toEqual([{ _id: null, kind: 'raw' }]);
  expect(await c.find({ _id: { $type: 10 } }).toArray()).toEqual([{ _id: null, kind: 'raw' }]);
  expect(await c.find({ _id: null }).toArray()).toEqual([{ _id: null, kind: 'raw' }]);
  const upsert = await c.updateOne({ _id: null }, { $set: { kind: 'upserted' } }, { upsert: true });
  expect(upsert).toMatchObject({ matchedCount: 1, upsertedCount: 0 });
  const again = await db.command({ insert: 'null_ids', documents: [{ _id: null }] });
  expect(again.writeErrors?.[0]?.code).toBe(11000);
  expect(await c.countDocuments({ _id: { $type: 'null' } })).toBe(1);
});
