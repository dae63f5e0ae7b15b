/**
 * Benchmark of the embedded engine (issue 2), through the official driver as the app uses it:
 * durable inserts per second with 1 and 32 concurrent writers, findOne by an indexed field and by _id on a
 * 100,000-document collection, each also as a ratio to a `ping` round trip measured in the same run.
 *
 * Group commit is shown by counting the disk's flush requests (/proc/diskstats) around each insert phase:
 * one writer needs one flush per write; concurrent writers should share them. Other processes on the
 * machine flush too, so the count is an upper bound on the engine's own flushes.
 *
 * Then the engine is reopened on the same files (timing the journal's replay) and compared in this process
 * with a copy running in a worker thread, the app could run it either way. The machine is shared, so
 * figures that are compared are measured in alternating blocks: load from elsewhere falls on both alike.
 *
 * Run alone: `npx tsx bench/embedded.ts` (or `node dist/bench/embedded.js` after a build). Stops by itself.
 */
import { once } from 'node:events';
import { promises as fsp } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { MongoClient, ObjectId, type Collection, type Db } from 'mongodb';
import { startEmbeddedMongo } from '../server/db/embedded';
import { startEmbeddedMongoThread } from '../server/db/embedded/thread';
import { autocannon } from './autocannon';
import { Journal } from '../server/db/embedded/storage/journal';

export interface FlushCount {
  writes: number;
  flushes: number;
  writesPerFlush: number;
}

export interface InsertPhase {
  writers: number;
  insertsPerSecond: number;
  /** Flushes during the phase: the disk's (else the journal's own count); null where neither can be read. */
  deviceFlushes: FlushCount | null;
}

export interface PlacementFigures {
  pingMicros: number;
  findOneByIndexedFieldMicros: number;
  /** findOne by indexed field from CONCURRENT_READERS callers at once. */
  concurrentFindsPerSecond: number;
  /** Durable inserts from CONCURRENT_WRITERS callers at once. */
  concurrentInsertsPerSecond: number;
}

export interface EmbeddedBenchFigures {
  pingMicros: number;
  singleWriter: InsertPhase;
  concurrentWriters: InsertPhase;
  /** 32-writer rate divided by the 1-writer rate. */
  concurrentSpeedup: number;
  /** The journal alone (200-byte records, no driver or engine): what group commit gives without their CPU. */
  journalOnly: { singleWriterPerSecond: number; concurrentWritersPerSecond: number; appendsPerFlush: number };
  findOneByIndexedField: { micros: number; ratioToPing: number };
  findOneById: { micros: number; ratioToPing: number };
  collectionSize: number;
  /** Documents per second while filling it with insertMany batches of 1,000 (one unique index). */
  fillPerSecond: number;
  flushDevice: string | null;
  /** Bytes of journal holding the collection, and milliseconds to reopen (replay) it. */
  journalBytes: number;
  restartMillis: number;
  /** The same operations with the engine in this process and in a worker thread. */
  placement: { inProcess: PlacementFigures; worker: PlacementFigures };
  /** Requests per second of an app-like HTTP handler (two queries per request) under autocannon. */
  appRequestsPerSecond: { inProcess: number; worker: number };
  targets: {
    findOneByIndexedFieldWithin3xPing: boolean;
    concurrentWritersAt5x: boolean;
    /** At least 1.5 writes per disk flush with 32 writers: concurrent writers share flushes. */
    groupCommitSharesFlushes: boolean | null;
  };
}

export interface EmbeddedBenchOptions {
  /** Seconds per insert phase (and per concurrent comparison). */
  phaseSeconds?: number;
  documents?: number;
  lookups?: number;
  log?: (line: string) => void;
}

const CONCURRENT_WRITERS = 32;
const CONCURRENT_READERS = 16;

