/** connect-mongo against the engine: set, get, touch, destroy, and expiry through the TTL index. */
import { MongoClient } from 'mongodb';
import { MongoStore } from 'connect-mongo';
import type { SessionData } from 'express-session';
import { startTarget, type Target } from './target';

let target: Target;
let client: MongoClient;
let store: MongoStore;

beforeAll(async () => {
  target = await startTarget('sessions');
  client = await MongoClient.connect(target.uri);
  store = MongoStore.create({ client, dbName: target.dbName, collectionName: 'sessions', stringify: false });
});

afterAll(async () => {
  await store.close();
  await target.stop();
});

function call<T>(fn: (cb: (err: unknown, value?: T) => void) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

function session(maxAgeMs: number, extra: Record<string, unknown> = {}): SessionData {
  return { cookie: { originalMaxAge: maxAgeMs, expires: new Date(Date.now() + maxAgeMs), path: '/', httpOnly: true }, ...extra } as unknown as SessionData;
}

test('keeps a session: set, get, touch and destroy', async () => {
  await call((cb) => store.set('abc', session(60_000, { userId: 'u1' }), cb));
  const loaded = await call<SessionData | null>((cb) => store.get('abc', cb));
  expect(loaded).toMatchObject({ userId: 'u1' });

  // Saving again rewrites the same _id (connect-mongo $sets _id to its own value).
  await call((cb) => store.set('abc', session(60_000, { userId: 'u1', step: 2 }), cb));
  expect(await call<SessionData | null>((cb) => store.get('abc', cb))).toMatchObject({ step: 2 });

  const before = await client.db(target.dbName).collection('sessions').findOne({ _id: 'abc' as never });
  await call((cb) => store.touch('abc', session(120_000, { userId: 'u1', step: 2 }), cb));
  const after = await client.db(target.dbName).collection('sessions').findOne({ _id: 'abc' as never });
  expect((after?.expires as Date).getTime()).toBeGreaterThan((before?.expires as Date).getTime());

  await call((cb) => store.destroy('abc', cb));
  expect(await call<SessionData | null>((cb) => store.get('abc', cb))).toBeFalsy();
});

test('creates a TTL index on expires and the database removes an expired session', async () => {
  const sessions = client.db(target.dbName).collection('sessions');
  const waitFor = async (check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await check()) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return check();
  };
  expect(await waitFor(async () => (await sessions.indexes()).some((ix) => ix.key.expires === 1 && ix.expireAfterSeconds === 0), 5000)).toBe(true);
  await sessions.insertOne({ _id: 'old' as never, expires: new Date(Date.now() - 1000), session: {} });
  // A real MongoDB reaps once a minute; the embedded test engine every 200 ms.
  const gone = await waitFor(async () => (await sessions.countDocuments({ _id: 'old' as never })) === 0, target.embedded ? 5000 : 70_000);
  expect(gone).toBe(true);
});
