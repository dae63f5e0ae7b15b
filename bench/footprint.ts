/**
 * The embedded engine at an organisation's size (issue 18): the engine runs as its own process, as
 * `npm run db` runs it, holding enrolment-like documents (40 block states and one check attempt each, about
 * 2 KB of BSON) under the app's unique index on learner and course. Prints, beside the document count and the
 * BSON bytes held:
 * - the engine's resident memory after filling and after a restart (goal: at most 2x the BSON + 256 MB);
 * - the time from starting the engine on the same files to its first answered query (goal: 5 s at 200,000
 *   documents, 25 s at 1,000,000);
 * - findOne by the unique index as a ratio to a ping measured in the same run (goal: at most 3x);
 * - the journal bytes written by one progress click on an enrolment holding 500 check attempts (goal: < 1 KB).
 *
 * `npm run bench -- footprint` (200,000 documents) or `npm run bench -- footprint-1m` (1,000,000).
 * Run from the compiled tree (dist/), which is what `npm run bench` does: the engine is dist/.../cli.js.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { MongoClient, ObjectId, type Db } from 'mongodb';

export interface FootprintFigures {
  documents: number;
  bsonBytes: number;
  journalBytesOnDisk: number;
  rssAfterFillBytes: number;
  rssAfterRestartBytes: number;
  restartToFirstQueryMillis: number;
  /** CPU time (user + system) the engine process used from its start to the first answered query: less sensitive to the machine's load than the wall time. */
  restartCpuMillis: number;
  /** The machine's 1-minute load average when the restart was measured. */
  restartLoadAverage: number;
  pingMicros: number;
  findOneByIndexMicros: number;
  /** findOne among 1,000 documents in use (their decoded form cached). */
  hotFindOneMicros: number;
  journalBytesPerProgressClick: number;
  goals: { memory: boolean; restart: boolean; findOne: boolean; journalPerUpdate: boolean };
}

export interface FootprintOptions {
  documents?: number;
  lookups?: number;
  log?: (line: string) => void;
}

const BLOCKS = 40;
/** A long pause of a large engine (a garbage collection, a replay) must not read as a dead server. */
const CLIENT_OPTIONS = { connectTimeoutMS: 300_000, socketTimeoutMS: 0, serverSelectionTimeoutMS: 300_000 };
const BATCH = 1_000;
const MB = 1024 * 1024;