export async function runEmbeddedBench(options: EmbeddedBenchOptions = {}): Promise<EmbeddedBenchFigures> {
  const seconds = options.phaseSeconds ?? 2;
  const documents = options.documents ?? 100_000;
  const lookups = options.lookups ?? 2_000;
  const log = options.log ?? ((line: string) => console.log(line));

  // Temporary dbPaths on the disk of the system's temp directory (here: the data disk).
  const dbPath = await fsp.mkdtemp(path.join(os.tmpdir(), 'coproduce-bench-db-'));
  const workerDbPath = `${dbPath}-worker`;
  const opened: OpenEngine[] = [];
  try {
    let local = await openEngine('in-process', dbPath, opened);
    const disk = (await findFlushCounter(dbPath)) ?? (await journalFlushCounter(local.db));
    log(`embedded engine bench: dbPath ${dbPath}, flushes counted ${disk?.name ?? 'nowhere (no readable counter)'}`);

    const singleWriter = await measureInserts(local.db.collection('inserts_1'), 1, seconds, disk);
    log(describeInsertPhase(singleWriter));
    const concurrentWriters = await measureInserts(local.db.collection('inserts_32'), CONCURRENT_WRITERS, seconds, disk);
    log(describeInsertPhase(concurrentWriters));
    const concurrentSpeedup = concurrentWriters.insertsPerSecond / singleWriter.insertsPerSecond;
    const journalOnly = await measureJournalAlone(`${dbPath}-journal`, seconds / 2);
    log(
      `journal alone: 1 writer ${Math.round(journalOnly.singleWriterPerSecond)} appends/s, ${CONCURRENT_WRITERS} writers ` +
        `${Math.round(journalOnly.concurrentWritersPerSecond)} appends/s (${(journalOnly.concurrentWritersPerSecond / journalOnly.singleWriterPerSecond).toFixed(1)}x), ` +
        `${journalOnly.appendsPerFlush.toFixed(1)} appends per flush`,
    );

    const fillStarted = performance.now();
    const ids = await fillPeople(people(local.db), documents);
    const fillPerSecond = documents / ((performance.now() - fillStarted) / 1000);
    log(`filled ${documents} documents with a unique index in batches of 1000: ${Math.round(fillPerSecond)} documents/s`);
    const [pingMicros = 0, indexedMicros = 0, byIdMicros = 0] = await measureInterleaved(lookups, [
      () => local.db.command({ ping: 1 }),
      (i) => people(local.db).findOne({ email: emailOf(pick(i, documents)) }),
      (i) => people(local.db).findOne({ _id: ids[pick(i, documents)] }),
    ]);
    log(`ping ${pingMicros.toFixed(1)} µs; findOne on ${documents} documents: by indexed field ${indexedMicros.toFixed(1)} µs, by _id ${byIdMicros.toFixed(1)} µs`);

    // Reopen: the replay of everything written so far. A copy of the files serves the worker thread.
    await local.close();
    opened.splice(opened.indexOf(local), 1);
    const journalBytes = (await fsp.stat(path.join(dbPath, 'journal'))).size;
    await fsp.mkdir(workerDbPath);
    await fsp.copyFile(path.join(dbPath, 'journal'), path.join(workerDbPath, 'journal'));
    const restartStarted = performance.now();
    local = await openEngine('in-process', dbPath, opened);
    const restartMillis = performance.now() - restartStarted;
    log(`restart with ${documents} documents in a ${(journalBytes / 1024 / 1024).toFixed(1)} MiB journal: ${restartMillis.toFixed(0)} ms`);
    const inWorker = await openEngine('worker-thread', workerDbPath, opened);

    const placement = await comparePlacements(local.db, inWorker.db, documents, lookups, seconds);
    log(describePlacement('in process', placement.inProcess));
    log(describePlacement('in a worker thread', placement.worker));
    const appRequestsPerSecond = await compareAppPlacements(local.db, inWorker.db, documents, seconds);
    log(
      `app-like handler (session by _id + person by indexed field), 50 connections: engine in process ${Math.round(appRequestsPerSecond.inProcess)} req/s, ` +
        `in a worker thread ${Math.round(appRequestsPerSecond.worker)} req/s (autocannon shares the 2 cores)`,
    );

    const figures: EmbeddedBenchFigures = {
      pingMicros,
      singleWriter,
      concurrentWriters,
      concurrentSpeedup,
      journalOnly,
      findOneByIndexedField: { micros: indexedMicros, ratioToPing: indexedMicros / pingMicros },
      findOneById: { micros: byIdMicros, ratioToPing: byIdMicros / pingMicros },
      collectionSize: documents,
      fillPerSecond,
      flushDevice: disk?.name ?? null,
      journalBytes,
      restartMillis,
      placement,
      appRequestsPerSecond,
      targets: {
        findOneByIndexedFieldWithin3xPing: indexedMicros <= 3 * pingMicros,
        concurrentWritersAt5x: concurrentSpeedup >= 5,
        groupCommitSharesFlushes: concurrentWriters.deviceFlushes ? concurrentWriters.deviceFlushes.writesPerFlush >= 1.5 : null,
      },
    };
    for (const line of describeFigures(figures)) log(line);
    return figures;
  } finally {
    for (const engine of opened.reverse()) await engine.close();
    await fsp.rm(dbPath, { recursive: true, force: true });
    await fsp.rm(workerDbPath, { recursive: true, force: true });
  }
}

