/**
 * A collection: documents keyed by their _id (kept as BSON bytes, decoded on read: see stored-documents.ts), and
 * the indexes over them. Stored documents are never mutated in place: an update installs a new version, so
 * cursors and cached comparison views stay valid.
 */
import { BSON, ObjectId } from 'bson';
import { EngineError, ErrorCodes } from '../errors';
import { MAX_BSON_BYTES } from '../bson/limits';
import { firstDollarField, valueKey, type Doc } from '../bson/values';
import { applyDiff, diffDocuments, type DiffStep } from './document-diff';
import { duplicateKeyError, IndexStore, type IndexSpec } from './index-store';
import { decodeFields, encodeDocument, StoredDocuments } from './stored-documents';

export interface CollectionOptions {
  [option: string]: unknown;
}

const ID_ONLY: ReadonlySet<string> = new Set(['_id']);

/**
 * valueKey of the _id of a stored document read straight from its bytes when _id is its first field and an
 * ObjectId or a string (nearly always): a load needs only this of most documents. Null otherwise.
 */
function idKeyOf(bytes: Buffer): string | null {
  // type byte, then the name "_id" and its terminating zero
  if (bytes.length < 9 || bytes[5] !== 0x5f || bytes[6] !== 0x69 || bytes[7] !== 0x64 || bytes[8] !== 0) return null;
  if (bytes[4] === 0x07 && bytes.length >= 21) return `o${bytes.toString('hex', 9, 21)}`;
  if (bytes[4] === 0x02) {
    const length = bytes.readInt32LE(9);
    return `s${bytes.toString('utf8', 13, 13 + length - 1)}`;
  }
  return null;
}

export class Collection {
  readonly db: string;
  name: string;
  options: CollectionOptions;
  readonly docs = new StoredDocuments();
  readonly indexes: IndexStore[] = [];
  /** While loading (journal replay) indexes are left alone and rebuilt once at the end. */
  private loading = false;

  constructor(db: string, name: string, options: CollectionOptions = {}) {
    this.db = db;
    this.name = name;
    this.options = options;
    this.indexes.push(new IndexStore({ v: 2, key: { _id: 1 }, name: '_id_' }));
  }

  get namespace(): string {
    return `${this.db}.${this.name}`;
  }

  get idIndex(): IndexStore {
    return this.indexes[0] as IndexStore;
  }

  /** Sum of the BSON sizes of the live documents (for stats and compaction decisions). */
  get dataBytes(): number {
    return this.docs.byteLength;
  }

  getById(id: unknown): Doc | undefined {
    return this.docs.get(valueKey(id));
  }

  /** Give the document an _id (first field) when it has none; returns the document to store. */
  static withId(doc: Doc): Doc {
    if (doc._id === undefined) return { _id: new ObjectId(), ...doc };
    // MongoDB stores _id as the first field whatever order the client sent.
    if (Object.keys(doc)[0] === '_id') return doc;
    const { _id, ...rest } = doc;
    return { _id, ...rest };
  }

  /** The document's BSON, refused as MongoDB refuses it: BadValue for an insert, 17419 for an update that grew it. */
  private static encode(doc: Doc, kind: 'insert' | 'update'): Buffer {
    let bytes: Buffer | undefined;
    try {
      bytes = encodeDocument(doc);
    } catch (error) {
      // By name: the encoder throws Node's own RangeError when a document overflows its buffer.
      if ((error as Error).name !== 'RangeError') throw error;
    }
    const size = bytes?.length ?? BSON.calculateObjectSize(doc);
    if (!bytes || size > MAX_BSON_BYTES) {
      if (kind === 'insert') {
        throw new EngineError(ErrorCodes.BadValue, `object to insert too large. size in bytes: ${size}, max size: ${MAX_BSON_BYTES}`);
      }
      throw new EngineError(ErrorCodes.UpdateResultTooLarge, `Resulting document after update is larger than ${MAX_BSON_BYTES}`);
    }
    return bytes;
  }

  private static checkId(doc: Doc): void {
    const id = doc._id;
    if (Array.isArray(id)) throw new EngineError(ErrorCodes.BadValue, `can't use an array for _id`);
    if (id instanceof RegExp) throw new EngineError(ErrorCodes.BadValue, `can't use a regex for _id`);
    const dollar = firstDollarField(id);
    if (dollar) throw new EngineError(ErrorCodes.DollarPrefixedFieldName, `_id fields may not contain '$'-prefixed fields: ${dollar} is not valid for storage.`);
  }

