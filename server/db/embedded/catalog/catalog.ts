/**
 * The catalog: databases and their collections. Every change is described by a journal record (a plain BSON
 * document) handed to the `Changes` sink, and `applyRecord` replays those records on start.
 */
import { BSON } from 'bson';
import { EngineError, ErrorCodes } from '../errors';
import type { Doc } from '../query/values';
import { Collection, type CollectionOptions } from './collection';
import type { IndexSpec } from './index-store';

/** Where a command's changes go before its reply (the journal, when there is one). */
export interface Changes {
  record(entry: Doc): void;
}

export const noChanges: Changes = { record: () => undefined };

const VALID_COLLECTION = /^[^$\0]+$/;

export class Catalog {
  readonly databases = new Map<string, Map<string, Collection>>();

  listDatabases(): string[] {
    return [...this.databases.keys()].filter((db) => (this.databases.get(db)?.size ?? 0) > 0);
  }

  collections(db: string): Collection[] {
    return [...(this.databases.get(db)?.values() ?? [])];
  }

  get(db: string, name: string): Collection | undefined {
    return this.databases.get(db)?.get(name);
  }

  /** The database's collections, the database made on first use. */
  private collectionsOf(db: string): Map<string, Collection> {
    let colls = this.databases.get(db);
    if (!colls) {
      colls = new Map();
      this.databases.set(db, colls);
    }
    return colls;
  }

