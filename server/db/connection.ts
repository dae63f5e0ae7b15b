/**
 * The Mongoose connection. Models live on the default mongoose instance; nothing connects on import:
 * main.ts and the test support call `connectDatabase` with a URI (a real MongoDB or the embedded engine).
 */
import mongoose from 'mongoose';

export async function connectDatabase(uri: string): Promise<mongoose.Connection> {
  // Queries fail at once instead of waiting in a buffer when the database is not there.
  mongoose.set('bufferCommands', false);
  // Filters with unknown fields are dropped rather than passed to the database.
  mongoose.set('strictQuery', true);
  await mongoose.connect(uri, { serverSelectionTimeoutMS: 10_000, autoIndex: true });
  // Indexes declared on the schemas exist before the first request relies on them (unique emails, tokens).
  // createIndexes rather than init(): init() caches its first promise, which breaks a second connect in one process.
  await Promise.all(Object.values(mongoose.connection.models).map((model) => model.createIndexes()));
  return mongoose.connection;
}

export async function disconnectDatabase(): Promise<void> {
  await mongoose.disconnect();
}

/** True when the database answers a ping. */
export async function databaseAnswers(): Promise<boolean> {
  const db = mongoose.connection.db;
  if (mongoose.connection.readyState !== mongoose.ConnectionStates.connected || !db) return false;
  try {
    await db.admin().ping();
    return true;
  } catch {
    return false;
  }
}