  insert(input: Doc): Doc {
    const doc = Collection.withId(input);
    Collection.checkId(doc);
    const bytes = Collection.encode(doc, 'insert');
    const id = valueKey(doc._id);
    // The _id index keys documents by their _id, so a second document with it is caught here.
    if (this.docs.has(id)) throw duplicateKeyError(this.namespace, this.idIndex, [doc._id]);
    if (this.loading) {
      this.docs.set(id, bytes);
      return doc;
    }
    const keys = this.indexes.map((ix) => ix.keysFor(doc));
    this.indexes.forEach((ix, i) => ix.checkUnique(keys[i] as unknown[][], id, this.namespace));
    this.indexes.forEach((ix, i) => ix.add(keys[i] as unknown[][], id));
    this.docs.set(id, bytes, doc);
    return doc;
  }

  beginLoad(): void {
    this.loading = true;
  }

  /** Loading only: store a document's BSON bytes as they are (replacing a document with its _id). */
  loadBytes(bytes: Buffer): void {
    if (!this.loading) throw new Error('Collection.loadBytes is for loading only');
    this.docs.load(idKeyOf(bytes) ?? valueKey(decodeFields(bytes, ID_ONLY)._id), bytes);
  }

  /** Journal replay of a recorded document: it replaces the stored one with its _id, or is inserted. */
  put(doc: Doc): void {
    const stored = Collection.withId(doc);
    if (this.loading) {
      this.docs.set(valueKey(stored._id), Collection.encode(stored, 'insert'));
      return;
    }
    const old = this.getById(stored._id);
    if (old) this.replace(old, stored);
    else this.insert(stored);
  }

  /** Journal replay of an update record (see updateRecord); a document that is gone is left gone. */
  applyUpdateRecord(idValue: unknown, steps: readonly DiffStep[]): void {
    const id = valueKey(idValue);
    const copy = this.docs.decodeCopy(id);
    if (!copy) return;
    const updated = applyDiff(copy, steps);
    if (this.loading) {
      this.docs.set(id, Collection.encode(updated, 'update'));
      return;
    }
    this.replace(this.docs.get(id) as Doc, updated);
  }

  /**
   * The journal record of an update from `before` to `after` (the stored versions): the changed paths only, or
   * the whole new document when its top-level fields were reordered (a replacement).
   */
  updateRecord(before: Doc, after: Doc): Doc {
    const steps = diffDocuments(before, after);
    if (!steps) return { op: 'replace', db: this.db, coll: this.name, doc: after };
    return { op: 'update', db: this.db, coll: this.name, id: after._id, steps };
  }

  /**
   * Leave loading mode. Every index is built in bulk, with one sort, when it is first used (by a query, or by
   * the first write, which reads every index): a restart answers its first query after building only the
   * indexes it needs. What a deferred build reads is the documents as they are when it runs, which is what the
   * index must hold then, since every change of the documents goes through the indexes and builds them first.
   */
  endLoad(): void {
    if (!this.loading) return;
    this.loading = false;
    for (const ix of this.indexes) ix.defer(() => ix.rebuild(this.indexSource([ix]), this.namespace));
  }

  /**
   * What building these indexes needs of every document: only the top-level fields their keys read (the
   * whole document for a partial index, whose filter may read anything).
   */
  private indexSource(indexes: readonly IndexStore[]): Array<[string, Doc]> {
    let names: Set<string> | null = new Set(['_id']);
    for (const ix of indexes) {
      if (ix.spec.partialFilterExpression) names = null;
      for (const field of ix.fields) names?.add(field.split('.')[0] as string);
    }
    const source: Array<[string, Doc]> = [];
    for (const [id, bytes] of this.docs.rawEntries()) source.push([id, decodeFields(bytes, names)]);
    return source;
  }

