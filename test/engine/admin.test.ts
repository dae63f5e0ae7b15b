/** setParameter/getParameter and the other admin commands, answered or refused as a MongoDB 7.0 standalone does. */
import { MongoClient, MongoServerError, type Db } from 'mongodb';
import { startTarget, type Target } from './target';

let target: Target;
let client: MongoClient;
let admin: Db;
let db: Db;

beforeAll(async () => {
  target = await startTarget('admin');
  client = await MongoClient.connect(target.uri);
  admin = client.db('admin');
  db = client.db(target.dbName);
});

afterAll(async () => {
  await client.close();
  await target.stop();
});

async function code(promise: Promise<unknown>): Promise<number> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MongoServerError);
  return Number((err as MongoServerError).code);
}

test('setParameter answers the previous value and getParameter reads it back', async () => {
  const before = await admin.command({ getParameter: 1, logLevel: 1 });
  const set = await admin.command({ setParameter: 1, logLevel: 1 });
  expect(set.was).toBe(before.logLevel);
  expect((await admin.command({ getParameter: 1, logLevel: 1 })).logLevel).toBe(1);
  await admin.command({ setParameter: 1, logLevel: before.logLevel as number });
  const fcv = await admin.command({ getParameter: 1, featureCompatibilityVersion: 1 });
  expect(fcv.featureCompatibilityVersion.version).toMatch(/^\d+\.\d+$/);
});

test('setParameter refuses unknown (72), startup-only (20) and empty requests, and other databases (13)', async () => {
  expect(await code(admin.command({ setParameter: 1, noSuchParameter: 1 }))).toBe(72);
  expect(await code(admin.command({ setParameter: 1, authenticationMechanisms: ['SCRAM-SHA-256'] }))).toBe(20);
  expect(await code(admin.command({ setParameter: 1 }))).toBe(72);
  expect(await code(db.command({ setParameter: 1, logLevel: 0 }))).toBe(13);
  expect(await code(db.command({ getParameter: 1, logLevel: 1 }))).toBe(13);
});

test('a standalone has no replica set (76); profile reads level 0; fsync answers', async () => {
  const hello = await admin.command({ hello: 1 });
  if (typeof hello.setName === 'string') {
    console.log('replSetGetStatus not checked: the target is a replica set');
  } else {
    expect(await code(admin.command({ replSetGetStatus: 1 }))).toBe(76);
  }
  expect(await db.command({ profile: -1 })).toMatchObject({ was: 0, ok: 1 });
  expect(await admin.command({ fsync: 1 })).toMatchObject({ ok: 1 });
});
