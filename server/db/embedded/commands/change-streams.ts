/**
 * Change streams (`watch()` on a collection or a database): an in-memory log of change events, written by the
 * commands that change documents or collections, read by `$changeStream` cursors whose getMore waits (awaitData)
 * for the next event. Events carry resume tokens; a stream resumes after any event still in the log.
 *
 * The log starts when the first change stream opens (so a server nobody watches pays nothing) and keeps the last
 * MAX_EVENTS events, MongoDB's oplog window in small: resuming from before it is ChangeStreamHistoryLost (286).
 */
import { randomBytes } from 'node:crypto';
import { Long, Timestamp } from 'bson';
import { EngineError, ErrorCodes } from '../errors';
import { cloneDocument, isPlainObject, valueKey, type Doc } from '../bson/values';

const MAX_EVENTS = 10_000;
const DEFAULT_AWAIT_MS = 1000;
/** Stages MongoDB allows after $changeStream. */
const ALLOWED_STAGES = new Set(['$match', '$project', '$addFields', '$set', '$unset', '$replaceRoot', '$replaceWith', '$redact']);
const FULL_DOCUMENT_MODES = new Set(['default', 'updateLookup', 'whenAvailable', 'required']);

export interface ChangeEvent {
  seq: number;
  db: string;
  coll?: string;
  event: Doc;
}

interface StreamCursor {
  id: Long;
  namespace: string;
  db: string;
  /** Undefined for a database stream. */
  coll?: string;
  /** The sequence number of the last event this stream has passed. */
  position: number;
  fullDocument: string;
  pipeline: Doc[];
  closed: boolean;
}

/** How a stream reads current documents (updateLookup) and runs its pipeline: given by the command layer. */
export interface StreamReader {
  lookup(db: string, coll: string, documentKey: Doc): Doc | null;
  runPipeline(stages: Doc[], events: Doc[]): Doc[];
}

/** A token names the log (each engine start has its own) and the event: `820<kind><epoch><seq>` in hex. */
function tokenFor(epoch: string, seq: number, invalidate = false): Doc {
  return { _data: `820${invalidate ? '1' : '0'}${epoch}${seq.toString(16).padStart(16, '0')}` };
}

/** The position a resume token stands for, and whether it is an invalidate event's token. */
function parseToken(token: unknown, option: string): { epoch: string; seq: number; invalidate: boolean } {
  const data = isPlainObject(token) ? token._data : undefined;
  if (typeof data !== 'string' || !/^820[01][0-9a-f]{24}$/.test(data)) {
    throw new EngineError(ErrorCodes.BadValue, `${option} must be a resume token produced by this server`);
  }
  return { epoch: data.slice(4, 12), seq: parseInt(data.slice(12), 16), invalidate: data[3] === '1' };
}

const HISTORY_LOST = 'Resume of change stream was not possible, as the resume point may no longer be in the oplog.';

/** MongoDB's updateDescription: changed paths (dotted into subdocuments), removed paths, truncated arrays. */
export function describeUpdate(before: Doc, after: Doc): Doc {
  const updatedFields: Doc = {};
  const removedFields: string[] = [];
  const truncatedArrays: Doc[] = [];
  const walk = (a: Doc, b: Doc, prefix: string): void => {
    for (const key of Object.keys(a)) if (!(key in b)) removedFields.push(prefix + key);
    for (const [key, value] of Object.entries(b)) {
      const old = a[key];
      const path = prefix + key;
      if (key in a && valueKey(old) === valueKey(value) && typeof old === typeof value) continue;
      if (isPlainObject(old) && isPlainObject(value)) walk(old, value, `${path}.`);
      else if (Array.isArray(old) && Array.isArray(value)) {
        const common = Math.min(old.length, value.length);
        let same = 0;
        while (same < common && valueKey(old[same]) === valueKey(value[same])) same++;
        if (same < common) updatedFields[path] = cloneDocument(value);
        else if (value.length < old.length) truncatedArrays.push({ field: path, newSize: value.length });
        else for (let i = common; i < value.length; i++) updatedFields[`${path}.${i}`] = cloneDocument(value[i]);
      } else updatedFields[path] = cloneDocument(value);
    }
  };
  walk(before, after, '');
  return { updatedFields, removedFields, truncatedArrays };
}

export class ChangeLog {
  /** Tokens from an earlier start of the engine name events this log never had. */
  private readonly epoch = randomBytes(4).toString('hex');
  private events: ChangeEvent[] = [];
  private seq = 0;
  /** The sequence number before which history is lost. */
  private horizon = 0;
  private recording = false;
  private readonly streams = new Map<string, StreamCursor>();
  private readonly waiters = new Set<() => void>();
  private nextId = 1n << 62n;

