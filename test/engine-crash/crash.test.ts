/**
 * Crash test of the embedded engine (issue 2): a child process writes through the driver with several
 * concurrent writers and prints every acknowledged write; it is killed with SIGKILL at a random moment; the
 * dbPath is reopened here and every acknowledged write must be there (and every acknowledged delete gone).
 * The rounds share one dbPath, so each also replays what the crashes before it left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { promises as fsp, watch } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MongoClient } from 'mongodb';
import { startEmbeddedMongo } from '../../server/db/embedded';

const WRITER_SCRIPT = path.join(__dirname, 'writer.ts');
const WRITERS = 8;
/** The journal's name for a compaction's new file until it is renamed over the journal. */
const COMPACTION_FILE = 'journal.compacting';

/** What the killed process reported as acknowledged, over all rounds so far. */
interface Acknowledged {
  inserted: Set<string>;
  deleting: Set<string>;
  deleted: Set<string>;
  counters: Map<string, number>;
}

interface Crash {
  /** The journal had a compaction under way when the process died. */
  duringCompaction: boolean;
  lines: number;
  /** The plan's log line was seen before the kill. */
  killedOnLogLine: boolean;
}

let dbPath: string;
const writers = new Set<ChildProcess>();

beforeAll(async () => {
  dbPath = await fsp.mkdtemp(path.join(os.tmpdir(), 'engine-crash-'));
});

afterAll(async () => {
  // A failed round may leave its writer running.
  for (const child of writers) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
  await fsp.rm(dbPath, { recursive: true, force: true });
});

interface KillPlan {
  /** Kill once this many acknowledgement lines were printed... */
  afterLines: number;
  /** ...or, when set, as soon as a compaction starts writing its new file (once afterLines were printed). */
  onCompactionStart?: boolean;
  /** ...or, when set, as soon as the engine logs a line matching this (at any point, before `ready` too). */
  onLogLine?: RegExp;
  engineOptions?: object;
}

/** Runs the writer and kills it with SIGKILL as the plan says. */
async function writeUntilKilled(round: number, plan: KillPlan, acknowledged: Acknowledged): Promise<Crash> {
  const args = ['--require', require.resolve('tsx/cjs'), WRITER_SCRIPT, dbPath, String(round), String(WRITERS)];
  if (plan.engineOptions) args.push(JSON.stringify(plan.engineOptions));
  // stdin stays open as a lifeline: the writer exits if this process goes away without killing it.
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  writers.add(child);
  const exited = once(child, 'exit');
  let pending = '';
  let errors = '';
  let lines = 0;
  let duringCompaction = false;
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
  const watcher = plan.onCompactionStart ? watch(dbPath) : undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const kill = () => {
        if (child.exitCode !== null || child.killed) return;
        child.kill('SIGKILL');
        // Listed after the kill: the state the process died in.
        fsp.readdir(dbPath).then((names) => {
          duringCompaction = names.includes(COMPACTION_FILE);
          resolve();
        }, reject);
      };
      if (plan.onLogLine) {
        const pattern = plan.onLogLine;
        child.stderr.on('data', () => {
          if (pattern.test(errors)) kill();
        });
      }
      watcher?.on('change', (_event, name) => {
        if (name === COMPACTION_FILE && lines >= plan.afterLines) kill();
      });
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        pending += chunk;
        const complete = pending.split('\n');
        pending = complete.pop() ?? '';
        for (const line of complete) {
          record(line, acknowledged);
          lines += 1;
        }
        // Without a compaction to wait for, kill at the planned count; with one, give up waiting at 20x.
        if (lines >= (plan.onCompactionStart ? Math.max(plan.afterLines, 20) * 20 : plan.afterLines)) kill();
      });
      child.once('exit', (code, signal) => {
        if (signal !== 'SIGKILL') reject(new Error(`the writer stopped by itself (code ${code}): ${errors}`));
      });
    });
  } finally {
    watcher?.close();
  }
  await exited;
  return { duringCompaction, lines, killedOnLogLine: plan.onLogLine?.test(errors) ?? false };
}

function record(line: string, acknowledged: Acknowledged): void {
  const [kind, a, b] = line.split(' ');
  if (kind === 'insert' && a) acknowledged.inserted.add(a);
  else if (kind === 'deleting' && a) acknowledged.deleting.add(a);
  else if (kind === 'deleted' && a) acknowledged.deleted.add(a);
  else if (kind === 'count' && a && b) acknowledged.counters.set(a, Math.max(Number(b), acknowledged.counters.get(a) ?? 0));
}

/** Documents loaded before the rounds that restart on them (so that a start and a snapshot take a while). */
const BULK_DOCUMENTS = 12_000;
let bulkLoaded = false;

