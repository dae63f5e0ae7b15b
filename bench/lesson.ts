/**
 * Benchmark of the lesson page (issue 4): requests per second and p99 latency under 50 concurrent connections
 * (autocannon, loopback), signed in, with 1,000 learners' enrolments in the database, as a ratio to a bare
 * Express + EJS route rendering the same lesson HTML from memory, measured in the same run. Target: >= 0.5.
 *
 * Two cores: the app as production behind an HTTPS proxy runs it: NODE_ENV=production (secure cookies: requests
 * say they came through the proxy), logging at "error" (a line only for failures: "warn" would also print the
 * requests autocannon hangs up on at the end of every round, as aborted), the embedded engine in a worker thread.
 * The same is then measured with the engine on the app's own event loop, to show what the thread changes.
 * autocannon runs in a child process.
 * The servers are measured in alternating rounds, so load from elsewhere on the machine falls on each alike.
 * A small signed-in page of the same app is measured too, to show how much of the gap is the lesson's own work
 * (one enrolment read with a projection; the course version comes from the courses service's memory cache).
 *
 * First, and the figure the goal is set on (>= 0.6): one core, as `npm start` runs the app. NODE_ENV unset, logging
 * at its default "info" (one line per request, written to /dev/null here), the revocation feed polling, the engine
 * in its worker thread; this whole process (the app, its engine thread and the bare Express + EJS baseline) pinned
 * to CPU 0 with `taskset`, autocannon pinned to CPU 1. Then the two-core figures above, as before. The one-core
 * figure is also given by CPU time per request (this process's, over each round): when other work on the machine
 * takes turns on CPU 0, requests per second fall with it, the CPU time a request costs much less.
 * `npm run bench -- lesson-one-core` runs only the one-core figure.
 *
 * Run alone: `npx tsx bench/lesson.ts` (or `node dist/bench/lesson.js` after a build). Stops by itself.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import express from 'express';
import pino from 'pino';
import { autocannon, type AutocannonResult } from './autocannon';
import { Types } from 'mongoose';
import { buildApp } from '../server/app';
import { hashPassword } from '../server/auth/passwords';
import { loadConfig } from '../server/config';
import { connectDatabase, disconnectDatabase } from '../server/db/connection';
import { startEmbeddedMongo } from '../server/db/embedded/index';
import { startEmbeddedMongoThread } from '../server/db/embedded/thread';
import { Enrolment, fieldKey } from '../server/learning/model';
import { allBlocks, lessonsInOrder } from '../server/learning/progress';
import { SHIPPED_COURSE_SLUG } from '../server/assignments/seed';
import { buildLessonView, lessonHref } from '../server/learning/views';
import { createMailer } from '../server/mail/mailer';
import { mediaStorageFor } from '../server/media/service';
import { createServices } from '../server/services';
import { RevocationFeed } from '../server/sessions/feed';
import { createSessionStore } from '../server/web/session';
import { createLogger } from '../server/web/logging';
import { PROJECT_ROOT } from '../server/project-root';
import { productionBenchConfig } from './production-app';

const CONNECTIONS = 50;
const ROUND_SECONDS = 3;
const ROUNDS = 4;
const LEARNERS = 1000;
const PASSWORD = 'bench-password-long-enough';

export interface LoadFigures {
  requestsPerSecond: number;
  p99Millis: number;
  bytesPerResponse: number;
  non2xx: number;
  errors: number;
}

/** The lesson page against the baseline with everything on one core, as `npm start` runs the app. */
export interface OneCoreFigures {
  lessonPage: LoadFigures;
  baseline: LoadFigures;
  /** lesson page req/s divided by the baseline's req/s, both on CPU 0. Target >= 0.6. */
  ratio: number;
  roundRatios: number[];
  /**
   * The same comparison by CPU time: this process's CPU time (the app or the baseline, and the engine thread) per
   * request served, the baseline's divided by the lesson page's. On a machine whose other work takes turns on
   * CPU 0, requests per second fall with every other process, while the CPU time a request costs does not: this is
   * the steadier estimate of the ratio a dedicated core would show.
   */
  cpuRatio: number;
  /** Microseconds of CPU time per request. */
  cpuMicrosPerRequest: { lessonPage: number; baseline: number };
}

