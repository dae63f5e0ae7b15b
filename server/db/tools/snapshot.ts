/**
 * Reading every collection of a database server, with its options and indexes, as one stream: the engine's
 * point-in-time `coproduceSnapshot` when the server is the embedded engine; otherwise (a real MongoDB) each
 * collection read on its own, which is not point-in-time across collections, and the caller is told so.
 */
import { promises as fsp } from 'node:fs';
import type { Binary, BSONSerializeOptions, Document, MongoClient } from 'mongodb';
import { ToolError } from './source';

/** Documents keep their exact BSON types (int32, int64, double, Decimal128, binary subtypes, regexes). */
export const EXACT_BSON: BSONSerializeOptions = { promoteValues: false, promoteLongs: false, promoteBuffers: false, bsonRegExp: true };

/** Databases a dump leaves out, as mongodump does: the server's own. */
const SERVER_DATABASES = new Set(['admin', 'local', 'config']);

export interface CollectionInfo {
  db: string;
  name: string;
  /** 'collection', or 'view' (a view has options but no documents or indexes of its own). */
  type: string;
  options: Document;
  /** As listIndexes gives them: `{ v, key, name, ...options }`, the _id index included. */
  indexes: Document[];
}

/** A collection's info, or one of its documents as BSON bytes (written to a dump as they are). */
export type SnapshotItem = { collection: CollectionInfo } | { bson: Uint8Array };

export interface Snapshot {
  /** True when every collection was read at the same instant (the embedded engine). */
  pointInTime: boolean;
  /** When the point-in-time snapshot was taken (the engine's clock). */
  snapshotTime?: Date;
  /** For each collection, its info first and then its documents. */
  items: AsyncGenerator<SnapshotItem>;
}

export interface SnapshotOptions {
  /** Only this database. */
  db?: string;
  /** Refuse an engine whose data folder is not this one (guards against a stale address file). */
  expectDbPath?: string;
}

/** A number from a reply read with EXACT_BSON (a Long, Int32 or Double wrapper). */
export function numberOf(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value && typeof value === 'object' && 'toNumber' in value && typeof value.toNumber === 'function') return Number(value.toNumber());
  return Number((value as { valueOf(): unknown }).valueOf());
}

async function samePath(a: string, b: string): Promise<boolean> {
  const [ra, rb] = await Promise.all([fsp.realpath(a).catch(() => a), fsp.realpath(b).catch(() => b)]);
  return ra === rb;
}

export async function openSnapshot(client: MongoClient, options: SnapshotOptions = {}): Promise<Snapshot> {
  const admin = client.db('admin', EXACT_BSON);
  let reply: Document;
  try {
    reply = await admin.command({ coproduceSnapshot: 1, cursor: { batchSize: 1000 } });
  } catch (error) {
    if ((error as { code?: unknown }).code === 59) return perCollection(client, options);
    throw error;
  }
  if (options.expectDbPath && (typeof reply.dbPath !== 'string' || !(await samePath(reply.dbPath, options.expectDbPath)))) {
    throw new ToolError(`The engine found through ${options.expectDbPath} serves ${String(reply.dbPath)} instead; pass --uri.`);
  }
  return { pointInTime: true, snapshotTime: reply.snapshotTime as Date, items: fromEngine(client, reply, options) };
}

async function* fromEngine(client: MongoClient, reply: Document, options: SnapshotOptions): AsyncGenerator<SnapshotItem> {
  const admin = client.db('admin', EXACT_BSON);
  let cursor = reply.cursor as { firstBatch?: Document[]; nextBatch?: Document[]; id: unknown };
  let batch = cursor.firstBatch ?? [];
  let skipping = false;
  try {
    for (;;) {
      for (const entry of batch) {
        if (entry.collection) {
          const info = entry.collection as Document;
          skipping = options.db !== undefined && info.db !== options.db;
          if (!skipping) {
            yield { collection: { db: String(info.db), name: String(info.name), type: String(info.type), options: info.options as Document, indexes: info.indexes as Document[] } };
          }
        } else if (!skipping) yield { bson: (entry.bson as Binary).value() };
      }
      if (numberOf(cursor.id) === 0) return;
      // The engine's getMore: the cursor belongs to admin.$cmd.coproduceSnapshot.
      const more = await admin.command({ getMore: cursor.id, collection: '$cmd.coproduceSnapshot', batchSize: 1000 });
      cursor = more.cursor as typeof cursor;
      batch = cursor.nextBatch ?? [];
    }
  } finally {
    if (numberOf(cursor.id) !== 0) await admin.command({ killCursors: '$cmd.coproduceSnapshot', cursors: [cursor.id] }).catch(() => undefined);
  }
}

async function perCollection(client: MongoClient, options: SnapshotOptions): Promise<Snapshot> {
  const names = options.db
    ? [options.db]
    : (await client.db('admin').admin().listDatabases({ nameOnly: true })).databases.map((d) => d.name).filter((n) => !SERVER_DATABASES.has(n));
  async function* items(): AsyncGenerator<SnapshotItem> {
    for (const dbName of names) {
      const db = client.db(dbName, EXACT_BSON);
      const infos = await db.listCollections({}, { nameOnly: false }).toArray();
      for (const info of infos.sort((a, b) => String(a.name).localeCompare(String(b.name)))) {
        const name = String(info.name);
        if (name.startsWith('system.')) continue;
        const type = String(info.type ?? 'collection');
        if (type !== 'collection' && type !== 'view') continue; // time series and others: not handled here
        const indexes = type === 'view' ? [] : await client.db(dbName).collection(name).listIndexes().toArray();
        yield { collection: { db: dbName, name, type, options: (info.options as Document | undefined) ?? {}, indexes } };
        if (type === 'view') continue;
        for await (const bson of db.collection(name).find({}, { sort: { _id: 1 }, raw: true })) yield { bson: bson as unknown as Uint8Array };
      }
    }
  }
  return { pointInTime: false, items: items() };
}