/** Reopens the dbPath in this process and compares it with what was acknowledged. */
async function reopenAndCheck(acknowledged: Acknowledged): Promise<void> {
  // Starting must not be blocked by the killed process's lock, nor fail on its torn last write.
  const logLines: string[] = [];
  const engine = await startEmbeddedMongo({ dbPath, port: 0, log: (line) => logLines.push(line) });
  const client = await MongoClient.connect(engine.uri);
  try {
    const db = client.db('crash');
    const ids = await db.collection<{ _id: string }>('items').find({}, { projection: { _id: 1 } }).toArray();
    const present = new Set(ids.map((doc) => doc._id));
    const lost = [...acknowledged.inserted].filter((id) => !present.has(id) && !acknowledged.deleting.has(id));
    const undeleted = [...acknowledged.deleted].filter((id) => present.has(id));
    expect({ lost, undeleted }).toEqual({ lost: [], undeleted: [] });

    const counters = await db.collection<{ _id: string; n: number }>('counters').find().toArray();
    const counterValues = new Map(counters.map((doc) => [doc._id, doc.n]));
    const behind = [...acknowledged.counters]
      .filter(([writer, n]) => (counterValues.get(writer) ?? -1) < n)
      .map(([writer, n]) => `${writer}: acknowledged ${n}, found ${counterValues.get(writer) ?? 'none'}`);
    expect(behind).toEqual([]);
    if (bulkLoaded) {
      // Every bulk document is there, and found through each of its indexes.
      const bulk = db.collection('bulk');
      expect(await bulk.countDocuments()).toBe(BULK_DOCUMENTS);
      expect(await bulk.countDocuments({ group: 7 }, { hint: 'group_1_n_1' })).toBe(BULK_DOCUMENTS / 100);
      expect(await bulk.countDocuments({ tag: 't3' }, { hint: 'tag_1' })).toBe(BULK_DOCUMENTS / 10);
    }
    // A dropped torn tail is expected after a crash; anything that failed is not.
    expect(logLines.filter((line) => /fail|error|damaged|corrupt/i.test(line))).toEqual([]);
  } finally {
    await client.close();
    await engine.stop();
  }
}

function randomBetween(low: number, high: number): number {
  return low + Math.floor(Math.random() * (high - low));
}

describe('the embedded engine killed with SIGKILL', () => {
  const acknowledged: Acknowledged = { inserted: new Set(), deleting: new Set(), deleted: new Set(), counters: new Map() };

  it('keeps every acknowledged write over several crashes at random moments', async () => {
    for (let round = 1; round <= 3; round += 1) {
      const crash = await writeUntilKilled(round, { afterLines: randomBetween(40, 600) }, acknowledged);
      expect(crash.lines).toBeGreaterThan(0);
      await reopenAndCheck(acknowledged);
    }
    expect(acknowledged.inserted.size).toBeGreaterThan(0);
  });

  it('keeps every acknowledged write when killed while the journal is being compacted', async () => {
    // A small threshold makes the engine compact every few dozen writes.
    const engineOptions = { compactMinBytes: 64 * 1024 };
    const crashes: Crash[] = [];
    for (let round = 4; round <= 6; round += 1) {
      crashes.push(await writeUntilKilled(round, { afterLines: randomBetween(20, 200), onCompactionStart: true, engineOptions }, acknowledged));
      await reopenAndCheck(acknowledged);
      expect(await fsp.readdir(dbPath)).not.toContain(COMPACTION_FILE);
    }
    // The kill follows the compaction file's creation, but a small compaction can finish first.
    console.log(`killed during a compaction in ${crashes.filter((crash) => crash.duringCompaction).length} of ${crashes.length} rounds`);
  });

  it('keeps every acknowledged write when killed while building its indexes at start, or writing a large snapshot', async () => {
    // No compaction while loading: the journal keeps twice the live data, so the next writes compact it.
    const engine = await startEmbeddedMongo({ dbPath, port: 0, log: () => undefined, compactMinBytes: 1 << 30 });
    const client = await MongoClient.connect(engine.uri);
    try {
      const bulk = client.db('crash').collection('bulk');
      await bulk.createIndex({ group: 1, n: 1 });
      await bulk.createIndex({ tag: 1 });
      for (let start = 0; start < BULK_DOCUMENTS; start += 2_000) {
        const batch = Array.from({ length: 2_000 }, (_, i) => ({ n: start + i, group: (start + i) % 100, tag: `t${(start + i) % 10}`, padding: 'z'.repeat(150) }));
        await bulk.insertMany(batch);
      }
      for (const letter of ['y', 'x', 'w']) await bulk.updateMany({}, { $set: { padding: letter.repeat(150) } });
    } finally {
      await client.close();
      await engine.stop();
    }
    bulkLoaded = true;
    await reopenAndCheck(acknowledged);

    // The engine logs when it starts building the indexes of a large load: killed then, before it ever listens.
    const duringBuild = await writeUntilKilled(7, { afterLines: 400, onLogLine: /building their indexes/ }, acknowledged);
    await reopenAndCheck(acknowledged);
    console.log(`killed while building indexes at start: ${duringBuild.killedOnLogLine && duringBuild.lines === 0 ? 'yes' : 'no'}`);

    // The first write compacts the journal: a snapshot of several megabytes, killed as it starts to be written.
    const crash = await writeUntilKilled(8, { afterLines: 0, onCompactionStart: true, engineOptions: { compactMinBytes: 64 * 1024 } }, acknowledged);
    await reopenAndCheck(acknowledged);
    expect(await fsp.readdir(dbPath)).not.toContain(COMPACTION_FILE);
    console.log(`killed while writing a large snapshot: ${crash.duringCompaction ? 'yes' : 'no'}`);
  }, 240_000);
});