  private static checkName(db: string, name: string): void {
    if (!db || /[/\\. "$\0]/.test(db)) throw new EngineError(ErrorCodes.InvalidNamespace, `Invalid database name: '${db}'`);
    if (!name || !VALID_COLLECTION.test(name) || name.startsWith('.') || name.endsWith('.')) {
      throw new EngineError(ErrorCodes.InvalidNamespace, `Invalid collection name: ${name}`);
    }
  }

  /** The collection, created implicitly (as an insert or createIndexes does in MongoDB). */
  obtain(db: string, name: string, changes: Changes): Collection {
    const existing = this.get(db, name);
    if (existing) return existing;
    return this.create(db, name, {}, changes);
  }

  create(db: string, name: string, options: CollectionOptions, changes: Changes): Collection {
    Catalog.checkName(db, name);
    if (this.get(db, name)) throw new EngineError(ErrorCodes.NamespaceExists, `Collection ${db}.${name} already exists.`);
    const collection = new Collection(db, name, options);
    if (this.loading) collection.beginLoad();
    this.collectionsOf(db).set(name, collection);
    changes.record({ op: 'createCollection', db, coll: name, options });
    return collection;
  }

  drop(db: string, name: string, changes: Changes): boolean {
    const colls = this.databases.get(db);
    if (!colls?.has(name)) return false;
    colls.delete(name);
    changes.record({ op: 'dropCollection', db, coll: name });
    return true;
  }

  dropDatabase(db: string, changes: Changes): void {
    if (!this.databases.has(db)) return;
    this.databases.delete(db);
    changes.record({ op: 'dropDatabase', db });
  }

  rename(fromDb: string, from: string, toDb: string, to: string, dropTarget: boolean, changes: Changes): void {
    const source = this.get(fromDb, from);
    if (!source) throw new EngineError(ErrorCodes.NamespaceNotFound, 'Source collection does not exist');
    Catalog.checkName(toDb, to);
    if (this.get(toDb, to)) {
      if (!dropTarget) throw new EngineError(ErrorCodes.NamespaceExists, 'target namespace exists');
      this.databases.get(toDb)?.delete(to);
    }
    this.databases.get(fromDb)?.delete(from);
    const moved = new Collection(toDb, to, source.options);
    moved.beginLoad();
    for (const ix of source.indexes.slice(1)) moved.createIndex(ix.spec);
    for (const doc of source.docs.values()) moved.insert(doc);
    if (!this.loading) moved.endLoad();
    this.collectionsOf(toDb).set(to, moved);
    changes.record({ op: 'rename', db: fromDb, coll: from, toDb, to, dropTarget });
  }

  /** Journal replay: collections skip index upkeep until `endLoad` rebuilds every index once. */
  private loading = false;

  beginLoad(): void {
    this.loading = true;
  }

  endLoad(): void {
    this.loading = false;
    for (const colls of this.databases.values()) for (const c of colls.values()) c.endLoad();
  }

  /** Replay one journal record (the same effect the live operation had). */
  applyRecord(entry: Doc): void {
    const db = String(entry.db);
    const coll = String(entry.coll);
    switch (entry.op) {
      case 'createCollection':
        if (!this.get(db, coll)) this.create(db, coll, (entry.options as CollectionOptions) ?? {}, noChanges);
        return;
      case 'dropCollection':
        this.drop(db, coll, noChanges);
        return;
      case 'dropDatabase':
        this.dropDatabase(db, noChanges);
        return;
      case 'rename':
        // Replay may meet a record whose effect a compaction snapshot already holds: skip it then.
        if (!this.get(db, coll)) return;
        this.rename(db, coll, String(entry.toDb), String(entry.to), Boolean(entry.dropTarget), noChanges);
        return;
      case 'createIndex':
        this.obtain(db, coll, noChanges).createIndex(entry.spec as IndexSpec);
        return;
      case 'dropIndex': {
        const c = this.get(db, coll);
        if (c?.findIndex(String(entry.name))) c.dropIndex(String(entry.name));
        return;
      }
      case 'setIndexOption': {
        const ix = this.get(db, coll)?.findIndex(String(entry.name));
        if (ix) Object.assign(ix.spec, entry.options as Doc);
        return;
      }
      case 'setOptions': {
        const c = this.get(db, coll);
        if (c) c.options = { ...c.options, ...(entry.options as Doc) };
        return;
      }
      case 'insert': {
        const c = this.obtain(db, coll, noChanges);
        for (const doc of entry.docs as Doc[]) Catalog.putRecorded(c, doc);
        return;
      }
      case 'replace':
        Catalog.putRecorded(this.obtain(db, coll, noChanges), entry.doc as Doc);
        return;
      case 'delete': {
        const c = this.get(db, coll);
        for (const id of entry.ids as unknown[]) {
          const old = c?.getById(id);
          if (old) c?.remove(old);
        }
        return;
      }
      default:
        throw new Error(`unknown journal record ${String(entry.op)}`);
    }
  }

  /** A recorded document replaces the stored one with its _id, or is inserted (a snapshot may already hold it). */
  private static putRecorded(collection: Collection, doc: Doc): void {
    const old = collection.getById(doc._id);
    if (old) collection.replace(old, doc);
    else collection.insert(doc);
  }

  /** Records that rebuild the whole catalog (a compaction snapshot). */
  *snapshot(maxBatchBytes = 4 << 20): Generator<Doc> {
    for (const [db, colls] of this.databases) {
      for (const c of colls.values()) {
        yield { op: 'createCollection', db, coll: c.name, options: c.options };
        for (const ix of c.indexes.slice(1)) yield { op: 'createIndex', db, coll: c.name, spec: ix.spec };
        let batch: Doc[] = [];
        let bytes = 0;
        for (const doc of c.docs.values()) {
          const size = BSON.calculateObjectSize(doc);
          if (batch.length > 0 && (batch.length >= 1000 || bytes + size > maxBatchBytes)) {
            yield { op: 'insert', db, coll: c.name, docs: batch };
            batch = [];
            bytes = 0;
          }
          batch.push(doc);
          bytes += size;
        }
        if (batch.length) yield { op: 'insert', db, coll: c.name, docs: batch };
      }
    }
  }

  get dataBytes(): number {
    let n = 0;
    for (const colls of this.databases.values()) for (const c of colls.values()) n += c.dataBytes;
    return n;
  }
}
