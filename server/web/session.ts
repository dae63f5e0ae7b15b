/**
 * Sessions in MongoDB through express-session and connect-mongo, sharing Mongoose's driver client (no second
 * connection pool). The session holds the user id only (Passport), and is rewritten at most every `touchAfter`
 * seconds when nothing changed, so reading a page does not cost a database write.
 */
import type { RequestHandler } from 'express';
import session from 'express-session';
import { MongoStore } from 'connect-mongo';
import mongoose from 'mongoose';
import { RecentReads } from '../db/recent-reads';

export const SESSION_COOKIE = 'coproduce.sid';
const SESSIONS_COLLECTION = 'sessions';
/** A session ends after this long without activity. */
const SESSION_IDLE_SECONDS = 12 * 60 * 60;
const TOUCH_AFTER_SECONDS = 10 * 60;

/** How long this process answers a session read from memory. */
const REMEMBER_SESSION_MS = 5_000;

/**
 * A deep copy of session data as the store holds it: plain objects and arrays are copied, Dates copied as Dates
 * (connect-mongo reads `lastModified.getTime()`), and anything else is a value kept as it is. Several times
 * cheaper than structuredClone on every signed-in request.
 */
function copyOfSession<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (Array.isArray(value)) return value.map(copyOfSession) as T;
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = copyOfSession(item);
  return copy as T;
}

/**
 * Every signed-in request reads its session; from the database that was a large share of a small page's cost
 * (bench/lesson.ts). This store remembers each session it read for a few seconds (../db/recent-reads.ts: a
 * change forgets at once, and requests arriving together share one read). Saving and destroying (sign-out)
 * forget the session before the write and again once it is done, so no read from before the write is kept;
 * `endSessionsOfUser` forgets everything. With several app processes, a session destroyed by another process
 * can still be read here for up to REMEMBER_SESSION_MS.
 */
export class RememberingSessionStore extends session.Store {
  private readonly reads = new RecentReads<session.SessionData | null | undefined>({ ttlMs: REMEMBER_SESSION_MS, limit: 10_000 });

  constructor(readonly inner: session.Store) {
    super();
  }

  override get(sid: string, callback: (error: unknown, data?: session.SessionData | null) => void): void {
    // Each request gets its own copy: express-session changes the object it is given.
    const hit = this.reads.recall(sid);
    if (hit) {
      callback(null, copyOfSession(hit.value));
      return;
    }
    this.reads.get(sid, () => this.readInner(sid)).then(
      (data) => callback(null, copyOfSession(data)),
      (error: unknown) => callback(error),
    );
  }

  private readInner(sid: string): Promise<session.SessionData | null | undefined> {
    return new Promise((resolve, reject) => {
      this.inner.get(sid, (error: unknown, data?: session.SessionData | null) => (error ? reject(error as Error) : resolve(data)));
    });
  }

  override set(sid: string, data: session.SessionData, callback?: (error?: unknown) => void): void {
    this.reads.forget(sid);
    this.inner.set(sid, data, (error?: unknown) => {
      this.reads.forget(sid);
      callback?.(error);
    });
  }

  override destroy(sid: string, callback?: (error?: unknown) => void): void {
    this.reads.forget(sid);
    this.inner.destroy(sid, (error?: unknown) => {
      this.reads.forget(sid);
      callback?.(error);
    });
  }

  override touch(sid: string, data: session.SessionData, callback?: () => void): void {
    if (!this.inner.touch) {
      callback?.();
      return;
    }
    // connect-mongo writes a touch only once TOUCH_AFTER_SECONDS have passed since `lastModified`; after such a
    // write the remembered copy holds the old `lastModified`, and each request would write the touch again.
    const lastModified = (data as { lastModified?: { getTime?: () => number } }).lastModified;
    const writes = typeof lastModified?.getTime !== 'function' || Date.now() - lastModified.getTime() >= TOUCH_AFTER_SECONDS * 1000;
    this.inner.touch(sid, data, () => {
      if (writes) this.reads.forget(sid);
      callback?.();
    });
  }

  forgetAll(): void {
    this.reads.forgetAll();
  }

  /** Ends every session of a person (after a password reset): in the database, and in what this store remembers. */
  async endSessionsOfUser(userId: string): Promise<void> {
    await mongoose.connection.collection(SESSIONS_COLLECTION).deleteMany({ 'session.passport.user': userId });
    this.forgetAll();
  }
}

/**
 * The store for the connected Mongoose instance: one per app, made by the composition root after
 * `connectDatabase`. The store creates its TTL index in the background: await `sessionStoreReady(store)` before
 * closing the connection.
 */
export function createSessionStore(): RememberingSessionStore {
  return new RememberingSessionStore(
    MongoStore.create({
      client: mongoose.connection.getClient(),
      collectionName: SESSIONS_COLLECTION,
      ttl: SESSION_IDLE_SECONDS,
      touchAfter: TOUCH_AFTER_SECONDS,
      stringify: false,
    }),
  );
}

export function sessions(options: { secret: string; production: boolean; store: session.Store }): RequestHandler {
  return session({
    name: SESSION_COOKIE,
    secret: options.secret,
    store: options.store,
    resave: false,
    saveUninitialized: false,
    rolling: false,
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: options.production,
      path: '/',
    },
  });
}

/** Resolves once the store's setup (its TTL index) is finished, so closing the connection cannot cut it off. */
export async function sessionStoreReady(store: session.Store): Promise<void> {
  const inner = store instanceof RememberingSessionStore ? store.inner : store;
  if (inner instanceof MongoStore) await inner.collectionP.then(() => undefined, () => undefined);
}