interface OpenEngine {
  db: Db;
  close(): Promise<void>;
}

/** A driver client on an engine started on `dbPath`, in this process or in a worker thread as `npm start` runs it. */
async function openEngine(placement: 'in-process' | 'worker-thread', dbPath: string, opened: OpenEngine[]): Promise<OpenEngine> {
  const options = { dbPath, port: 0, log: () => undefined };
  const engine = placement === 'in-process' ? await startEmbeddedMongo(options) : await startEmbeddedMongoThread(options);
  const client = await MongoClient.connect(engine.uri, { maxPoolSize: CONCURRENT_WRITERS + 4 });
  const open = {
    db: client.db('bench'),
    close: async () => {
      await client.close();
      await engine.stop();
    },
  };
  opened.push(open);
  return open;
}

interface Person {
  _id: ObjectId;
  email: string;
  name: string;
  team: string;
  joined: Date;
}

function people(db: Db): Collection<Person> {
  return db.collection<Person>('people');
}

function emailOf(n: number): string {
  return `person${n}@example.org`;
}

/** A spread of positions over the collection, the same in every run. */
function pick(i: number, size: number): number {
  return (i * 7919 + 13) % size;
}

async function fillPeople(collection: Collection<Person>, documents: number): Promise<ObjectId[]> {
  await collection.createIndex({ email: 1 }, { unique: true });
  const ids: ObjectId[] = [];
  const batch = 1_000;
  for (let start = 0; start < documents; start += batch) {
    const docs: Person[] = [];
    for (let n = start; n < Math.min(start + batch, documents); n += 1) {
      const _id = new ObjectId();
      ids.push(_id);
      docs.push({ _id, email: emailOf(n), name: `Person ${n}`, team: `team ${n % 50}`, joined: new Date(1_700_000_000_000 + n) });
    }
    await collection.insertMany(docs);
  }
  return ids;
}

/**
 * Microseconds per call of each operation, one call at a time, after a warm-up. The operations take turns in
 * blocks of 50 calls, and each figure is the median of its blocks' means: a burst of load from other processes
 * falls on all operations alike and, when it hits only a few blocks, drops out.
 */
