/**
 * The embedded engine's durable journal: an append-only file of checksummed records in one directory.
 *
 * - append/appendMany resolve only once their bytes are on disk (fdatasync). Group commit: while one flush is
 *   under way, new appends queue, and the next flush writes all of them as one frame with one write and one
 *   fdatasync. A frame is all-or-nothing after a crash, so a batch is atomic.
 * - replay reads every record in order. An incomplete last frame (a torn tail from a crash mid-write) is cut
 *   off and reported; a damaged frame with intact frames after it is corruption and throws JournalCorruptError.
 * - compact writes a snapshot to a new file, adds what was appended meanwhile, fsyncs it and renames it over
 *   the journal: a crash at any step leaves either the old journal or the new one, each complete.
 * - A LOCK file keeps a second process (or a second Journal here) from opening the same directory.
 */
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import {
  FILE_HEADER,
  FRAME_HEADER_SIZE,
  MAX_FRAME_BODY,
  bodyMatches,
  bodySizeOf,
  encodeFlush,
  encodeFrames,
  findIntactFrame,
  forEachRecord,
  readFrameHeader,
} from './frame';
import { ChunkReader, fsyncDirectory, nodeFiles, writeFully, type FileLayer } from './file-io';
import { asError, errnoCode } from './fs-errors';
import { acquireLock, type DirectoryLock } from './lock';

export { DatabaseLockedError } from './lock';

export class JournalCorruptError extends Error {
  readonly offset: number;
  readonly file: string;

  constructor(file: string, offset: number, detail: string) {
    super(
      `The journal ${file} is damaged at byte offset ${offset}: ${detail}. ` +
        'This is not an interrupted write (intact records follow it), so nothing was skipped. ' +
        'Restore the dbPath from a backup, or move the file away to start without this data.',
    );
    this.name = 'JournalCorruptError';
    this.file = file;
    this.offset = offset;
  }
}

export interface JournalOptions {
  /** false skips fdatasync: faster, and nothing survives a power loss. Default true. */
  fsync?: boolean;
  /** Where files are opened (tests inject faults here). Default: node:fs. */
  files?: FileLayer;
}

export interface JournalStats {
  /** Frames written: one write (and one fdatasync when fsync is on) per commit group. */
  flushes: number;
  /** Records made durable by appends (not counting compaction snapshots). */
  records: number;
  compactions: number;
}

export interface ReplayResult {
  records: number;
  droppedTailBytes: number;
}

interface PendingAppend {
  seq: number;
  payloads: readonly Buffer[];
  resolve(): void;
  reject(error: Error): void;
}

interface Compaction {
  /** Appends numbered from here on were made after compact() was called, so the snapshot lacks them. */
  startSeq: number;
  /** Their payloads, once on disk in the file being replaced: the new file must carry them over. */
  carried: Buffer[];
}

const JOURNAL_FILE = 'journal';
const COMPACTION_FILE = 'journal.compacting';
const SNAPSHOT_FRAME_BYTES = 4 * 1024 * 1024;

export class Journal {
  readonly stats: JournalStats = { flushes: 0, records: 0, compactions: 0 };
  private readonly dir: string;
  private readonly file: string;
  private readonly fsync: boolean;
  private readonly lock: DirectoryLock;
  private readonly files: FileLayer;
  private handle: FileHandle;
  /** End of the valid data: where the next frame goes. */
  private end: number;
  private replayed = false;
  /** Set by close(): from then on nothing more is written. */
  private closing: Promise<void> | undefined;
  /** After a failed write or fdatasync nothing more is written: the state on disk is no longer known. */
  private failure: Error | null = null;
  private queue: PendingAppend[] = [];
  private nextSeq = 0;
  /** Every append numbered below this has been written or rejected. */
  private settledSeq = 0;
  private settleWaiters: Array<{ seq: number; resolve(): void }> = [];
  private exclusive: Array<() => Promise<void>> = [];
  private writing = false;
  private idleWaiters: Array<() => void> = [];
  private compactions = new Set<Compaction>();
  private compactionChain: Promise<void> = Promise.resolve();

  private constructor(dir: string, handle: FileHandle, size: number, lock: DirectoryLock, fsync: boolean, files: FileLayer) {
    this.dir = dir;
    this.files = files;
    this.file = path.join(dir, JOURNAL_FILE);
    this.handle = handle;
    this.end = size;
    this.lock = lock;
    this.fsync = fsync;
  }