export interface LessonBenchFigures {
  /** Undefined when `taskset` is not available (not Linux). */
  oneCore?: OneCoreFigures;
  lessonPage: LoadFigures;
  baseline: LoadFigures;
  /**
   * For context: a small signed-in page of the same app that reads no enrolment (the certificate check form).
   * Its ratio to the baseline is the ceiling that the signed-in middleware (session and user reads) leaves
   * any page, before the lesson's own work.
   */
  signedInSmallPage: LoadFigures & { ratio: number };
  /** The same with the embedded engine on the app's event loop instead of a worker thread. */
  engineInProcess: { lessonPage: LoadFigures; baseline: LoadFigures; ratio: number; signedInSmallPageRatio: number };
  /** lesson page req/s divided by the baseline's req/s. Target >= 0.5. */
  ratio: number;
  /** The same ratio for each round (a baseline round, then a lesson round right after it): shows the spread. */
  roundRatios: number[];
  /** lesson page p99 divided by the baseline's p99 (lower is better). */
  p99Ratio: number;
  enrolments: number;
  connections: number;
  secondsPerServer: number;
  lessonPath: string;
}

function listen(app: express.Express): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server));
    server.once('error', reject);
  });
}

/** Stops the server after the requests still in flight are answered (autocannon has hung up by then). */
function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    const force = setTimeout(() => server.closeAllConnections(), 10_000);
    server.close((error) => {
      clearTimeout(force);
      if (error) reject(error);
      else resolve();
    });
    server.closeIdleConnections();
  });
}

