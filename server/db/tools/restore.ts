/**
 * Loading a dump folder (ours, or one made by mongodump) into the embedded engine or any MongoDB, with each
 * collection's options and indexes; every collection's count and checksum are checked against the files at the
 * end.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { MongoClient } from 'mongodb';
import { collectionOfFile, parseMetadata, readBsonFile } from './layout';
import { CollectionLoader, verifyCollection, type LoadedCollection } from './load';
import { ToolError } from './source';

export interface RestoreOptions {
  /** Drop each collection before loading it (otherwise a collection that has documents is refused). */
  drop?: boolean;
  /** Only this database of the dump. */
  db?: string;
  /** Load it under this name instead (needs `db` when the dump holds several databases). */
  toDb?: string;
}

const SERVER_DATABASES = new Set(['admin', 'local', 'config']);

async function listDirectory(dir: string): Promise<Array<{ name: string; isDirectory: boolean }>> {
  try {
    return (await fsp.readdir(dir, { withFileTypes: true })).map((e) => ({ name: e.name, isDirectory: e.isDirectory() }));
  } catch (error) {
    throw new ToolError(`Cannot read the dump folder ${dir}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The collections of one database folder, by name, with their two files (either may be missing). */
async function collectionsIn(dbDir: string): Promise<Map<string, { bson?: string; metadata?: string }>> {
  const found = new Map<string, { bson?: string; metadata?: string }>();
  for (const entry of await listDirectory(dbDir)) {
    if (entry.isDirectory) continue;
    const match = /^(.*)\.(bson|metadata\.json)$/.exec(entry.name);
    if (!match) continue;
    const name = collectionOfFile(match[1] as string);
    if (name.startsWith('system.')) continue;
    const files = found.get(name) ?? {};
    if (match[2] === 'bson') files.bson = path.join(dbDir, entry.name);
    else files.metadata = path.join(dbDir, entry.name);
    found.set(name, files);
  }
  return found;
}

export async function restoreDump(client: MongoClient, dumpDir: string, options: RestoreOptions = {}): Promise<LoadedCollection[]> {
  const root = path.resolve(dumpDir);
  const entries = await listDirectory(root);
  // A database folder given directly (it holds .bson files), or the dump's top folder (one folder per database).
  const direct = entries.some((e) => !e.isDirectory && /\.(bson|metadata\.json)$/.test(e.name));
  let databases = direct
    ? [{ name: options.db ?? path.basename(root), dir: root }]
    : entries.filter((e) => e.isDirectory && !SERVER_DATABASES.has(e.name)).map((e) => ({ name: e.name, dir: path.join(root, e.name) }));
  if (options.db && !direct) databases = databases.filter((d) => d.name === options.db);
  if (databases.length === 0) throw new ToolError(`${root} holds no database folder${options.db ? ` named ${options.db}` : ''} to restore.`);
  if (options.toDb && databases.length > 1) throw new ToolError('--to-db needs --db: the dump holds several databases.');

  const loaded: LoadedCollection[] = [];
  for (const database of databases) {
    const db = client.db(options.toDb ?? database.name);
    const collections = [...(await collectionsIn(database.dir))].sort(([a], [b]) => a.localeCompare(b));
    for (const [name, files] of collections) {
      const metadata = files.metadata ? parseMetadata(await fsp.readFile(files.metadata, 'utf8'), files.metadata) : { indexes: [], options: {}, type: 'collection' };
      const loader = await CollectionLoader.start(db, { db: db.databaseName, name, ...metadata }, options.drop ?? false);
      if (files.bson && metadata.type !== 'view') for await (const doc of readBsonFile(files.bson)) await loader.add(doc);
      loaded.push(await loader.finish());
    }
  }
  const problems: string[] = [];
  for (const collection of loaded) {
    const problem = await verifyCollection(client.db(collection.db), collection);
    if (problem) problems.push(problem);
  }
  if (problems.length > 0) throw new ToolError(`The restore does not match the dump:\n  ${problems.join('\n  ')}`);
  return loaded;
}
