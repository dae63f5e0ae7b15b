/**
 * Sessions in MongoDB through express-session and connect-mongo, sharing Mongoose's driver client (no second
 * connection pool). The session holds the user id only (Passport), and is rewritten at most every `touchAfter`
 * seconds when nothing changed, so reading a page does not cost a database write.
 */
import type { RequestHandler } from 'express';
import session from 'express-session';
import { MongoStore } from 'connect-mongo';
import mongoose from 'mongoose';

export const SESSION_COOKIE = 'coproduce.sid';
/** A session ends after this long without activity. */
const SESSION_IDLE_SECONDS = 12 * 60 * 60;
const TOUCH_AFTER_SECONDS = 10 * 60;

/**
 * The store for the connected Mongoose instance. Call after `connectDatabase`. The store creates its TTL index
 * in the background: await `sessionStoreReady(store)` before closing the connection.
 */
export function createSessionStore(): MongoStore {
  return MongoStore.create({
    client: mongoose.connection.getClient(),
    collectionName: 'sessions',
    ttl: SESSION_IDLE_SECONDS,
    touchAfter: TOUCH_AFTER_SECONDS,
    stringify: false,
  });
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
  if (store instanceof MongoStore) await store.collectionP.then(() => undefined, () => undefined);
}
