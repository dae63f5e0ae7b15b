/**
 * Fail-stop on a real full disk (issue 16): the engine runs as `npm run db` does, on a small tmpfs, and is
 * written to until the disk is full. The write that hit the full disk is refused, the process logs the cause and
 * exits non-zero (so a supervisor restarts it), and once there is room again a restart has every acknowledged
 * write and none of the refused ones. The same through the app's worker thread: its owner is told.
 * Mounting needs root (as in CI and this project's containers); otherwise the tests are skipped, saying why.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { startEmbeddedMongo } from '../../server/db/embedded';
import { startEmbeddedMongoThread } from '../../server/db/embedded/thread';

const CLI = path.join(__dirname, '../../server/db/embedded/cli.ts');

/** Why a tmpfs cannot be mounted here, or null when it can (tried once, at load). */
function cannotMount(): string | null {
  if (process.platform !== 'linux') return 'tmpfs mounts need Linux';
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  const probe = mkdtempSync(path.join(os.tmpdir(), 'tmpfs-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'pipe' });
    execFileSync('umount', [probe], { stdio: 'pipe' });
    return null;
  } catch (error) {
    return `mount -t tmpfs failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

const skipReason = cannotMount();
if (skipReason) process.stderr.write(`full-disk tests skipped: ${skipReason}\n`);
const onRealDisk = skipReason ? test.skip : test;

let mountPoint: string | undefined;

function mountSmallDisk(size: string): string {
  mountPoint = mkdtempSync(path.join(os.tmpdir(), 'full-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mountPoint]);
  return mountPoint;
}

afterEach(() => {
  if (!mountPoint) return;
  execFileSync('umount', [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
  mountPoint = undefined;
});

/** Inserts 8 KB documents with 4 concurrent writers until the disk refuses one; returns what was acknowledged. */
async function fillDisk(uri: string): Promise<{ acknowledged: number[]; refused: number[]; error: Error }> {
  const client = await MongoClient.connect(uri, { retryWrites: false, retryReads: false, serverSelectionTimeoutMS: 2000 });
  const things = client.db('app').collection('things');
  const acknowledged: number[] = [];
  const refused: number[] = [];
  let error: Error | undefined;
  let next = 0;
  const writer = async (): Promise<void> => {
    while (!error) {
      const n = next++;
      try {
        await things.insertOne({ n, padding: 'x'.repeat(8000) });
        acknowledged.push(n);
      } catch (caught) {
        refused.push(n);
        error ??= caught as Error;
      }
    }
  };
  try {
    await Promise.all([writer(), writer(), writer(), writer()]);
  } finally {
    await client.close(true).catch(() => undefined);
  }
  return { acknowledged, refused, error: error as Error };
}

async function storedNumbers(dbPath: string): Promise<number[]> {
  const engine = await startEmbeddedMongo({ dbPath, log: () => undefined });
  try {
    const client = await MongoClient.connect(engine.uri);
    try {
      const docs = await client.db('app').collection<{ n: number }>('things').find({}, { projection: { n: 1 } }).toArray();
      return docs.map((d) => d.n).sort((a, b) => a - b);
    } finally {
      await client.close();
    }
  } finally {
    await engine.stop();
  }
}

onRealDisk('npm run db on a full disk refuses the write, exits non-zero saying why, and restarts with every acknowledged write', async () => {
  const dbPath = path.join(mountSmallDisk('1m'), 'db');
  const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), CLI, '--port', '0', '--dbpath', dbPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  try {
    const uri = await new Promise<string>((resolve, reject) => {
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        const found = /mongodb:\/\/\S+/.exec(stdout);
        if (found) resolve(found[0]);
      });
      void exited.then(([code]) => reject(new Error(`the engine exited early (${code}): ${stderr}`)));
    });
    const { acknowledged, refused, error } = await fillDisk(uri);
    expect(acknowledged.length).toBeGreaterThan(10);
    expect(error.message).toMatch(/ENOSPC/);
    const [code] = await exited;
    expect(code).toBe(1);
    expect(stderr).toMatch(/FATAL: the journal could not be written \(.*ENOSPC/);

    // The operator makes room and restarts: the journal replays to exactly what was acknowledged.
    execFileSync('mount', ['-o', 'remount,size=4m', mountPoint as string]);
    const stored = await storedNumbers(dbPath);
    expect(stored).toEqual([...acknowledged].sort((a, b) => a - b));
    for (const n of refused) expect(stored).not.toContain(n);
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  }
});

onRealDisk("the app's database thread on a full disk reports the failure to its owner (main.ts exits 1)", async () => {
  const dbPath = path.join(mountSmallDisk('1m'), 'db');
  const failures: Error[] = [];
  const engine = await startEmbeddedMongoThread({ dbPath, log: () => undefined, onFailure: (error) => failures.push(error) });
  try {
    const { acknowledged, error } = await fillDisk(engine.uri);
    expect(error.message).toMatch(/ENOSPC/);
    await new Promise<void>((resolve) => {
      const check = (): void => (failures.length > 0 ? resolve() : void setImmediate(check));
      check();
    });
    expect(failures[0]?.message).toMatch(/could not write its journal and stopped: .*ENOSPC/);
    await engine.stop();
    execFileSync('mount', ['-o', 'remount,size=4m', mountPoint as string]);
    expect(await storedNumbers(dbPath)).toEqual([...acknowledged].sort((a, b) => a - b));
  } finally {
    await engine.stop();
  }
});