  /** True while some stream has been opened (events are recorded from then on). */
  get active(): boolean {
    return this.recording;
  }

  private append(db: string, coll: string | undefined, event: Doc): void {
    if (!this.recording) return;
    const seq = ++this.seq;
    const now = Date.now();
    const full: Doc = {
      _id: tokenFor(this.epoch, seq),
      ...event,
      clusterTime: new Timestamp({ t: Math.floor(now / 1000), i: seq % 0xffffffff }),
      wallTime: new Date(now),
    };
    this.events.push({ seq, db, coll, event: full });
    if (this.events.length > MAX_EVENTS) {
      const dropped = this.events.splice(0, this.events.length - MAX_EVENTS);
      this.horizon = (dropped[dropped.length - 1] as ChangeEvent).seq;
    }
    for (const wake of [...this.waiters]) wake();
  }

  insert(db: string, coll: string, doc: Doc): void {
    this.append(db, coll, { operationType: 'insert', ns: { db, coll }, documentKey: { _id: doc._id }, fullDocument: cloneDocument(doc) });
  }

  update(db: string, coll: string, before: Doc, after: Doc, replacement: boolean): void {
    if (!this.recording) return;
    const base = { ns: { db, coll }, documentKey: { _id: after._id } };
    if (replacement) this.append(db, coll, { operationType: 'replace', ...base, fullDocument: cloneDocument(after) });
    else this.append(db, coll, { operationType: 'update', ...base, updateDescription: describeUpdate(before, after) });
  }

  delete(db: string, coll: string, id: unknown): void {
    this.append(db, coll, { operationType: 'delete', ns: { db, coll }, documentKey: { _id: id } });
  }

  drop(db: string, coll: string): void {
    this.append(db, coll, { operationType: 'drop', ns: { db, coll } });
  }

  rename(db: string, coll: string, toDb: string, to: string): void {
    this.append(db, coll, { operationType: 'rename', ns: { db, coll }, to: { db: toDb, coll: to } });
  }

  dropDatabase(db: string, colls: string[]): void {
    for (const coll of colls) this.drop(db, coll);
    this.append(db, undefined, { operationType: 'dropDatabase', ns: { db } });
  }

  /** Open a stream: the `aggregate` reply with its first batch (events after a resume point, if any). */
  open(spec: unknown, namespace: string, db: string, coll: string | undefined, pipeline: Doc[], reader: StreamReader, batchSize: number | undefined): Doc {
    if (!isPlainObject(spec)) throw new EngineError(ErrorCodes.TypeMismatch, "the $changeStream stage's options must be an object");
    for (const stage of pipeline) {
      const op = Object.keys(stage)[0] ?? '';
      if (!ALLOWED_STAGES.has(op)) throw new EngineError(ErrorCodes.IllegalOperation, `${op} is not permitted in a $changeStream pipeline`);
    }
    const fullDocument = spec.fullDocument === undefined ? 'default' : String(spec.fullDocument);
    if (!FULL_DOCUMENT_MODES.has(fullDocument)) {
      throw new EngineError(ErrorCodes.BadValue, `Enumeration value '${fullDocument}' for field '$changeStream.fullDocument' is not a valid value.`);
    }
    if (fullDocument === 'required') {
      throw new EngineError(ErrorCodes.BadValue, 'fullDocument:required requires changeStreamPreAndPostImages, which the embedded engine does not record');
    }
    if (spec.fullDocumentBeforeChange !== undefined && spec.fullDocumentBeforeChange !== 'off' && spec.fullDocumentBeforeChange !== 'whenAvailable') {
      throw new EngineError(ErrorCodes.BadValue, 'fullDocumentBeforeChange:required requires changeStreamPreAndPostImages, which the embedded engine does not record');
    }
    const resumes = ['resumeAfter', 'startAfter', 'startAtOperationTime'].filter((k) => spec[k] !== undefined);
    if (resumes.length > 1) throw new EngineError(40674, 'Only one type of resume option is allowed, but multiple were found.');
    this.recording = true;
    let position = this.seq;
    if (spec.resumeAfter !== undefined || spec.startAfter !== undefined) {
      const token = parseToken(spec.resumeAfter ?? spec.startAfter, spec.resumeAfter !== undefined ? 'resumeAfter' : 'startAfter');
      if (token.epoch !== this.epoch) throw new EngineError(286, HISTORY_LOST);
      if (token.seq > this.seq) throw new EngineError(ErrorCodes.BadValue, 'the resume token is from the future');
      if (spec.resumeAfter !== undefined && token.invalidate) {
        throw new EngineError(260, 'Attempting to resume a change stream using \'resumeAfter\' is not allowed from an invalidate notification.');
      }
      position = token.seq;
    } else if (spec.startAtOperationTime instanceof Timestamp) {
      const t = spec.startAtOperationTime;
      const first = this.events.find((e) => (e.event.clusterTime as Timestamp).compare(t) >= 0);
      position = first ? first.seq - 1 : this.seq;
    }
    if (position < this.horizon) {
      throw new EngineError(286, HISTORY_LOST);
    }
    const id = Long.fromBigInt(this.nextId++);
    const cursor: StreamCursor = { id, namespace, db, coll, position, fullDocument, pipeline, closed: false };
    this.streams.set(id.toString(), cursor);
    const firstBatch = this.take(cursor, reader, batchSize);
    return { cursor: { firstBatch, postBatchResumeToken: tokenFor(this.epoch, cursor.position), id: cursor.closed ? Long.ZERO : id, ns: namespace }, ok: 1 };
  }

