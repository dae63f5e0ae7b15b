/**
 * Where the engine conformance tests run: a real MongoDB when TEST_MONGODB_URI is set (each test file gets its
 * own database, dropped at the end), else the embedded engine in memory. The assertions hold on both.
 */
import { MongoServerError } from 'mongodb';
import { randomBytes } from 'node:crypto';
import { startEmbeddedMongo } from '../../server/db/embedded';

export interface Target {
  /** A URI without a database path. */
  uri: string;
  /** A database name unique to this test file. */
  dbName: string;
  /** The URI with the database name, for Mongoose. */
  dbUri: string;
  embedded: boolean;
  stop(): Promise<void>;
}

function withDatabase(uri: string, dbName: string): string {
  const url = new URL(uri);
  url.pathname = `/${dbName}`;
  return url.toString();
}

export async function startTarget(label: string): Promise<Target> {
  const dbName = `test_${label.replace(/[^a-z0-9]/gi, '_')}_${randomBytes(4).toString('hex')}`;
  // A test-only switch (not an app setting, so not in server/config.ts): run the same suite against MongoDB.
  const external = process.env.TEST_MONGODB_URI;
  if (external) {
    return {
      uri: external,
      dbName,
      dbUri: withDatabase(external, dbName),
      embedded: false,
      stop: async () => {
        const { MongoClient } = await import('mongodb');
        const client = await MongoClient.connect(external);
        await client.db(dbName).dropDatabase();
        await client.close();
      },
    };
  }
  const engine = await startEmbeddedMongo({ ttlIntervalMs: 200, log: () => undefined });
  return { uri: engine.uri, dbName, dbUri: withDatabase(engine.uri, dbName), embedded: true, stop: engine.stop };
}

/** The server's error from a command expected to fail (fails the test when it succeeds or fails otherwise). */
export async function serverError(promise: Promise<unknown>): Promise<MongoServerError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MongoServerError);
  return err as MongoServerError;
}
