/**
 * One process at a time per dbPath: a LOCK file naming the process that holds it.
 *
 * Node has no advisory file locks, so the lock file says who holds it (pid, the process's start time and the
 * kernel's boot id). A lock whose holder is gone (killed with kill -9, or the machine restarted) is stale and
 * is taken over; a pid that was reused by another process is told apart by its start time. A holder on another
 * host (or in another container) cannot be looked up, so holders refresh the file's time every few seconds and
 * such a lock counts as held until it goes unrefreshed for a minute. Files appear atomically (written to a
 * private name, then hard-linked), and a stale lock is replaced under a short-lived guard file so that two
 * processes starting at once cannot both take it over.
 */
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { threadId } from 'node:worker_threads';
import { errnoCode } from './fs-errors';

export interface LockOwner {
  pid: number;
  /** Start time of the process in clock ticks since boot (Linux); null where /proc is missing. */
  startTime: string | null;
  bootId: string | null;
  hostname: string;
  /** The worker thread holding it (the engine may run in a worker thread of the app's process). */
  threadId?: number;
}

export class DatabaseLockedError extends Error {
  readonly lockFile: string;
  readonly holder: LockOwner | null;

  constructor(lockFile: string, holder: LockOwner | null) {
    const who = holder ? `process ${holder.pid} on ${holder.hostname}` : 'another process';
    super(
      `Another process has this dbPath open: ${path.dirname(lockFile)} is locked by ${who} (${lockFile}). ` +
        'Stop that process first, or use another dbPath.',
    );
    this.name = 'DatabaseLockedError';
    this.lockFile = lockFile;
    this.holder = holder;
  }
}

const HEARTBEAT_MS = 10_000;
const UNREFRESHED_AFTER_MS = 60_000;

/** Lock files held by this process: a second Journal on the same directory must fail here too. */
const heldByThisProcess = new Set<string>();

export interface DirectoryLock {
  readonly lockFile: string;
  release(): Promise<void>;
}

export async function acquireLock(dir: string, options: { heartbeatMs?: number } = {}): Promise<DirectoryLock> {
  const lockFile = path.join(await fsp.realpath(dir), 'LOCK');
  const me = await describeProcess(process.pid);
  if (!me || heldByThisProcess.has(lockFile)) throw new DatabaseLockedError(lockFile, me);
  heldByThisProcess.add(lockFile);
  const content = `${JSON.stringify({ ...me, threadId })}\n`;
  try {
    await takeLock(lockFile, content);
  } catch (error) {
    heldByThisProcess.delete(lockFile);
    throw error;
  }
  const heartbeat = setInterval(() => {
    const now = new Date();
    fsp.utimes(lockFile, now, now).catch(() => undefined); // a missed beat is made up by the next one
  }, options.heartbeatMs ?? HEARTBEAT_MS);
  heartbeat.unref();
  let released = false;
  return {
    lockFile,
    async release() {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      heldByThisProcess.delete(lockFile);
      // Only remove the file if it is still ours (never someone else's after a takeover).
      if ((await readFileOrNull(lockFile)) === content) await fsp.rm(lockFile, { force: true });
    },
  };
}

async function takeLock(lockFile: string, content: string): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    if (await createAtomically(lockFile, content)) return;
    const current = await readFileOrNull(lockFile);
    if (current === null) continue; // released between our two steps: try again
    const holder = parseOwner(current);
    if (holder && (await isRunning(holder, lockFile))) throw new DatabaseLockedError(lockFile, holder);
    if (await replaceStale(lockFile, current, content)) return;
  }
  throw new DatabaseLockedError(lockFile, parseOwner((await readFileOrNull(lockFile)) ?? ''));
}