function urlOf(server: Server, pathname: string): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}${pathname}`;
}

/** Cookies from Set-Cookie headers, merged into a jar (name -> value). */
function keepCookies(jar: Map<string, string>, response: Response): void {
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const index = pair?.indexOf('=') ?? -1;
    if (pair && index > 0) jar.set(pair.slice(0, index), pair.slice(index + 1));
  }
}

function cookieHeader(jar: Map<string, string>): string {
  return [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
}

/** Signs in through the real form, as a browser behind an HTTPS proxy would. Returns the browser's cookies. */
async function signIn(server: Server, email: string, proxy: Record<string, string>): Promise<Map<string, string>> {
  const jar = new Map<string, string>();
  const form = await fetch(urlOf(server, '/sign-in'), { headers: proxy, redirect: 'manual' });
  keepCookies(jar, form);
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1];
  if (!token) throw new Error('The sign-in page has no CSRF token');
  const response = await fetch(urlOf(server, '/sign-in'), {
    method: 'POST',
    redirect: 'manual',
    headers: { ...proxy, Cookie: cookieHeader(jar), 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token, email, password: PASSWORD }).toString(),
  });
  if (response.status !== 303) throw new Error(`Sign-in failed with ${response.status}`);
  keepCookies(jar, response);
  return jar;
}

function figures(results: AutocannonResult[]): LoadFigures {
  const total = results.reduce((sum, result) => sum + result.requests.total, 0);
  return {
    requestsPerSecond: Math.round(results.reduce((sum, result) => sum + result.requests.average, 0) / results.length),
    p99Millis: Math.max(...results.map((result) => result.latency.p99)),
    bytesPerResponse: Math.round(results.reduce((sum, result) => sum + result.throughput.average, 0) / results.reduce((sum, result) => sum + result.requests.average, 0)),
    non2xx: results.reduce((sum, result) => sum + result.non2xx, 0),
    errors: results.reduce((sum, result) => sum + result.errors + result.timeouts, 0) + (total === 0 ? 1 : 0),
  };
}

type EnginePlacement = 'in-process' | 'worker-thread';

interface RunningEngine {
  uri: string;
  stop(): Promise<void>;
}

/** The embedded engine in a worker thread of its own (as `npm start` runs it), or on the app's event loop. */
async function startEngine(placement: EnginePlacement): Promise<RunningEngine> {
  return placement === 'in-process' ? startEmbeddedMongo({ log: () => undefined }) : startEmbeddedMongoThread({ log: () => undefined });
}

interface PreparedApp {
  server: Server;
  stop(): Promise<void>;
  headers: Record<string, string>;
  lessonPath: string;
  lessonHtml: string;
  /** What the lesson template is rendered with, for the bare baseline. */
  locals: Record<string, unknown>;
  enrolments: number;
}

/**
 * How the app is configured: 'npm-start' as `npm start` runs it on a laptop (no settings: NODE_ENV unset, logs at
 * info, written to /dev/null here); 'production-proxy' as production behind an HTTPS proxy, logging errors only.
 */
type AppMode = 'npm-start' | 'production-proxy';

/** The shipped course, 1,000 learners part-way through it, the app, and a signed-in bench learner. */
export async function prepareApp(dataDir: string, mode: AppMode = 'production-proxy'): Promise<PreparedApp> {
  const config =
    mode === 'npm-start'
      ? loadConfig({ DATA_DIR: dataDir })
      : productionBenchConfig(dataDir);
  const logger = mode === 'npm-start' ? createLogger(config.logLevel, pino.destination({ dest: '/dev/null', sync: true })) : createLogger('error');
  // As main.ts makes them: media under $DATA_DIR/media, sessions in the database, fresh caches, the revocation feed.
  const mailer = createMailer({ dataDir, from: config.mailFrom, logger });
  const revocations = new RevocationFeed({ logger });
  const services = createServices({ config, mailer, logger, mediaStorage: mediaStorageFor(config), sessionStore: createSessionStore(), revocations });
  await revocations.start();
  const proxy: Record<string, string> = mode === 'npm-start' ? {} : { 'X-Forwarded-Proto': 'https' };
  const report = await services.courseImport.importCourses({ dir: path.join(PROJECT_ROOT, 'content', 'courses') });
  const course = report.courses.find((entry) => entry.slug === SHIPPED_COURSE_SLUG);
  if (!course?.courseId) throw new Error('The shipped course did not import');

  const learner = await services.users.createUser({ email: 'bench.learner@example.org', name: 'Bench Learner', roles: ['learner'], status: 'active', passwordHash: await hashPassword(PASSWORD) });
  await services.learning.enrol({ id: learner.id, name: learner.name }, SHIPPED_COURSE_SLUG);
  const enrolled = await Enrolment.findOne({ learner: new Types.ObjectId(learner.id) }, { course: 1, version: 1 }).lean();
  if (!enrolled) throw new Error('The bench learner is not enrolled');
  const content = await services.courses.getCourseVersion(course.courseId, enrolled.version);
  if (!content) throw new Error('The shipped course has no published version');
  const keys = allBlocks(content).map((block) => block.key);
  const others = Array.from({ length: LEARNERS - 1 }, (_, index) => ({
    learner: new Types.ObjectId(),
    course: enrolled.course,
    courseSlug: SHIPPED_COURSE_SLUG,
    version: enrolled.version,
    blocks: Object.fromEntries(keys.slice(0, index % keys.length).map((key) => [fieldKey(key), new Date()])),
    lastLesson: null,
    attempts: [],
    reflections: {},
    startedAt: new Date(),
    completedAt: null,
    certificateNumber: null,
  }));
  for (let start = 0; start < others.length; start += 250) await Enrolment.collection.insertMany(others.slice(start, start + 250));
  const enrolments = await Enrolment.countDocuments();

  // The lesson with a profile, an audio clip with captions and a transcript, and a download (the course's second
  // teaching lesson, after the plain-words page), found by its content so the benchmark measures the same page.
  const second = lessonsInOrder(content).find((ref) => ['profile', 'audio', 'file'].every((kind) => ref.lesson.blocks.some((block) => block.kind === kind)));
  if (!second) throw new Error('The shipped course has no lesson with a profile, a clip and a download');
  const lessonPath = lessonHref(SHIPPED_COURSE_SLUG, second);

  const app = buildApp({ config, logger, services });
  const server = await listen(app);
  const jar = await signIn(server, 'bench.learner@example.org', proxy);
  // The first visit records the lesson as the learner's position; later visits write nothing.
  const first = await fetch(urlOf(server, lessonPath), { headers: { Cookie: cookieHeader(jar), ...proxy }, redirect: 'manual' });
  // Then the cookies as a browser holds them: the first signed-in page sends the session's CSRF token cookie.
  keepCookies(jar, first);
  const headers = { Cookie: cookieHeader(jar), ...proxy };
  const lessonHtml = await first.text();
  if (first.status !== 200 || !lessonHtml.includes(second.lesson.title)) throw new Error(`The lesson page answered ${first.status}`);

  const context = await services.learning.loadLesson({ id: learner.id, name: learner.name }, SHIPPED_COURSE_SLUG, second.moduleKey, second.lesson.key);
  if (!context) throw new Error('No lesson context');
  const lesson = buildLessonView(context);
  const locals = {
    title: `${lesson.title}: ${lesson.courseTitle}`,
    lesson,
    pageClass: 'main--wide',
    currentUser: { id: learner.id, name: learner.name, email: learner.email, roles: learner.roles, preferences: learner.preferences },
    preferences: learner.preferences,
    csrfToken: /name="_csrf" value="([^"]+)"/.exec(lessonHtml)?.[1] ?? '',
    cspNonce: 'bench',
    currentPath: lessonPath,
  };
  const stop = async (): Promise<void> => {
    await close(server);
    await revocations.stop();
  };
  return { server, stop, headers, lessonPath, lessonHtml, locals, enrolments };
}

interface PlacementRun {
  roundRatios: number[];
  lessonPage: LoadFigures;
  baseline: LoadFigures;
  signedInSmallPage: LoadFigures;
  enrolments: number;
  lessonPath: string;
}

async function measurePlacement(
  placement: EnginePlacement,
  bareUrl: (locals: Record<string, unknown>) => Promise<string>,
  log: (line: string) => void,
): Promise<PlacementRun> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'coproduce-bench-lesson-'));
  const engine = await startEngine(placement);
  let prepared: PreparedApp | undefined;
  try {
    await connectDatabase(engine.uri);
    prepared = await prepareApp(dataDir);
    const { server, headers, lessonPath } = prepared;
    const bare = await bareUrl(prepared.locals);
    const bareHtml = await (await fetch(bare)).text();
    log(`engine ${placement}: lesson page ${prepared.lessonHtml.length} bytes, baseline ${bareHtml.length} bytes, ${prepared.enrolments} enrolments`);
    // Warm both (JIT, caches), then alternate rounds.
    await autocannon(urlOf(server, lessonPath), { headers, seconds: 2, connections: CONNECTIONS });
    await autocannon(bare, { seconds: 2, connections: CONNECTIONS });
    const lessonRuns: AutocannonResult[] = [];
    const bareRuns: AutocannonResult[] = [];
    const smallRuns: AutocannonResult[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      bareRuns.push(await autocannon(bare, { seconds: ROUND_SECONDS, connections: CONNECTIONS }));
      lessonRuns.push(await autocannon(urlOf(server, lessonPath), { headers, seconds: ROUND_SECONDS, connections: CONNECTIONS }));
      smallRuns.push(await autocannon(urlOf(server, '/certificates/verify'), { headers, seconds: ROUND_SECONDS, connections: CONNECTIONS }));
    }
    const roundRatios = lessonRuns.map((run, index) => ratio(run.requests.average, bareRuns[index]?.requests.average ?? 0));
    return { roundRatios, lessonPage: figures(lessonRuns), baseline: figures(bareRuns), signedInSmallPage: figures(smallRuns), enrolments: prepared.enrolments, lessonPath };
  } finally {
    if (prepared) await prepared.stop();
    await disconnectDatabase();
    await engine.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Pins every thread of this process (and the threads it starts later) to these CPUs, e.g. '0' or '0-1'. */
function pinThisProcess(cpus: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(process.pid)], { stdio: 'ignore' });
}

function tasksetAvailable(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The goal's measurement: the app as `npm start` runs it, its engine thread and the baseline all on CPU 0,
 * autocannon on CPU 1, in alternating rounds. The process is pinned before the engine thread starts (threads
 * inherit it) and given all CPUs back at the end.
 */
async function measureOneCore(bareUrl: (locals: Record<string, unknown>) => Promise<string>, log: (line: string) => void): Promise<OneCoreFigures> {
  const allCpus = `0-${os.availableParallelism() - 1}`;
  pinThisProcess('0');
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'coproduce-bench-lesson-'));
  const engine = await startEngine('worker-thread');
  let prepared: PreparedApp | undefined;
  try {
    await connectDatabase(engine.uri);
    prepared = await prepareApp(dataDir, 'npm-start');
    const { server, headers, lessonPath } = prepared;
    const bare = await bareUrl(prepared.locals);
    const lesson = urlOf(server, lessonPath);
    const load = { connections: CONNECTIONS, cpu: 1 };
    await autocannon(lesson, { ...load, headers, seconds: 2 });
    await autocannon(bare, { ...load, seconds: 2 });
    const lessonRuns: AutocannonResult[] = [];
    const bareRuns: AutocannonResult[] = [];
    const cpu = { lessonPage: { micros: 0, requests: 0 }, baseline: { micros: 0, requests: 0 } };
    const measured = async (which: keyof typeof cpu, run: () => Promise<AutocannonResult>): Promise<AutocannonResult> => {
      const before = process.cpuUsage();
      const result = await run();
      const used = process.cpuUsage(before);
      cpu[which].micros += used.user + used.system;
      cpu[which].requests += result.requests.total;
      return result;
    };
    for (let round = 0; round < ROUNDS; round += 1) {
      bareRuns.push(await measured('baseline', () => autocannon(bare, { ...load, seconds: ROUND_SECONDS })));
      lessonRuns.push(await measured('lessonPage', () => autocannon(lesson, { ...load, headers, seconds: ROUND_SECONDS })));
    }
    const lessonPage = figures(lessonRuns);
    const baseline = figures(bareRuns);
    const perRequest = (spent: { micros: number; requests: number }): number => Math.round(spent.micros / Math.max(1, spent.requests));
    const cpuMicrosPerRequest = { lessonPage: perRequest(cpu.lessonPage), baseline: perRequest(cpu.baseline) };
    const result: OneCoreFigures = {
      lessonPage,
      baseline,
      ratio: ratio(lessonPage.requestsPerSecond, baseline.requestsPerSecond),
      roundRatios: lessonRuns.map((run, index) => ratio(run.requests.average, bareRuns[index]?.requests.average ?? 0)),
      cpuRatio: ratio(cpuMicrosPerRequest.baseline, cpuMicrosPerRequest.lessonPage),
      cpuMicrosPerRequest,
    };
    log(
      `one core, as npm start runs it (app + engine thread + baseline on CPU 0, autocannon on CPU 1): ` +
        `lesson page ${lessonPage.requestsPerSecond} req/s, p99 ${lessonPage.p99Millis} ms (non-2xx ${lessonPage.non2xx}, errors ${lessonPage.errors}); ` +
        `bare Express + EJS ${baseline.requestsPerSecond} req/s; ratio ${result.ratio} (target >= 0.6; by round ${result.roundRatios.join(', ')}); ` +
        `by CPU time per request: lesson page ${cpuMicrosPerRequest.lessonPage} µs, baseline ${cpuMicrosPerRequest.baseline} µs, ratio ${result.cpuRatio} ` +
        `(load average ${os.loadavg()[0]?.toFixed(1)})`,
    );
    return result;
  } finally {
    if (prepared) await prepared.stop();
    await disconnectDatabase();
    await engine.stop();
    await rm(dataDir, { recursive: true, force: true });
    pinThisProcess(allCpus);
  }
}

function ratio(a: number, b: number): number {
  return Math.round((a / Math.max(1, b)) * 100) / 100;
}

/** The baseline: a bare Express + EJS app rendering the lesson template with the view model the first app produced, from memory. */
function bareBaseline(): { url: (locals: Record<string, unknown>) => Promise<string>; close(): Promise<void> } {
  let bareServer: Server | undefined;
  return {
    url: async (locals) => {
      if (!bareServer) {
        const bare = express();
        bare.set('views', path.join(PROJECT_ROOT, 'views'));
        bare.set('view engine', 'ejs');
        bare.set('view cache', true);
        bare.get('/lesson', (_req, res) => res.render('learning/lesson', locals));
        bareServer = await listen(bare);
      }
      return urlOf(bareServer, '/lesson');
    },
    close: async () => {
      if (bareServer) await close(bareServer);
    },
  };
}

/** Only the goal's figure (`npm run bench -- lesson-one-core`): the one-core ratio, as `npm start` runs the app. */
export async function runLessonOneCoreBench(log: (line: string) => void = (line) => console.log(line)): Promise<OneCoreFigures | undefined> {
  const baseline = bareBaseline();
  try {
    if (!tasksetAvailable()) {
      log('one core: not measured (taskset is not available here)');
      return undefined;
    }
    return await measureOneCore(baseline.url, log);
  } finally {
    await baseline.close();
  }
}

export async function runLessonBench(log: (line: string) => void = (line) => console.log(line)): Promise<LessonBenchFigures> {
  const baseline = bareBaseline();
  try {
    const bareUrl = baseline.url;
    const oneCore = tasksetAvailable() ? await measureOneCore(bareUrl, log) : undefined;
    if (!oneCore) log('one core: not measured (taskset is not available here)');
    const inProcess = await measurePlacement('in-process', bareUrl, log);
    const inWorker = await measurePlacement('worker-thread', bareUrl, log);
    const result: LessonBenchFigures = {
      oneCore,
      lessonPage: inWorker.lessonPage,
      baseline: inWorker.baseline,
      ratio: ratio(inWorker.lessonPage.requestsPerSecond, inWorker.baseline.requestsPerSecond),
      roundRatios: inWorker.roundRatios,
      p99Ratio: ratio(inWorker.lessonPage.p99Millis, inWorker.baseline.p99Millis),
      signedInSmallPage: { ...inWorker.signedInSmallPage, ratio: ratio(inWorker.signedInSmallPage.requestsPerSecond, inWorker.baseline.requestsPerSecond) },
      engineInProcess: {
        lessonPage: inProcess.lessonPage,
        baseline: inProcess.baseline,
        ratio: ratio(inProcess.lessonPage.requestsPerSecond, inProcess.baseline.requestsPerSecond),
        signedInSmallPageRatio: ratio(inProcess.signedInSmallPage.requestsPerSecond, inProcess.baseline.requestsPerSecond),
      },
      enrolments: inWorker.enrolments,
      connections: CONNECTIONS,
      secondsPerServer: ROUND_SECONDS * ROUNDS,
      lessonPath: inWorker.lessonPath,
    };
    const describe = (run: PlacementRun): string =>
      `lesson page ${run.lessonPage.requestsPerSecond} req/s, p99 ${run.lessonPage.p99Millis} ms (non-2xx ${run.lessonPage.non2xx}, errors ${run.lessonPage.errors}); ` +
      `bare Express + EJS ${run.baseline.requestsPerSecond} req/s, p99 ${run.baseline.p99Millis} ms; ` +
      `ratio ${ratio(run.lessonPage.requestsPerSecond, run.baseline.requestsPerSecond)} (target >= 0.5; by round ${run.roundRatios.join(', ')}); ` +
      `small signed-in page ratio ${ratio(run.signedInSmallPage.requestsPerSecond, run.baseline.requestsPerSecond)}`;
    log(`two cores, production behind a proxy, engine in a worker thread: ${describe(inWorker)}`);
    log(`two cores, production behind a proxy, engine on the app's event loop: ${describe(inProcess)}`);
    if (oneCore) log(`one-core ratio (the goal, as npm start runs it): ${oneCore.ratio} (by CPU time per request ${oneCore.cpuRatio}); two-core ratio (engine thread): ${result.ratio}`);
    log(
      'The small signed-in page reads no enrolment: its ratio is the ceiling that the session and user reads ' +
        'leave every signed-in page; the lesson page adds one enrolment read and its own rendering.',
    );
    return result;
  } finally {
    await baseline.close();
  }
}

if (require.main === module) {
  runLessonBench().then(
    () => undefined,
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
