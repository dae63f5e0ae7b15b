/**
 * The engine behind the sockets: the catalog, the open cursors, durability (journal replay on start, every
 * command's changes appended before its reply, compaction), and the TTL reaper. It knows nothing of TCP, so it
 * could run in a worker thread as well as in the app's process.
 */
import { BSON } from 'bson';
import { bsonRecords, Catalog, type Changes } from './catalog/catalog';
import { encodeDocument, storedBytesOf } from './catalog/stored-documents';
import { runCommand } from './commands';
import type { CommandContext, ConnectionInfo, ServerInfo } from './commands/types';
import { Cursors } from './cursors';
import { EngineError, ErrorCodes } from './errors';
import { Edge } from './catalog/bounds';
import { fromWire, toNumber, type Doc } from './bson/values';
import type { FileLayer } from './storage/file-io';
import { Journal } from './storage/journal';

export interface EngineOptions {
  dbPath?: string;
  /** How often expired documents of TTL indexes are deleted (MongoDB: 60 s). */
  ttlIntervalMs?: number;
  /** Compact when the journal exceeds this many bytes and twice the live data. */
  compactMinBytes?: number;
  fsync?: boolean;
  log?: (line: string) => void;
  /**
   * Called once when the journal can no longer be written (a failed write or fdatasync). The engine has
   * already stopped answering; the process should exit non-zero so that a supervisor restarts it.
   */
  onFatal?: (error: Error) => void;
  /** Where the journal opens its files (tests inject faults). */
  files?: FileLayer;
}

class RecordedChanges implements Changes {
  readonly entries: Doc[] = [];
  record(entry: Doc): void {
    this.entries.push(entry);
  }
}

/**
 * The journal records of one change. An insert is written as its documents' BSON (the bytes the collection
 * already keeps, see stored-documents.ts), in records of about 1 MiB, so replay stores them without decoding.
 */
function encodeEntry(entry: Doc): Buffer[] {
  if (entry.op === 'insert' && Array.isArray(entry.docs)) {
    const documents = (entry.docs as Doc[]).map((doc) => storedBytesOf(doc) ?? encodeDocument(doc));
    return [...bsonRecords(String(entry.db), String(entry.coll), documents)].map(encodeRecord);
  }
  return [encodeRecord(entry)];
}

function encodeRecord(record: Doc): Buffer {
  const encoded = BSON.serialize(record);
  return Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
}

/** Loads of at least this many documents log their progress. */
const LARGE_LOAD_DOCUMENTS = 10_000;

export class Engine {
  readonly catalog = new Catalog();
  readonly cursors = new Cursors();
  readonly server: ServerInfo;
  private journal: Journal | undefined;
  private readonly options: EngineOptions;
  private reaper: NodeJS.Timeout | undefined;
  private compacting: Promise<void> | undefined;
  private readonly log: (line: string) => void;
  /** Set by a journal failure: the engine answers nothing from then on (fail-stop). */
  private fatal: Error | null = null;

  private constructor(options: EngineOptions) {
    this.options = options;
    this.log = options.log ?? (() => undefined);
    this.server = {
      startedAt: Date.now(),
      host: '127.0.0.1',
      port: 0,
      inMemory: !options.dbPath,
      dbPath: options.dbPath,
      connections: { current: 0, totalCreated: 0 },
      opcounters: { insert: 0, query: 0, update: 0, delete: 0, getmore: 0, command: 0 },
    };
  }

  static async open(options: EngineOptions = {}): Promise<Engine> {
    const engine = new Engine(options);
    if (options.dbPath) {
      const journal = await Journal.open(options.dbPath, { fsync: options.fsync ?? true, files: options.files });
      try {
        const started = Date.now();
        engine.catalog.beginLoad();
        const result = await journal.replay((payload) => {
          const entry = fromWire(BSON.deserialize(payload, { promoteValues: false, promoteBuffers: false })) as Doc;
          engine.catalog.applyRecord(entry);
        });
        const documents = engine.catalog.documentCount;
        // A large load says what it is doing: a start of several seconds should not look like a hang.
        const large = documents >= LARGE_LOAD_DOCUMENTS;
        if (large) engine.log(`embedded db: ${documents} documents read from ${options.dbPath} in ${Date.now() - started} ms; building their indexes`);
        engine.catalog.endLoad();
        if (large) engine.log(`embedded db: ready after ${Date.now() - started} ms`);
        if (result.droppedTailBytes > 0) {
          engine.log(`embedded db: dropped an incomplete last journal record (${result.droppedTailBytes} bytes) from an interrupted write`);
        }
      } catch (err) {
        await journal.close();
        throw err;
      }
      engine.journal = journal;
      engine.server.journal = () => ({ ...journal.stats, sizeBytes: journal.sizeBytes });
    }
    const interval = options.ttlIntervalMs ?? 5000;
    engine.reaper = setInterval(() => void engine.reapExpired(), interval);
    engine.reaper.unref();
    return engine;
  }

