/**
 * The catalog: databases and their collections. Every change is described by a journal record (a plain BSON
 * document) handed to the `Changes` sink, and `applyRecord` replays those records on start.
 */
import { Binary } from 'bson';
import { EngineError, ErrorCodes } from '../errors';
import type { Doc } from '../bson/values';
import { Collection, type CollectionOptions } from './collection';
import type { DiffStep } from './document-diff';
import type { IndexSpec } from './index-store';
import { decodeDocument as decodeDocumentOf } from './stored-documents';

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
    for (const [, bytes] of source.docs.rawEntries()) moved.loadBytes(bytes);
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
      case 'insertBson': {
        // Documents as their BSON, one after another (see bsonRecords): stored without decoding them.
        const c = this.obtain(db, coll, noChanges);
        // Each document is kept as a view of the bytes read from the journal (Journal.replay hands out views of
        // read buffers it never reuses): a copy, or an allocation per document, cost more than the rest of the
        // load. A read buffer stays in memory while one of its documents does; the journal it came from is at
        // most about twice the live data (compaction), so is what it can hold.
        const data = (entry.data as Binary).buffer;
        const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
        for (let at = 0; at < view.length; ) {
          const size = view.readInt32LE(at);
          if (size < 5 || at + size > view.length) throw new Error(`an insertBson record of ${db}.${coll} is malformed at ${at}`);
          const bytes = view.subarray(at, at + size);
          if (this.loading) c.loadBytes(bytes);
          else c.put(decodeDocumentOf(bytes));
          at += size;
        }
        return;
      }
      case 'insert': {
        // Written by earlier versions: whole decoded documents.
        const c = this.obtain(db, coll, noChanges);
        for (const doc of entry.docs as Doc[]) c.put(doc);
        return;
      }
      case 'replace':
        this.obtain(db, coll, noChanges).put(entry.doc as Doc);
        return;
      case 'update':
        this.get(db, coll)?.applyUpdateRecord(entry.id, entry.steps as DiffStep[]);
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

  /**
   * Records that rebuild the whole catalog as it is at this call (a compaction snapshot, a copy). The state is
   * taken at once (a document's bytes are never changed, only replaced), and the records are made as they are
   * consumed: the caller may write them out over many turns of the event loop while writes go on.
   */
  snapshot(maxBatchBytes = 1 << 20): Generator<Doc> {
    const image = [...this.databases].flatMap(([db, colls]) =>
      [...colls.values()].map((c) => ({
        db,
        coll: c.name,
        options: c.options,
        specs: c.indexes.slice(1).map((ix) => ix.spec),
        documents: [...c.docs.rawEntries()].map(([, bytes]) => bytes),
      })),
    );
    return (function* records(): Generator<Doc> {
      for (const { db, coll, options, specs, documents } of image) {
        yield { op: 'createCollection', db, coll, options };
        for (const spec of specs) yield { op: 'createIndex', db, coll, spec };
        yield* bsonRecords(db, coll, documents, maxBatchBytes);
      }
    })();
  }

  get documentCount(): number {
    let n = 0;
    for (const colls of this.databases.values()) for (const c of colls.values()) n += c.docs.size;
    return n;
  }

  get dataBytes(): number {
    let n = 0;
    for (const colls of this.databases.values()) for (const c of colls.values()) n += c.dataBytes;
    return n;
  }
}

/** insertBson records holding these documents' BSON, about maxBatchBytes each (a larger document alone). */
export function* bsonRecords(db: string, coll: string, documents: readonly Buffer[], maxBatchBytes = 1 << 20): Generator<Doc> {
  let batch: Buffer[] = [];
  let bytes = 0;
  for (const doc of documents) {
    if (batch.length > 0 && bytes + doc.length > maxBatchBytes) {
      yield { op: 'insertBson', db, coll, data: new Binary(Buffer.concat(batch, bytes)) };
      batch = [];
      bytes = 0;
    }
    batch.push(doc);
    bytes += doc.length;
  }
  if (batch.length > 0) yield { op: 'insertBson', db, coll, data: new Binary(Buffer.concat(batch, bytes)) };
}