  static async open(dir: string, opts: JournalOptions = {}): Promise<Journal> {
    const fsync = opts.fsync ?? true;
    const files = opts.files ?? nodeFiles;
    await fsp.mkdir(dir, { recursive: true });
    const lock = await acquireLock(dir);
    try {
      // A compaction that never reached its rename: the journal beside it is still the whole truth.
      await fsp.rm(path.join(dir, COMPACTION_FILE), { force: true });
      const file = path.join(dir, JOURNAL_FILE);
      const { handle, size } = await openJournalFile(dir, file, fsync, files);
      return new Journal(dir, handle, size, lock, fsync, files);
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  /**
   * The error that stopped the journal (a failed write, fdatasync or directory sync), or null. Set at the moment
   * of the failure, before the appends it fails are rejected: from then on nothing more is written, and the
   * engine must stop answering (see Engine's fail-stop).
   */
  get failed(): Error | null {
    return this.failure;
  }

  /** Bytes of valid journal on disk (before replay: the whole file). */
  get sizeBytes(): number {
    return this.end;
  }

  /**
   * Calls onRecord with every record, oldest first. The payloads are views of read buffers that are never
   * reused, so keeping one is safe (it keeps its chunk in memory). Call once, before appending.
   */
  async replay(onRecord: (payload: Buffer) => void): Promise<ReplayResult> {
    if (this.replayed) throw new Error('Journal.replay runs once, before any append or compaction');
    try {
      return await this.scan(onRecord);
    } catch (error) {
      // Damaged, or the caller could not apply a record: appending now would bury the problem.
      this.failure ??= asError(error);
      throw error;
    }
  }

  append(payload: Buffer): Promise<void> {
    return this.appendMany([payload]);
  }

  appendMany(payloads: Buffer[]): Promise<void> {
    if (this.closing) return Promise.reject(new Error(`The journal ${this.file} is closed`));
    if (this.failure) return Promise.reject(this.failedError());
    if (payloads.length === 0) return Promise.resolve();
    if (bodySizeOf(payloads) > MAX_FRAME_BODY) {
      return Promise.reject(new RangeError(`A journal batch may hold at most ${MAX_FRAME_BODY} bytes`));
    }
    const seq = this.nextSeq++;
    const batch = payloads.slice(); // the caller's array may change before the flush
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ seq, payloads: batch, resolve, reject });
      this.startWriter();
    });
  }

  /**
   * Replaces the journal by `snapshot` plus every record appended after this call. The snapshot must hold the
   * effect of every record appended before it (even those still being flushed). Appends go on meanwhile; the
   * snapshot's records are taken from the iterable a frame at a time, between writes, so a lazily encoded one
   * never holds the event loop for longer than one frame's worth of encoding.
   */
  compact(snapshot: Iterable<Buffer>): Promise<void> {
    if (this.closing) return Promise.reject(new Error(`The journal ${this.file} is closed`));
    const compaction: Compaction = { startSeq: this.nextSeq, carried: [] };
    this.compactions.add(compaction);
    const run = this.compactionChain.then(() => this.runCompaction(snapshot, compaction));
    this.compactionChain = run.catch(() => undefined);
    return run.finally(() => this.compactions.delete(compaction));
  }

  /** Writes what was appended, lets a running compaction finish, closes the file and releases the lock. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    try {
      await this.compactionChain;
      await this.writerIdle();
      await this.handle.close();
    } finally {
      await this.lock.release();
    }
  }

  private async scan(onRecord: ((payload: Buffer) => void) | null): Promise<ReplayResult> {
    const size = (await this.handle.stat()).size;
    const reader = new ChunkReader(this.handle, size);
    let at = FILE_HEADER.length;
    let records = 0;
    while (at < size) {
      const header = at + FRAME_HEADER_SIZE <= size ? readFrameHeader(await reader.view(at, FRAME_HEADER_SIZE), 0) : null;
      const frameEnd = header ? at + FRAME_HEADER_SIZE + header.bodyLength : size;
      if (header && frameEnd <= size) {
        const body = await reader.view(at + FRAME_HEADER_SIZE, header.bodyLength);
        if (bodyMatches(header, body)) {
          const count = forEachRecord(body, onRecord);
          if (count === null) throw new JournalCorruptError(this.file, at, 'its records do not fit its frame');
          records += count;
          at = frameEnd;
          continue;
        }
      }
      // A damaged or incomplete frame. With an intact header, the frame's extent is known: look after it;
      // without one, any later byte may start the next frame.
      const searchFrom = header ? frameEnd : at + 1;
      if (searchFrom < size) {
        const rest = await reader.view(searchFrom, size - searchFrom);
        const next = findIntactFrame(rest, 0);
        if (next !== -1) {
          const detail = header ? 'its checksum does not match its contents' : 'its frame header is unreadable';
          throw new JournalCorruptError(this.file, at, `${detail} (next intact frame at ${searchFrom + next})`);
        }
      }
      await this.handle.truncate(at);
      if (this.fsync) await this.handle.datasync();
      this.end = at;
      this.replayed = true;
      return { records, droppedTailBytes: size - at };
    }
    this.end = size;
    this.replayed = true;
    return { records, droppedTailBytes: 0 };
  }

  private startWriter(): void {
    if (this.writing) return;
    this.writing = true;
    void this.runWriter();
  }

  /** The only code that writes to the journal file: groups and exclusive steps never overlap. */
  private async runWriter(): Promise<void> {
    try {
      for (;;) {
        const step = this.exclusive.shift();
        if (step) {
          await step();
          continue;
        }
        if (this.queue.length === 0) break;
        const group = this.queue;
        this.queue = [];
        await this.writeGroup(group);
      }
    } finally {
      this.writing = false;
      for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  private async writeGroup(group: PendingAppend[]): Promise<void> {
    try {
      if (this.failure) throw this.failedError();
      if (!this.replayed) await this.scan(null); // never append after a torn tail left in place
      const bytes = encodeFlush(group.map((pending) => pending.payloads));
      await writeFully(this.handle, bytes, this.end);
      if (this.fsync) await this.handle.datasync();
      this.end += bytes.length;
      this.stats.flushes += 1;
      for (const pending of group) {
        this.stats.records += pending.payloads.length;
        for (const compaction of this.compactions) {
          if (pending.seq >= compaction.startSeq) for (const payload of pending.payloads) compaction.carried.push(payload);
        }
      }
      for (const pending of group) pending.resolve();
    } catch (error) {
      const failure = asError(error);
      // After a failed fdatasync the kernel may have dropped the dirty pages: retrying could report a false
      // success. Refuse further writes; a restart replays what is really on disk.
      this.failure ??= failure;
      // What this group wrote was never acknowledged: cut it off, so a restart does not bring it back. Best effort
      // (the disk just failed); a partial frame left behind is a torn tail, which replay drops.
      await this.handle.truncate(this.end).catch(() => undefined);
      for (const pending of group) pending.reject(failure);
    }
    this.settle(group[group.length - 1]?.seq ?? -1);
  }

  private settle(seq: number): void {
    this.settledSeq = Math.max(this.settledSeq, seq + 1);
    this.settleWaiters = this.settleWaiters.filter((waiter) => {
      if (waiter.seq > this.settledSeq) return true;
      waiter.resolve();
      return false;
    });
  }

  /** Resolves once every append numbered below `seq` is written or rejected. */
  private settledBefore(seq: number): Promise<void> {
    if (this.settledSeq >= seq) return Promise.resolve();
    return new Promise((resolve) => this.settleWaiters.push({ seq, resolve }));
  }

  private runExclusive(step: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.exclusive.push(() => step().then(resolve, reject));
      this.startWriter();
    });
  }

  private writerIdle(): Promise<void> {
    if (!this.writing && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async runCompaction(snapshot: Iterable<Buffer>, compaction: Compaction): Promise<void> {
    // Appends made before compact() are in the snapshot: they must be in the old file, never the new one.
    await this.settledBefore(compaction.startSeq);
    if (this.failure) throw this.failedError();
    const temporary = path.join(this.dir, COMPACTION_FILE);
    const next = await this.files.open(temporary, 'w+');
    let switched = false;
    try {
      let at = await writeFully(next, FILE_HEADER, 0);
      for (const frame of encodeFrames(snapshot, SNAPSHOT_FRAME_BYTES)) at += await writeFully(next, frame, at);
      if (this.fsync) await next.datasync();
      // The switch runs in the writer, between two groups, so that no append lands in the old file after
      // its records were carried over.
      await this.runExclusive(async () => {
        if (this.failure) throw this.failedError();
        for (const frame of encodeFrames(compaction.carried, SNAPSHOT_FRAME_BYTES)) at += await writeFully(next, frame, at);
        if (this.fsync) await next.datasync();
        await fsp.rename(temporary, this.file);
        const previous = this.handle;
        this.handle = next;
        this.end = at;
        this.replayed = true;
        switched = true;
        this.stats.compactions += 1;
        await previous.close();
        if (this.fsync) {
          try {
            await fsyncDirectory(this.dir);
          } catch (error) {
            // The rename may not survive a crash, and appends from now on go to the new file only.
            this.failure = asError(error);
            throw error;
          }
        }
      });
    } finally {
      if (!switched) {
        await next.close();
        await fsp.rm(temporary, { force: true });
      }
    }
  }

  private failedError(): Error {
    const cause = this.failure;
    return new Error(
      `The journal ${this.file} stopped accepting writes after an error (${cause?.message ?? 'unknown'}); restart the database`,
      { cause },
    );
  }
}

/** Opens (creating it if needed) the journal file, checking its format header. */
async function openJournalFile(dir: string, file: string, fsync: boolean, files: FileLayer): Promise<{ handle: FileHandle; size: number }> {
  let handle: FileHandle;
  let created = false;
  try {
    handle = await files.open(file, 'r+');
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
    handle = await files.open(file, 'wx+');
    created = true;
  }
  try {
    const size = (await handle.stat()).size;
    if (size < FILE_HEADER.length) {
      // New, or created by a crash before its header was written: nothing in it can have been acknowledged.
      await handle.truncate(0);
      await writeFully(handle, FILE_HEADER, 0);
      if (fsync) {
        await handle.datasync();
        if (created) await fsyncDirectory(dir);
      }
      return { handle, size: FILE_HEADER.length };
    }
    const header = Buffer.alloc(FILE_HEADER.length);
    await handle.read(header, 0, header.length, 0);
    if (!header.equals(FILE_HEADER)) throw new JournalCorruptError(file, 0, 'it does not start with the journal header');
    return { handle, size };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

