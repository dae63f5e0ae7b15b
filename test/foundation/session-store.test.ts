/**
 * The session store that remembers sessions for a few seconds (server/web/session.ts): what it answers from
 * memory must behave exactly like what MongoDB answers, down to the types connect-mongo relies on.
 */
import type session from 'express-session';
import mongoose from 'mongoose';
import { createSessionStore, sessionStoreReady, type RememberingSessionStore } from '../../server/web/session';
import { startTestApp, type TestApp } from '../support/app';

function call<T>(run: (callback: (error: unknown, value?: T) => void) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => run((error, value) => (error ? reject(error as Error) : resolve(value))));
}

describe('RememberingSessionStore', () => {
  let t: TestApp;
  let store: RememberingSessionStore;
  beforeAll(async () => {
    t = await startTestApp();
    store = createSessionStore();
  });
  afterAll(async () => {
    await sessionStoreReady(store);
    await t.stop();
  });

  const data = (): session.SessionData =>
    ({ cookie: { originalMaxAge: null, httpOnly: true, path: '/' }, passport: { user: 'someone' } }) as unknown as session.SessionData;

  it('answers a remembered session with the same types as the database, so touching it works', async () => {
    await call<void>((done) => store.set('sid-types', data(), done));
    const fromDatabase = await call<session.SessionData | null>((done) => store.get('sid-types', done));
    const fromMemory = await call<session.SessionData | null>((done) => store.get('sid-types', done));
    expect(fromMemory).toEqual(fromDatabase);
    // connect-mongo calls lastModified.getTime() when touching (a Date across Jest's realms: no instanceof).
    expect(Object.prototype.toString.call((fromMemory as unknown as { lastModified?: unknown }).lastModified)).toBe('[object Date]');
    await expect(call<void>((done) => store.touch('sid-types', fromMemory as session.SessionData, () => done(null)))).resolves.toBeUndefined();
  });

  it('gives every read its own copy, so one request changing its session cannot change another', async () => {
    await call<void>((done) => store.set('sid-copies', data(), done));
    const first = (await call<session.SessionData | null>((done) => store.get('sid-copies', done))) as unknown as { passport: { user: string } };
    first.passport.user = 'changed';
    const second = (await call<session.SessionData | null>((done) => store.get('sid-copies', done))) as unknown as { passport: { user: string } };
    expect(second.passport.user).toBe('someone');
  });

  it('forgets a session as soon as it is destroyed', async () => {
    await call<void>((done) => store.set('sid-gone', data(), done));
    await call((done) => store.get('sid-gone', done));
    await call<void>((done) => store.destroy('sid-gone', done));
    expect(await call((done) => store.get('sid-gone', done))).toBeFalsy();
  });

  it('does not keep a read that was on its way when the session was destroyed (a sign-out elsewhere)', async () => {
    await call<void>((done) => store.set('sid-race', data(), done));
    const reading = call((done) => store.get('sid-race', done));
    await call<void>((done) => store.destroy('sid-race', done));
    await reading;
    expect(await call((done) => store.get('sid-race', done))).toBeFalsy();
  });

  it('forgets a remembered session once a touch has written, so the next request does not write the touch again', async () => {
    await call<void>((done) => store.set('sid-touch', data(), done));
    const elevenMinutesAgo = new Date(Date.now() - 11 * 60 * 1000);
    await mongoose.connection.collection('sessions').updateOne({ _id: 'sid-touch' as unknown as never }, { $set: { lastModified: elevenMinutesAgo } });
    const remembered = await call<session.SessionData | null>((done) => store.get('sid-touch', done));
    const lastModifiedOf = (value: unknown): number => ((value as { lastModified: { getTime(): number } }).lastModified).getTime();
    expect(lastModifiedOf(remembered)).toBe(elevenMinutesAgo.getTime());
    await call<void>((done) => store.touch('sid-touch', remembered as session.SessionData, () => done(null)));
    const afterTouch = await call<session.SessionData | null>((done) => store.get('sid-touch', done));
    expect(lastModifiedOf(afterTouch)).toBeGreaterThan(elevenMinutesAgo.getTime());
  });
});