export async function runFootprintBench(options: FootprintOptions = {}): Promise<FootprintFigures> {
  const documents = options.documents ?? 200_000;
  const lookups = options.lookups ?? 2_000;
  const log = options.log ?? ((line: string) => console.log(line));
  const dbPath = await fsp.mkdtemp(path.join(os.tmpdir(), 'coproduce-footprint-'));
  let engine: RunningEngine | undefined;
  try {
    engine = await startEngineProcess(dbPath);
    let client = await MongoClient.connect(engine.uri, CLIENT_OPTIONS);
    let db = client.db('footprint');
    const learners = Array.from({ length: Math.ceil(documents / 20) }, () => new ObjectId());
    const courses = Array.from({ length: 20 }, () => new ObjectId());
    const fillStarted = performance.now();
    await db.collection('enrolments').createIndex({ learner: 1, course: 1 }, { unique: true });
    for (let start = 0; start < documents; start += BATCH) {
      const batch = [];
      for (let n = start; n < Math.min(start + BATCH, documents); n += 1) batch.push(enrolment(n, learners, courses));
      await db.collection('enrolments').insertMany(batch, { ordered: false });
    }
    const fillSeconds = (performance.now() - fillStarted) / 1000;
    const stats = await db.command({ collStats: 'enrolments' });
    const bsonBytes = Number(stats.size);
    log(`filled ${documents} enrolments (${(bsonBytes / MB).toFixed(0)} MB of BSON, ${(bsonBytes / documents).toFixed(0)} bytes each) in ${fillSeconds.toFixed(1)} s`);

    const journalBytesPerProgressClick = await progressClickBytes(db, dbPath);
    log(`journal bytes for one progress click on an enrolment with 500 check attempts: ${journalBytesPerProgressClick}`);

    // Spread over every document (nearly each one decoded on read), and over 1,000 in use (decoded once, cached).
    const [pingMicros = 0, findMicros = 0, hotFindMicros = 0] = await measureInterleaved(lookups, [
      () => db.command({ ping: 1 }),
      (i) => db.collection('enrolments').findOne({ learner: learners[(i * 7919) % learners.length], course: courses[i % 20] }),
      (i) => db.collection('enrolments').findOne({ learner: learners[(i * 7919) % 50], course: courses[i % 20] }),
    ]);
    const rssAfterFillBytes = await residentBytes(engine.child);
    log(`engine resident memory after filling: ${(rssAfterFillBytes / MB).toFixed(0)} MB; ping ${pingMicros.toFixed(0)} µs, findOne by index ${findMicros.toFixed(0)} µs (of 1,000 documents in use: ${hotFindMicros.toFixed(0)} µs)`);

    await client.close();
    await engine.stop();
    engine = undefined;
    const journalBytesOnDisk = await directoryBytes(dbPath);

    const restartStarted = performance.now();
    engine = await startEngineProcess(dbPath);
    client = await MongoClient.connect(engine.uri, CLIENT_OPTIONS);
    db = client.db('footprint');
    const first = await db.collection('enrolments').findOne({ learner: learners[0], course: courses[0] });
    const restartToFirstQueryMillis = performance.now() - restartStarted;
    const restartCpuMillis = await cpuMillis(engine.child);
    const restartLoadAverage = os.loadavg()[0] ?? 0;
    if (!first) throw new Error('the first enrolment was not found after the restart');
    // A few reads, as the first users would make, before measuring memory.
    for (let i = 0; i < 200; i += 1) await db.collection('enrolments').findOne({ learner: learners[(i * 31) % learners.length], course: courses[i % 20] });
    const rssAfterRestartBytes = await residentBytes(engine.child);
    log(
      `restart on ${(journalBytesOnDisk / MB).toFixed(0)} MB of files: first query answered after ${restartToFirstQueryMillis.toFixed(0)} ms ` +
        `(${restartCpuMillis.toFixed(0)} ms of the engine's CPU; load average ${restartLoadAverage.toFixed(1)}); ` +
        `resident memory then ${(rssAfterRestartBytes / MB).toFixed(0)} MB`,
    );
    await client.close();

    const memoryLimit = 2 * bsonBytes + 256 * MB;
    const restartLimit = documents > 200_000 ? 25_000 : 5_000;
    const figures: FootprintFigures = {
      documents,
      bsonBytes,
      journalBytesOnDisk,
      rssAfterFillBytes,
      rssAfterRestartBytes,
      restartToFirstQueryMillis,
      restartCpuMillis,
      restartLoadAverage,
      pingMicros,
      findOneByIndexMicros: findMicros,
      hotFindOneMicros: hotFindMicros,
      journalBytesPerProgressClick,
      goals: {
        memory: Math.max(rssAfterFillBytes, rssAfterRestartBytes) <= memoryLimit,
        restart: restartToFirstQueryMillis <= restartLimit,
        findOne: findMicros <= 3 * pingMicros,
        journalPerUpdate: journalBytesPerProgressClick < 1024,
      },
    };
    const mark = (met: boolean): string => (met ? 'MET' : 'NOT MET');
    const rss = Math.max(rssAfterFillBytes, rssAfterRestartBytes);
    log(
      `${documents} documents, ${(bsonBytes / MB).toFixed(0)} MB BSON: resident memory ${(rss / MB).toFixed(0)} MB = ` +
        `${(rss / bsonBytes).toFixed(2)}x the BSON (goal <= 2x + 256 MB = ${(memoryLimit / MB).toFixed(0)} MB): ${mark(figures.goals.memory)}`,
    );
    log(
      `restart to first answered query ${(restartToFirstQueryMillis / 1000).toFixed(2)} s (goal <= ${restartLimit / 1000} s): ${mark(figures.goals.restart)}; ` +
        `CPU ${(restartCpuMillis / 1000).toFixed(2)} s at a load average of ${restartLoadAverage.toFixed(1)} on ${os.cpus().length} cores`,
    );
    log(
      `findOne by the unique index ${(findMicros / pingMicros).toFixed(2)}x ping (goal <= 3x): ${mark(figures.goals.findOne)}; ` +
        `among 1,000 documents in use ${(hotFindMicros / pingMicros).toFixed(2)}x ping`,
    );
    log(`journal per progress click ${journalBytesPerProgressClick} bytes (goal < 1024): ${mark(figures.goals.journalPerUpdate)}`);
    return figures;
  } finally {
    if (engine) await engine.stop();
    await fsp.rm(dbPath, { recursive: true, force: true });
  }
}

