import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DatabaseLockedError, Journal } from './journal';
import { acquireLock, describeProcess } from './lock';

let dir: string;
const openJournals: Journal[] = [];
const children: ChildProcess[] = [];

beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'journal-lock-test-'));
});

afterEach(async () => {
  await Promise.all(openJournals.splice(0).map((journal) => journal.close()));
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
  await fsp.rm(dir, { recursive: true, force: true });
});

async function open(): Promise<Journal> {
  const journal = await Journal.open(dir);
  openJournals.push(journal);
  return journal;
}

const lockFile = () => path.join(dir, 'LOCK');

/** Resolves once `condition` holds, checking on each turn of the event loop. */
async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setImmediate(resolve));
}

/** Another Node process that opens the journal in `dir`, appends one record and keeps it open. */
async function startHolder(): Promise<ChildProcess> {
  const script = `
    const { Journal } = require(${JSON.stringify(path.join(__dirname, 'journal.ts'))});
    Journal.open(process.argv[1]).then(async (journal) => {
      await journal.replay(() => {});
      await journal.append(Buffer.from('from the other process'));
      process.stdout.write('ready\\n');
      setInterval(() => {}, 60000);
    });`;
  const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), '-e', script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let output = '';
  child.stdout?.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the holder exited early (${code})`)));
  });
  return child;
}

describe('the dbPath lock', () => {
  it('refuses a second journal on the same directory in this process, until the first closes', async () => {
    const first = await open();
    const second = await Journal.open(dir).catch((error: unknown) => error);
    expect(second).toBeInstanceOf(DatabaseLockedError);
    expect((second as Error).message).toMatch(/Another process has this dbPath open/);
    expect((second as Error).message).toContain(dir);

    openJournals.splice(openJournals.indexOf(first), 1);
    await first.close();
    await expect(fsp.stat(lockFile())).rejects.toMatchObject({ code: 'ENOENT' });
    await open();
  });

  it('lets only one of two journals opened at the same moment in', async () => {
    const results = await Promise.allSettled([Journal.open(dir), Journal.open(dir)]);
    const opened = results.filter((result) => result.status === 'fulfilled');
    const refused = results.filter((result) => result.status === 'rejected');
    for (const result of opened) openJournals.push(result.value);
    expect(opened).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect((refused[0] as PromiseRejectedResult).reason).toBeInstanceOf(DatabaseLockedError);
  });

  it('refuses a directory held by a running process, and takes over once it was killed', async () => {
    const holder = await startHolder();
    const refusal = await Journal.open(dir).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(DatabaseLockedError);
    expect((refusal as DatabaseLockedError).holder?.pid).toBe(holder.pid);

    holder.kill('SIGKILL');
    await once(holder, 'exit');
    const journal = await open();
    const records: string[] = [];
    await journal.replay((payload) => records.push(payload.toString()));
    expect(records).toEqual(['from the other process']);
  });

  it('takes over a lock whose pid now belongs to a different process', async () => {
    const parent = await describeProcess(process.ppid);
    expect(parent).not.toBeNull();
    await fsp.writeFile(lockFile(), JSON.stringify(parent));
    await expect(Journal.open(dir)).rejects.toBeInstanceOf(DatabaseLockedError);

    // Same pid, but that process started at another time: the holder is gone and its pid was reused.
    await fsp.writeFile(lockFile(), JSON.stringify({ ...parent, startTime: '1' }));
    await open();
    expect(JSON.parse(await fsp.readFile(lockFile(), 'utf8'))).toMatchObject({ pid: process.pid });
  });

  it('takes over a lock from before the machine restarted', async () => {
    const parent = await describeProcess(process.ppid);
    await fsp.writeFile(lockFile(), JSON.stringify({ ...parent, bootId: 'another boot' }));
    await open();
  });

  it('takes over an unreadable lock file and a takeover left half done', async () => {
    await fsp.writeFile(lockFile(), 'not json');
    await fsp.writeFile(`${lockFile()}.takeover`, JSON.stringify({ pid: 999999999, startTime: '1', bootId: null, hostname: os.hostname() }));
    await open();
    expect(await fsp.readdir(dir)).toEqual(['LOCK', 'journal']);
  });

  it('respects a lock from another host while its holder keeps refreshing it', async () => {
    const parent = await describeProcess(process.ppid);
    await fsp.writeFile(lockFile(), JSON.stringify({ ...parent, hostname: 'elsewhere' }));
    const refusal = await Journal.open(dir).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(DatabaseLockedError);
    expect((refusal as Error).message).toContain('elsewhere');

    // Unrefreshed for two minutes: that host or container is gone.
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    await fsp.utimes(lockFile(), twoMinutesAgo, twoMinutesAgo);
    await open();
  });

  it('refreshes the time of the lock it holds', async () => {
    const lock = await acquireLock(dir, { heartbeatMs: 10 });
    try {
      const longAgo = new Date('2020-01-01T00:00:00Z');
      await fsp.utimes(lockFile(), longAgo, longAgo);
      await waitFor(async () => (await fsp.stat(lockFile())).mtimeMs > longAgo.getTime());
    } finally {
      await lock.release();
    }
    await expect(fsp.stat(lockFile())).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