/** Replaces a stale lock under a guard file; false when the lock changed meanwhile (look again). */
async function replaceStale(lockFile: string, staleContent: string, content: string): Promise<boolean> {
  const guard = `${lockFile}.takeover`;
  if (!(await createAtomically(guard, content))) {
    const guardHolder = parseOwner((await readFileOrNull(guard)) ?? '');
    if (guardHolder && (await isRunning(guardHolder, guard))) throw new DatabaseLockedError(lockFile, guardHolder);
    // A takeover by a process that died half way: clear it and look again.
    await fsp.rm(guard, { force: true });
    return false;
  }
  try {
    if ((await readFileOrNull(lockFile)) !== staleContent) return false;
    const fresh = privateName(lockFile);
    await fsp.writeFile(fresh, content, { flag: 'wx' });
    await fsp.rename(fresh, lockFile);
    return true;
  } finally {
    await fsp.rm(guard, { force: true });
  }
}

/** Creates `file` with `content` so that no reader ever sees it half written; false if it exists. */
async function createAtomically(file: string, content: string): Promise<boolean> {
  const fresh = privateName(file);
  await fsp.writeFile(fresh, content, { flag: 'wx' });
  try {
    await fsp.link(fresh, file);
    return true;
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error;
    // A filesystem without hard links: exclusive creation still holds, only the content may be seen half written.
    return fsp.writeFile(file, content, { flag: 'wx' }).then(
      () => true,
      (createError: unknown) => {
        if (errnoCode(createError) === 'EEXIST') return false;
        throw createError;
      },
    );
  } finally {
    await fsp.rm(fresh, { force: true });
  }
}

function privateName(file: string): string {
  return `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
}

async function readFileOrNull(file: string): Promise<string | null> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null;
    throw error;
  }
}

function parseOwner(text: string): LockOwner | null {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return null;
    const { pid, startTime, bootId, hostname, threadId: holderThread } = value as Record<string, unknown>;
    if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return null;
    return {
      pid,
      startTime: typeof startTime === 'string' ? startTime : null,
      bootId: typeof bootId === 'string' ? bootId : null,
      hostname: typeof hostname === 'string' ? hostname : 'an unknown host',
      ...(typeof holderThread === 'number' ? { threadId: holderThread } : {}),
    };
  } catch {
    return null; // unreadable: not written by a running engine (our files appear complete), so stale
  }
}

/** The identity of a running process, or null if there is no such process (or it is a zombie). */
export async function describeProcess(pid: number): Promise<LockOwner | null> {
  const bootId = (await readFileOrNull('/proc/sys/kernel/random/boot_id'))?.trim() ?? null;
  const stat = await readFileOrNull(`/proc/${pid}/stat`).catch(() => null);
  if (stat === null) {
    if (bootId !== null) return null; // Linux: no /proc entry means no process
    return signalZeroSucceeds(pid) ? { pid, startTime: null, bootId, hostname: os.hostname() } : null;
  }
  // Fields after "(comm)": state is the 1st, starttime the 20th (field 22 of proc(5)).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  if (state === 'Z' || state === 'X') return null;
  return { pid, startTime: fields[19] ?? null, bootId, hostname: os.hostname() };
}

async function isRunning(holder: LockOwner, file: string): Promise<boolean> {
  if (holder.hostname !== os.hostname()) {
    const stat = await fsp.stat(file).catch(() => null);
    return stat !== null && Date.now() - stat.mtimeMs < UNREFRESHED_AFTER_MS;
  }
  const here = await describeProcess(holder.pid);
  if (!here) return false;
  if (holder.bootId !== null && here.bootId !== null && holder.bootId !== here.bootId) return false; // rebooted since
  if (holder.startTime !== null && here.startTime !== null && holder.startTime !== here.startTime) return false; // pid reused
  // Our own process: another thread of it holds the lock (each thread has its own heldByThisProcess), or, from
  // this very thread and not in heldByThisProcess, a lock this thread failed to remove.
  if (holder.pid === process.pid) return holder.threadId !== undefined && holder.threadId !== threadId;
  return true;
}

function signalZeroSucceeds(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === 'EPERM';
  }
}