/** An enrolment as the app stores it, with BLOCKS block states and one check attempt (about 2 KB of BSON). */
function enrolment(n: number, learners: ObjectId[], courses: ObjectId[]): Record<string, unknown> {
  const at = new Date(1_760_000_000_000 + n * 1000);
  const blocks: Record<string, Date> = {};
  for (let b = 0; b < BLOCKS; b += 1) blocks[`module-${b >> 3}/lesson-${b & 7}/block-${b}`] = at;
  return {
    learner: learners[Math.floor(n / 20)],
    course: courses[n % 20],
    courseSlug: `course-${n % 20}`,
    version: 3,
    blocks,
    lastLesson: 'module-4/lesson-7',
    attempts: [{ block: 'module-2/lesson-3/check', answers: { q1: ['b'], q2: ['a', 'c'] }, score: 2, total: 2, passed: true, at }],
    reflections: {},
    startedAt: at,
    completedAt: null,
    certificateNumber: null,
  };
}

/** Bytes the journal grows by for one progress click ($set of a block state and lastLesson) on a 500-attempt enrolment. */
async function progressClickBytes(db: Db, dbPath: string): Promise<number> {
  const attempts = Array.from({ length: 500 }, (_, i) => ({
    block: `module-${i % 5}/lesson-1/check`,
    answers: { q1: ['a'], q2: ['b', 'c'] },
    score: i % 3,
    total: 2,
    passed: i % 3 === 2,
    at: new Date(1_760_000_000_000 + i),
  }));
  const enrolments = db.collection('heavy_enrolments');
  const { insertedId } = await enrolments.insertOne({ learner: new ObjectId(), course: new ObjectId(), blocks: {}, attempts });
  const journal = path.join(dbPath, 'journal');
  const before = (await fsp.stat(journal)).size;
  await enrolments.updateOne({ _id: insertedId }, { $set: { 'blocks.module-1/lesson-1/block-3': new Date(), lastLesson: 'module-1/lesson-1' } });
  const after = (await fsp.stat(journal)).size;
  await enrolments.drop();
  return after - before;
}

interface RunningEngine {
  uri: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** `npm run db` on dbPath, on a free port; resolves once it prints its URI. */
async function startEngineProcess(dbPath: string): Promise<RunningEngine> {
  const cli = path.join(__dirname, '..', 'server', 'db', 'embedded', 'cli.js');
  const child = spawn(process.execPath, [cli, '--port', '0', '--dbpath', dbPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let errors = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
  const exited = once(child, 'exit');
  const uri = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const found = /(mongodb:\/\/\S+)/.exec(out);
      if (found?.[1]) resolve(found[1]);
    });
    void exited.then(() => reject(new Error(`the engine exited before listening: ${errors}`)));
  });
  return {
    uri,
    child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** CPU time (user + system) a child process has used so far, from /proc/<pid>/stat (fields 14 and 15, in clock ticks of 10 ms). */
async function cpuMillis(child: ChildProcess): Promise<number> {
  const stat = await fsp.readFile(`/proc/${child.pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces: count the fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function residentBytes(child: ChildProcess): Promise<number> {
  const status = await fsp.readFile(`/proc/${child.pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  if (!kb) throw new Error('no VmRSS in /proc/<pid>/status');
  return Number(kb) * 1024;
}

async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await fsp.readdir(dir)) total += (await fsp.stat(path.join(dir, name))).size;
  return total;
}

/** Microseconds per call of each operation, taking turns in blocks of 50 calls; the median of the block means. */
async function measureInterleaved(calls: number, operations: Array<(i: number) => Promise<unknown>>): Promise<number[]> {
  const block = 50;
  const means = operations.map((): number[] => []);
  for (const operation of operations) for (let i = 0; i < Math.min(200, calls); i += 1) await operation(i);
  for (let start = 0; start < calls; start += block) {
    for (const [which, operation] of operations.entries()) {
      const started = performance.now();
      for (let i = start; i < start + block; i += 1) await operation(i);
      means[which]?.push(((performance.now() - started) * 1000) / block);
    }
  }
  return means.map((values) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? 0;
  });
}

if (require.main === module) {
  runFootprintBench().then(
    () => undefined,
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