async function measureInterleaved(calls: number, operations: Array<(i: number) => Promise<unknown>>): Promise<number[]> {
  const block = 50;
  const blockMeans = operations.map((): number[] => []);
  for (const operation of operations) for (let i = 0; i < Math.min(200, calls); i += 1) await operation(i);
  for (let start = 0; start < calls; start += block) {
    const end = Math.min(start + block, calls);
    for (const [which, operation] of operations.entries()) {
      const started = performance.now();
      for (let i = start; i < end; i += 1) await operation(i);
      blockMeans[which]?.push(((performance.now() - started) * 1000) / (end - start));
    }
  }
  return blockMeans.map(median);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** Runs `callers` loops of `call` for `seconds`; returns calls per second. */
async function runConcurrently(callers: number, seconds: number, call: (caller: number, n: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let calls = 0;
  await Promise.all(
    Array.from({ length: callers }, async (_, caller) => {
      for (let n = 0; performance.now() < deadline; n += 1) {
        await call(caller, n);
        calls += 1;
      }
    }),
  );
  return calls / ((performance.now() - started) / 1000);
}

async function measureInserts(collection: Collection, writers: number, seconds: number, disk: FlushCounter | null): Promise<InsertPhase> {
  await collection.insertOne({ warmUp: true });
  const flushesBefore = disk ? await disk.read() : 0;
  const started = performance.now();
  const rate = await runConcurrently(writers, seconds, (writer, n) =>
    collection.insertOne({ writer, n, at: new Date(), note: 'a durable insert' }),
  );
  const writes = Math.round((rate * (performance.now() - started)) / 1000);
  const flushes = disk ? (await disk.read()) - flushesBefore : null;
  return {
    writers,
    insertsPerSecond: rate,
    deviceFlushes: flushes === null ? null : { writes, flushes, writesPerFlush: flushes > 0 ? writes / flushes : Infinity },
  };
}

/** Durable appends per second straight to a journal, with one writer and with CONCURRENT_WRITERS. */
async function measureJournalAlone(dir: string, seconds: number): Promise<EmbeddedBenchFigures['journalOnly']> {
  const journal = await Journal.open(dir);
  try {
    await journal.replay(() => undefined);
    const record = Buffer.alloc(200, 1);
    const singleWriterPerSecond = await runConcurrently(1, seconds, () => journal.append(record));
    const flushesBefore = journal.stats.flushes;
    const recordsBefore = journal.stats.records;
    const concurrentWritersPerSecond = await runConcurrently(CONCURRENT_WRITERS, seconds, () => journal.append(record));
    const appendsPerFlush = (journal.stats.records - recordsBefore) / (journal.stats.flushes - flushesBefore);
    return { singleWriterPerSecond, concurrentWritersPerSecond, appendsPerFlush };
  } finally {
    await journal.close();
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

/** The same figures for two engines, measured in alternating blocks. */
async function comparePlacements(
  inProcess: Db,
  worker: Db,
  documents: number,
  lookups: number,
  seconds: number,
): Promise<{ inProcess: PlacementFigures; worker: PlacementFigures }> {
  const [pingHere = 0, pingThere = 0, findHere = 0, findThere = 0] = await measureInterleaved(lookups, [
    () => inProcess.command({ ping: 1 }),
    () => worker.command({ ping: 1 }),
    (i) => people(inProcess).findOne({ email: emailOf(pick(i, documents)) }),
    (i) => people(worker).findOne({ email: emailOf(pick(i, documents)) }),
  ]);
  const finds = (db: Db) => () =>
    runConcurrently(CONCURRENT_READERS, seconds / 2, (caller, n) =>
      people(db).findOne({ email: emailOf(pick(caller + n * CONCURRENT_READERS, documents)) }),
    );
  const inserts = (db: Db) => () =>
    runConcurrently(CONCURRENT_WRITERS, seconds / 2, (writer, n) => db.collection('placement').insertOne({ writer, n, at: new Date() }));
  const [findsHere = 0, findsThere = 0] = await alternate([finds(inProcess), finds(worker)]);
  const [insertsHere = 0, insertsThere = 0] = await alternate([inserts(inProcess), inserts(worker)]);
  return {
    inProcess: { pingMicros: pingHere, findOneByIndexedFieldMicros: findHere, concurrentFindsPerSecond: findsHere, concurrentInsertsPerSecond: insertsHere },
    worker: { pingMicros: pingThere, findOneByIndexedFieldMicros: findThere, concurrentFindsPerSecond: findsThere, concurrentInsertsPerSecond: insertsThere },
  };
}

const APP_SESSIONS = 1_000;

/**
 * Serves an app-like page from this thread (look up the session by _id, then a person by an indexed field
 * with a projection, then write a small page) and loads it with autocannon in a child process, once with
 * the engine in this thread and once with the engine in the worker.
 */
async function compareAppPlacements(inProcess: Db, worker: Db, documents: number, seconds: number): Promise<{ inProcess: number; worker: number }> {
  const sessions = Array.from({ length: APP_SESSIONS }, (_, n) => ({
    _id: `session-${n}`,
    expires: new Date(Date.now() + 3_600_000),
    session: JSON.stringify({ cookie: { httpOnly: true }, passport: { user: emailOf(pick(n, documents)) } }),
  }));
  for (const db of [inProcess, worker]) await db.collection<{ _id: string }>('sessions').insertMany(sessions);
  let target = inProcess;
  let served = 0;
  const server = http.createServer((request, response) => {
    served += 1;
    void (async () => {
      const sessionId = `session-${served % APP_SESSIONS}`;
      const session = await target.collection<{ _id: string; session: string }>('sessions').findOne({ _id: sessionId });
      const email = (JSON.parse(session?.session ?? '{}') as { passport?: { user?: string } }).passport?.user ?? '';
      const person = await people(target).findOne({ email }, { projection: { name: 1, team: 1 } });
      response.setHeader('content-type', 'text/html; charset=utf-8');
      response.end(`<!doctype html><title>Dashboard</title><main><h1>Hello ${person?.name ?? 'there'}</h1><p>${person?.team ?? ''}</p></main>`);
    })().catch((error: unknown) => {
      response.statusCode = 500;
      response.end(String(error));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const load = (db: Db) => async () => {
    target = db;
    return runAutocannon(url, seconds);
  };
  try {
    const [here = 0, there = 0] = await alternate([load(inProcess), load(worker)]);
    return { inProcess: here, worker: there };
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

/** Mean requests per second from autocannon (50 connections), refusing a run with failed requests. */
async function runAutocannon(url: string, seconds: number): Promise<number> {
  const result = await autocannon(url, { seconds });
  const failed = result.errors + result.timeouts + result.non2xx;
  if (failed > 0) throw new Error(`the app-like handler failed ${failed} requests`);
  return result.requests.average;
}

/** Runs each rate measurement twice, in the order A B B A, and averages. */
async function alternate(measurements: Array<() => Promise<number>>): Promise<number[]> {
  const [first, second] = measurements;
  if (!first || !second) throw new Error('alternate needs two measurements');
  const a1 = await first();
  const b1 = await second();
  const b2 = await second();
  const a2 = await first();
  return [(a1 + a2) / 2, (b1 + b2) / 2];
}

function describeInsertPhase(phase: InsertPhase): string {
  const flushes = phase.deviceFlushes
    ? `, ${phase.deviceFlushes.writes} writes / ${phase.deviceFlushes.flushes} disk flushes = ${phase.deviceFlushes.writesPerFlush.toFixed(2)} writes per flush`
    : '';
  return `durable inserts, ${phase.writers} writer${phase.writers === 1 ? '' : 's'}: ${Math.round(phase.insertsPerSecond)}/s${flushes}`;
}

function describePlacement(where: string, figures: PlacementFigures): string {
  return (
    `engine ${where}: ping ${figures.pingMicros.toFixed(1)} µs, findOne by indexed field ${figures.findOneByIndexedFieldMicros.toFixed(1)} µs, ` +
    `${CONCURRENT_READERS} concurrent finders ${Math.round(figures.concurrentFindsPerSecond)}/s, ` +
    `${CONCURRENT_WRITERS} concurrent durable writers ${Math.round(figures.concurrentInsertsPerSecond)}/s`
  );
}

function ratio(value: number, baseline: number): string {
  return `${(value / baseline).toFixed(2)}x`;
}

function describeFigures(figures: EmbeddedBenchFigures): string[] {
  const mark = (met: boolean | null) => (met === null ? 'NOT MEASURED' : met ? 'MET' : 'NOT MET');
  const { targets, placement } = figures;
  return [
    `findOne by indexed field (${figures.collectionSize} docs): ${figures.findOneByIndexedField.micros.toFixed(1)} µs = ${figures.findOneByIndexedField.ratioToPing.toFixed(2)}x ping`,
    `findOne by _id (${figures.collectionSize} docs): ${figures.findOneById.micros.toFixed(1)} µs = ${figures.findOneById.ratioToPing.toFixed(2)}x ping`,
    `target findOne by indexed field within 3x ping: ${mark(targets.findOneByIndexedFieldWithin3xPing)}`,
    `target ${CONCURRENT_WRITERS} writers at 5x one writer: ${mark(targets.concurrentWritersAt5x)} (${figures.concurrentSpeedup.toFixed(2)}x` +
      (targets.concurrentWritersAt5x
        ? ')'
        : '; on 2 shared cores the CPU per insert of driver and engine bounds 32 writers, an ideal engine measured 1.8-3.7x here: writes per flush show the group commit)'),
    `group commit, at least 1.5 writes per disk flush with ${CONCURRENT_WRITERS} writers: ${mark(targets.groupCommitSharesFlushes)}` +
      (figures.flushDevice ? ` (flushes counted ${figures.flushDevice})` : ''),
    `worker thread vs in process: ping ${ratio(placement.worker.pingMicros, placement.inProcess.pingMicros)} the time, ` +
      `findOne ${ratio(placement.worker.findOneByIndexedFieldMicros, placement.inProcess.findOneByIndexedFieldMicros)} the time, ` +
      `${CONCURRENT_READERS} finders ${ratio(placement.worker.concurrentFindsPerSecond, placement.inProcess.concurrentFindsPerSecond)} the rate, ` +
      `${CONCURRENT_WRITERS} writers ${ratio(placement.worker.concurrentInsertsPerSecond, placement.inProcess.concurrentInsertsPerSecond)} the rate, ` +
      `app-like page ${ratio(figures.appRequestsPerSecond.worker, figures.appRequestsPerSecond.inProcess)} the rate`,
  ];
}

interface FlushCounter {
  name: string;
  read(): Promise<number>;
}

/**
 * The "flush requests completed" counter (field 19 of /proc/diskstats) of the disk holding `dir`, or null
 * (no /proc, a filesystem without a block device, or a kernel too old to count flushes).
 */
async function findFlushCounter(dir: string): Promise<FlushCounter | null> {
  const dev = (await fsp.stat(dir)).dev;
  // Linux's dev_t encoding: 12 bits of major above 8 bits of minor (then the high bits of each).
  let device = `${((dev >> 8) & 0xfff) | (Math.floor(dev / 2 ** 32) & ~0xfff)}:${(dev & 0xff) | ((dev >> 12) & ~0xff)}`;
  // A partition's flushes are counted on its whole disk.
  const sysfs = await fsp.realpath(`/sys/dev/block/${device}`).catch(() => null);
  if (sysfs && (await fsp.stat(path.join(sysfs, 'partition')).catch(() => null))) {
    device = (await fsp.readFile(path.join(sysfs, '..', 'dev'), 'utf8')).trim();
  }
  const read = async (): Promise<{ name: string; flushes: number } | null> => {
    const table = await fsp.readFile('/proc/diskstats', 'utf8').catch(() => '');
    for (const line of table.split('\n')) {
      const fields = line.trim().split(/\s+/);
      if (`${fields[0]}:${fields[1]}` !== device || fields.length < 19) continue;
      return { name: fields[2] ?? device, flushes: Number(fields[18]) };
    }
    return null;
  };
  const first = await read();
  if (!first || !Number.isFinite(first.flushes)) return null;
  return { name: `on disk ${first.name}, other processes' flushes included`, read: async () => (await read())?.flushes ?? Number.NaN };
}

/**
 * Where the disk's counters cannot be read: the journal's own count of its flushes, if the engine reports it
 * in serverStatus (as `embeddedJournal.flushes`).
 */
async function journalFlushCounter(db: Db): Promise<FlushCounter | null> {
  const read = async (): Promise<number> => {
    const status = await db.admin().serverStatus();
    const journal: unknown = status['embeddedJournal'];
    const flushes = typeof journal === 'object' && journal !== null ? (journal as Record<string, unknown>)['flushes'] : undefined;
    return typeof flushes === 'number' ? flushes : Number.NaN;
  };
  return Number.isFinite(await read()) ? { name: "by the journal's own flush counter (not the disk's)", read } : null;
}

if (require.main === module) {
  runEmbeddedBench().then(
    () => undefined,
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
