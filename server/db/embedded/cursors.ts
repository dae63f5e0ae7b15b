/**
 * Open cursors: the remaining documents of a find or aggregate, handed out batch by batch through getMore.
 * Batches stop at the requested size or near 16 MiB, whichever comes first.
 */
import { BSON, Long } from 'bson';
import { EngineError, ErrorCodes } from './errors';
import type { Doc } from './bson/values';

interface OpenCursor {
  id: Long;
  namespace: string;
  docs: Doc[];
  position: number;
  batchSize: number;
  lastUsed: number;
}

const MAX_BATCH_BYTES = 16 * 1024 * 1024 - 16 * 1024;
const IDLE_TIMEOUT_MS = 10 * 60 * 1000;

export class Cursors {
  private readonly open = new Map<string, OpenCursor>();
  private nextId = 1n;

  get count(): number {
    return this.open.size;
  }

  private static takeBatch(docs: Doc[], from: number, batchSize: number): Doc[] {
    const batch: Doc[] = [];
    let bytes = 0;
    for (let i = from; i < docs.length && batch.length < batchSize; i++) {
      const doc = docs[i] as Doc;
      bytes += BSON.calculateObjectSize(doc);
      if (batch.length > 0 && bytes > MAX_BATCH_BYTES) break;
      batch.push(doc);
    }
    return batch;
  }

  /** The reply body of a find/aggregate: the first batch, and a cursor id when more remain. */
  firstBatch(namespace: string, docs: Doc[], batchSize: number | undefined, singleBatch = false): Doc {
    const size = batchSize === undefined || batchSize <= 0 ? 101 : batchSize;
    const batch = Cursors.takeBatch(docs, 0, singleBatch ? Infinity : size);
    let id = Long.ZERO;
    if (!singleBatch && batch.length < docs.length) {
      id = Long.fromBigInt(this.nextId++);
      this.open.set(id.toString(), { id, namespace, docs, position: batch.length, batchSize: size, lastUsed: Date.now() });
    }
    return { cursor: { firstBatch: batch, id, ns: namespace }, ok: 1 };
  }

  getMore(namespace: string, rawId: unknown, batchSize: number | undefined): Doc {
    const key = rawId instanceof Long ? rawId.toString() : String(rawId);
    const cursor = this.open.get(key);
    if (!cursor) throw new EngineError(ErrorCodes.CursorNotFound, `cursor id ${key} not found`);
    if (cursor.namespace !== namespace) {
      throw new EngineError(ErrorCodes.Unauthorized, `Requested getMore on namespace '${namespace}', but cursor belongs to a different namespace ${cursor.namespace}`);
    }
    const size = batchSize && batchSize > 0 ? batchSize : Infinity;
    const batch = Cursors.takeBatch(cursor.docs, cursor.position, size);
    cursor.position += batch.length;
    cursor.lastUsed = Date.now();
    let id = cursor.id;
    if (cursor.position >= cursor.docs.length) {
      this.open.delete(key);
      id = Long.ZERO;
    }
    return { cursor: { nextBatch: batch, id, ns: namespace }, ok: 1 };
  }

  kill(ids: unknown[]): Doc {
    const killed: Long[] = [];
    const notFound: Long[] = [];
    for (const raw of ids) {
      const id = raw instanceof Long ? raw : Long.fromNumber(Number(raw));
      if (this.open.delete(id.toString())) killed.push(id);
      else notFound.push(id);
    }
    return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
  }

  /** Forget cursors idle for ten minutes, as MongoDB does. */
  reapIdle(now = Date.now()): void {
    for (const [key, c] of this.open) if (now - c.lastUsed > IDLE_TIMEOUT_MS) this.open.delete(key);
  }

  clear(): void {
    this.open.clear();
  }
}