  /** Install a new version of a stored document (same _id); returns the version stored. */
  replace(oldDoc: Doc, updated: Doc): Doc {
    const newDoc = Collection.withId(updated);
    const id = valueKey(oldDoc._id);
    if (valueKey(newDoc._id) !== id) {
      throw new EngineError(ErrorCodes.ImmutableField, "After applying the update, the (immutable) field '_id' was found to have been altered");
    }
    const bytes = Collection.encode(newDoc, 'update');
    if (this.loading) {
      this.docs.set(id, bytes);
      return newDoc;
    }
    const oldKeys = this.indexes.map((ix) => ix.keysFor(oldDoc));
    const newKeys = this.indexes.map((ix) => ix.keysFor(newDoc));
    this.indexes.forEach((ix, i) => ix.checkUnique(newKeys[i] as unknown[][], id, this.namespace));
    this.indexes.forEach((ix, i) => {
      ix.remove(oldKeys[i] as unknown[][], id);
      ix.add(newKeys[i] as unknown[][], id);
    });
    this.docs.set(id, bytes, newDoc);
    return newDoc;
  }

  remove(doc: Doc): void {
    const id = valueKey(doc._id);
    if (!this.docs.has(id)) return;
    if (!this.loading) for (const ix of this.indexes) ix.remove(ix.keysFor(doc), id);
    this.docs.delete(id);
  }

  clear(): void {
    this.docs.clear();
    for (const ix of this.indexes) ix.clear();
  }

  findIndex(name: string): IndexStore | undefined {
    return this.indexes.find((ix) => ix.name === name);
  }

  /**
   * Create an index (idempotent for an identical spec). Same name with another key: 86; same key with other
   * options or another name: 85. Building a unique index over duplicates fails with 11000 and leaves nothing.
   */
  createIndex(spec: IndexSpec): boolean {
    const sameName = this.findIndex(spec.name);
    const keyText = JSON.stringify(spec.key);
    const sameKey = this.indexes.find((ix) => JSON.stringify(ix.spec.key) === keyText);
    if (sameName) {
      if (JSON.stringify(sameName.spec.key) !== keyText) {
        throw new EngineError(
          ErrorCodes.IndexKeySpecsConflict,
          `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: ${describeSpec(spec)}, existing index: ${describeSpec(sameName.spec)}`,
        );
      }
      if (!sameOptions(sameName.spec, spec)) {
        throw new EngineError(
          ErrorCodes.IndexOptionsConflict,
          `An equivalent index already exists with the same name but different options. Requested index: ${describeSpec(spec)}, existing index: ${describeSpec(sameName.spec)}`,
        );
      }
      return false;
    }
    if (sameKey && !spec.partialFilterExpression && !sameKey.spec.partialFilterExpression) {
      throw new EngineError(
        ErrorCodes.IndexOptionsConflict,
        sameOptions(sameKey.spec, spec)
          ? `Index already exists with a different name: ${sameKey.name}`
          : `An existing index has the same key pattern but different options. Requested index: ${describeSpec(spec)}, existing index: ${describeSpec(sameKey.spec)}`,
      );
    }
    const index = new IndexStore({ v: 2, ...spec });
    if (!this.loading) index.rebuild(this.indexSource([index]), this.namespace);
    this.indexes.push(index);
    return true;
  }

  dropIndex(name: string): void {
    const at = this.indexes.findIndex((ix) => ix.name === name);
    if (at < 0) throw new EngineError(ErrorCodes.IndexNotFound, `index not found with name [${name}]`);
    if (at === 0) throw new EngineError(ErrorCodes.InvalidOptions, 'cannot drop _id index');
    this.indexes.splice(at, 1);
  }
}

const IGNORED_OPTIONS = new Set(['v', 'name', 'key', 'background', 'ns']);

function sameOptions(a: IndexSpec, b: IndexSpec): boolean {
  const pick = (s: IndexSpec): string =>
    JSON.stringify(
      Object.keys(s)
        .filter((k) => !IGNORED_OPTIONS.has(k) && s[k] !== undefined && s[k] !== false)
        .sort()
        .map((k) => [k, s[k]]),
    );
  return pick(a) === pick(b);
}

function describeSpec(spec: IndexSpec): string {
  return `{ ${Object.entries({ v: 2, ...spec })
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
    .join(', ')} }`;
}

export function defaultIndexName(key: Record<string, unknown>): string {
  return Object.entries(key)
    .map(([k, v]) => `${k}_${String(v)}`)
    .join('_');
}