  has(rawId: unknown): boolean {
    return this.streams.has(rawId instanceof Long ? rawId.toString() : String(rawId));
  }

  /** getMore on a stream: the next events, waiting up to maxTimeMS for one when there are none. */
  async getMore(rawId: unknown, namespace: string, maxTimeMS: number | undefined, batchSize: number | undefined, reader: StreamReader): Promise<Doc> {
    const key = rawId instanceof Long ? rawId.toString() : String(rawId);
    const cursor = this.streams.get(key);
    if (!cursor) throw new EngineError(ErrorCodes.CursorNotFound, `cursor id ${key} not found`);
    if (cursor.namespace !== namespace) {
      throw new EngineError(ErrorCodes.Unauthorized, `Requested getMore on namespace '${namespace}', but cursor belongs to a different namespace ${cursor.namespace}`);
    }
    let batch = this.take(cursor, reader, batchSize);
    if (batch.length === 0 && !cursor.closed) {
      await this.waitForEvent(maxTimeMS ?? DEFAULT_AWAIT_MS);
      if (!this.streams.has(key)) throw new EngineError(ErrorCodes.CursorNotFound, `cursor id ${key} not found`);
      batch = this.take(cursor, reader, batchSize);
    }
    const id = cursor.closed ? Long.ZERO : cursor.id;
    if (cursor.closed) this.streams.delete(key);
    return { cursor: { nextBatch: batch, postBatchResumeToken: tokenFor(this.epoch, cursor.position), id, ns: namespace }, ok: 1 };
  }

  kill(rawId: unknown): boolean {
    return this.streams.delete(rawId instanceof Long ? rawId.toString() : String(rawId));
  }

  private waitForEvent(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      timer.unref();
      this.waiters.add(done);
    });
  }

  /** The stream's next events (after its pipeline), advancing its position; an invalidate closes it. */
  private take(cursor: StreamCursor, reader: StreamReader, batchSize: number | undefined): Doc[] {
    const limit = batchSize && batchSize > 0 ? batchSize : Infinity;
    const out: Doc[] = [];
    let start = this.events.findIndex((e) => e.seq > cursor.position);
    if (start < 0) start = this.events.length;
    for (let i = start; i < this.events.length && out.length < limit && !cursor.closed; i++) {
      const entry = this.events[i] as ChangeEvent;
      cursor.position = entry.seq;
      if (entry.db !== cursor.db || (cursor.coll !== undefined && entry.coll !== undefined && entry.coll !== cursor.coll)) continue;
      if (cursor.coll !== undefined && entry.coll === undefined) {
        // A dropped database ends a collection's stream too (after its drop event).
        out.push(...this.invalidate(cursor, entry));
        continue;
      }
      let event = entry.event;
      if (event.operationType === 'update' && (cursor.fullDocument === 'updateLookup' || cursor.fullDocument === 'whenAvailable')) {
        const ns = event.ns as { db: string; coll: string };
        event = { ...event, fullDocument: reader.lookup(ns.db, ns.coll, event.documentKey as Doc) };
      }
      out.push(...reader.runPipeline(cursor.pipeline, [event]));
      const op = event.operationType;
      const endsCollection = cursor.coll !== undefined && (op === 'drop' || op === 'rename');
      if (endsCollection || (cursor.coll === undefined && op === 'dropDatabase')) out.push(...this.invalidate(cursor, entry));
    }
    if (start >= this.events.length) cursor.position = Math.max(cursor.position, this.seq);
    return out;
  }

  /** The invalidate event that ends a stream: its token (startAfter it to open a new stream). */
  private invalidate(cursor: StreamCursor, after: ChangeEvent): Doc[] {
    cursor.closed = true;
    const event = { _id: tokenFor(this.epoch, after.seq, true), operationType: 'invalidate', clusterTime: after.event.clusterTime, wallTime: after.event.wallTime };
    return [event];
  }
}
