/**
 * Loading one collection into a database (for restore and copy): create it with its options, insert its
 * documents in batches, then build its indexes, as mongorestore does; and the checksum both sides are compared by.
 */
import { createHash } from 'node:crypto';
import { BSON, type Document } from 'bson';
import type { Db } from 'mongodb';
import { EXACT_BSON, type CollectionInfo } from './snapshot';
import { ToolError } from './source';

/**
 * An order-independent checksum of a collection's documents: the sum (mod 2^256) of each document's SHA-256,
 * over its BSON with _id first (MongoDB moves _id to the front on insert; the engine keeps the order given).
 */
export class Checksum {
  private sum = 0n;
  private static readonly MOD = 1n << 256n;

  add(doc: Document): void {
    const { _id, ...rest } = doc;
    const bytes = BSON.serialize(_id === undefined ? rest : { _id, ...rest });
    this.sum = (this.sum + BigInt(`0x${createHash('sha256').update(bytes).digest('hex')}`)) % Checksum.MOD;
  }

  get hex(): string {
    return this.sum.toString(16).padStart(64, '0');
  }
}

export interface LoadedCollection {
  db: string;
  name: string;
  type: string;
  documents: number;
  indexes: number;
  checksum: string;
}

const BATCH_DOCUMENTS = 1000;
const BATCH_BYTES = 8 * 1024 * 1024;

/** Index options the server fills in itself, which createIndexes refuses or ignores. */
function indexForCreate(spec: Document): Document {
  const { v: _v, ns: _ns, ...rest } = spec;
  return rest;
}

export class CollectionLoader {
  private batch: Document[] = [];
  private batchBytes = 0;
  private documents = 0;
  private readonly checksum = new Checksum();

  private constructor(
    private readonly db: Db,
    private readonly info: CollectionInfo,
  ) {}

  /**
   * Makes the collection ready: an existing one is dropped with `drop`; without it, one that already has
   * documents is refused (nothing is mixed into existing data). An empty one (made by the app at start, say)
   * is used as it is.
   */
  static async start(db: Db, info: CollectionInfo, drop: boolean): Promise<CollectionLoader> {
    const existing = await db.listCollections({ name: info.name }, { nameOnly: true }).toArray();
    if (existing.length > 0) {
      if (drop) await db.collection(info.name).drop();
      else {
        const count = info.type === 'view' ? 1 : await db.collection(info.name).estimatedDocumentCount();
        if (count > 0) {
          throw new ToolError(`${db.databaseName}.${info.name} already exists${info.type === 'view' ? '' : ` with ${count} documents`}: pass --drop to replace it.`);
        }
      }
    }
    const stillThere = !drop && existing.length > 0;
    if (!stillThere) await db.command({ create: info.name, ...info.options });
    return new CollectionLoader(db, info);
  }

  async add(doc: Document): Promise<void> {
    this.checksum.add(doc);
    this.batch.push(doc);
    this.batchBytes += BSON.calculateObjectSize(doc);
    if (this.batch.length >= BATCH_DOCUMENTS || this.batchBytes >= BATCH_BYTES) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const result = await this.db.collection(this.info.name).insertMany(this.batch, { ordered: true, bypassDocumentValidation: true });
    this.documents += result.insertedCount;
    this.batch = [];
    this.batchBytes = 0;
  }

  /** Inserts what is left, builds the indexes; returns what was loaded. */
  async finish(): Promise<LoadedCollection> {
    await this.flush();
    const indexes = this.info.indexes.filter((ix) => ix.name !== '_id_').map(indexForCreate);
    if (indexes.length > 0 && this.info.type !== 'view') await this.db.command({ createIndexes: this.info.name, indexes });
    return {
      db: this.db.databaseName,
      name: this.info.name,
      type: this.info.type,
      documents: this.documents,
      indexes: this.info.indexes.length,
      checksum: this.checksum.hex,
    };
  }
}

/** Reads a collection back and compares its count and checksum with what was loaded into it. */
export async function verifyCollection(db: Db, loaded: LoadedCollection): Promise<string | null> {
  if (loaded.type === 'view') return null;
  const checksum = new Checksum();
  let count = 0;
  for await (const doc of db.collection(loaded.name, EXACT_BSON).find({})) {
    checksum.add(doc);
    count += 1;
  }
  const where = `${db.databaseName}.${loaded.name}`;
  if (count !== loaded.documents) return `${where}: ${count} documents, expected ${loaded.documents}`;
  if (checksum.hex !== loaded.checksum) return `${where}: the documents differ from the source (checksum ${checksum.hex}, expected ${loaded.checksum})`;
  return null;
}