  /** The journal failure that stopped the engine, or null while it runs normally. */
  get failure(): Error | null {
    return this.fatal ?? this.journal?.failed ?? null;
  }

  /**
   * Fail-stop, as mongod does on a failed journal write: a write applied in memory whose journal entry did not
   * reach the disk must never be seen, and the disk's state after a failed fdatasync is unknown. So from the
   * moment the journal fails (it sets its error before rejecting the appends) every command is refused, reads
   * included, and the owner is told to end the process; a restart replays what really is on disk.
   */
  private stop(error: Error): Doc {
    if (!this.fatal) {
      this.fatal = error;
      this.log(`embedded db: FATAL: the journal could not be written (${error.message}). No more writes are acknowledged and nothing more is read; restart the database to recover every acknowledged write from the journal.`);
      this.options.onFatal?.(error);
    }
    return new EngineError(ErrorCodes.InternalError, `the database stopped after a journal failure and must be restarted: ${error.message}`).toReply();
  }

  /** Run one command; resolves with the reply once its changes are durable. */
  async execute(cmd: Doc, db: string, connection: ConnectionInfo): Promise<Doc> {
    const stopped = this.failure;
    if (stopped) return this.stop(stopped);
    const changes = new RecordedChanges();
    const ctx: CommandContext = { catalog: this.catalog, cursors: this.cursors, server: this.server, connection, db, changes };
    this.server.opcounters.command++;
    const reply = runCommand(cmd, ctx);
    if (changes.entries.length) {
      try {
        await this.persist(changes.entries);
      } catch (err) {
        // Not durable, so not acknowledged; and the engine stops (see stop()).
        return this.stop(this.journal?.failed ?? (err instanceof Error ? err : new Error(String(err))));
      }
    }
    return reply;
  }

  private async persist(entries: Doc[]): Promise<void> {
    const journal = this.journal;
    if (!journal) return;
    await journal.appendMany(entries.flatMap(encodeEntry));
    this.maybeCompact(journal);
  }

  private maybeCompact(journal: Journal): void {
    if (this.compacting) return;
    const threshold = this.options.compactMinBytes ?? 8 * 1024 * 1024;
    if (journal.sizeBytes <= threshold || journal.sizeBytes <= 2 * this.catalog.dataBytes) return;
    // The catalog as it is now; its records are encoded as the journal writes them, between other work.
    const records = this.catalog.snapshot();
    const snapshot = (function* encoded(): Generator<Buffer> {
      for (const record of records) yield encodeRecord(record);
    })();
    this.compacting = journal
      .compact(snapshot)
      .catch((err: unknown) => this.log(`embedded db: compaction failed: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => {
        this.compacting = undefined;
      });
  }

  /** Resolves once no compaction is running (at once when none is). */
  async compacted(): Promise<void> {
    while (this.compacting) await this.compacting;
  }

  /** Delete documents whose TTL index date is older than expireAfterSeconds. */
  async reapExpired(now = Date.now()): Promise<number> {
    if (this.failure) return 0;
    const changes = new RecordedChanges();
    let removed = 0;
    for (const db of this.catalog.databases.keys()) {
      for (const collection of this.catalog.collections(db)) {
        for (const ix of collection.indexes) {
          if (ix.spec.expireAfterSeconds === undefined) continue;
          const ttlMs = toNumber(ix.spec.expireAfterSeconds) * 1000;
          // The index holds every date of a document; any key at or before the cutoff means its earliest is.
          const cutoff = new Date(now - ttlMs);
          const ids = new Set<string>();
          ix.scan([{ low: new Edge(9, 'min'), lowInclusive: true, high: cutoff, highInclusive: true }], false, (id) => {
            ids.add(id);
            return true;
          });
          const expired = [...ids].map((id) => collection.docs.get(id)).filter((d): d is Doc => d !== undefined);
          for (const doc of expired) collection.remove(doc);
          if (expired.length) changes.record({ op: 'delete', db, coll: collection.name, ids: expired.map((d) => d._id) });
          removed += expired.length;
        }
      }
    }
    this.cursors.reapIdle(now);
    if (changes.entries.length) {
      try {
        await this.persist(changes.entries);
      } catch (err) {
        this.stop(this.journal?.failed ?? (err instanceof Error ? err : new Error(String(err))));
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    if (this.reaper) clearInterval(this.reaper);
    this.reaper = undefined;
    if (this.compacting) await this.compacting;
    this.cursors.clear();
    const journal = this.journal;
    this.journal = undefined;
    if (journal) await journal.close();
  }
}
