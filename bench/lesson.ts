/**
 * Benchmark of the lesson page (issue 4): requests per second and p99 latency under 50 concurrent connections
 * (autocannon, loopback), signed in, with 1,000 learners' enrolments in the database, as a ratio to a bare
 * Express + EJS route rendering the same lesson HTML from memory, measured in the same run. Target: >= 0.5.
 *
 * The app runs as `npm start` runs it: NODE_ENV=production (view cache on, secure cookies: requests say they
 * came through an HTTPS proxy), logging at "error" (a line only for failures: "warn" would also print the
 * requests autocannon hangs up on at the end of every round, as aborted), the embedded engine in a worker thread. The same is then measured with the engine on the app's own event loop, to show
 * what the thread changes. autocannon runs in a child process.
 * The servers are measured in alternating rounds, so load from elsewhere on the machine falls on each alike.
 * A small signed-in page of the same app is measured too, to show how much of the gap is the lesson's own work
 * (one enrolment read with a projection; the course version comes from the courses service's memory cache).
 *
 * Run alone: `npx tsx bench/lesson.ts` (or `node dist/bench/lesson.js` after a build). Stops by itself.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { autocannon, type AutocannonResult } from './autocannon';
import { Types } from 'mongoose';
import { buildApp } from '../server/app';
import { hashPassword } from '../server/auth/passwords';
import { loadConfig } from '../server/config';
import { importCourses } from '../server/courses/import';
import { clearCourseCache, getCourseVersion } from '../server/courses/service';
import { connectDatabase, disconnectDatabase } from '../server/db/connection';
import { startEmbeddedMongo } from '../server/db/embedded/index';
import { startEmbeddedMongoThread } from '../server/db/embedded/thread';
import { Enrolment, fieldKey } from '../server/learning/model';
import { allBlocks, lessonsInOrder } from '../server/learning/progress';
import { enrol, enrolmentFacts, loadLesson } from '../server/learning/service';
import { SHIPPED_COURSE_SLUG } from '../server/assignments/seed';
import { createAssignmentsService } from '../server/assignments/service';
import { mediaStorageFor } from '../server/media/service';
import { buildLessonView, lessonHref } from '../server/learning/views';
import { createMailer } from '../server/mail/mailer';
import { createUser } from '../server/users/service';
import { createLogger } from '../server/web/logging';
import { PROJECT_ROOT } from '../server/project-root';

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

export interface LessonBenchFigures {
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
async function signIn(server: Server, email: string): Promise<Map<string, string>> {
  const jar = new Map<string, string>();
  const proxy = { 'X-Forwarded-Proto': 'https' };
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
  headers: Record<string, string>;
  lessonPath: string;
  lessonHtml: string;
  /** What the lesson template is rendered with, for the bare baseline. */
  locals: Record<string, unknown>;
  enrolments: number;
}

/** The shipped course, 1,000 learners part-way through it, the app, and a signed-in bench learner. */
export async function prepareApp(dataDir: string): Promise<PreparedApp> {
  const config = loadConfig({
    NODE_ENV: 'production',
    DATA_DIR: dataDir,
    SESSION_SECRET: 'bench-session-secret-that-is-long-enough-to-pass',
    BASE_URL: 'https://coproduce.invalid',
    LOG_LEVEL: 'error',
    TRUST_PROXY: 'loopback',
  });
  const logger = createLogger('error');
  clearCourseCache();
  const report = await importCourses({ dir: path.join(PROJECT_ROOT, 'content', 'courses'), assetsDir: path.join(dataDir, 'media') });
  const course = report.courses.find((entry) => entry.slug === SHIPPED_COURSE_SLUG);
  if (!course?.courseId) throw new Error('The shipped course did not import');

  const learner = await createUser({ email: 'bench.learner@example.org', name: 'Bench Learner', roles: ['learner'], status: 'active', passwordHash: await hashPassword(PASSWORD) });
  await enrol({ id: learner.id, name: learner.name }, SHIPPED_COURSE_SLUG);
  const enrolled = await Enrolment.findOne({ learner: new Types.ObjectId(learner.id) }, { course: 1, version: 1 }).lean();
  if (!enrolled) throw new Error('The bench learner is not enrolled');
  const content = await getCourseVersion(course.courseId, enrolled.version);
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

  // The lesson: the second one (a profile, an audio clip with captions and a transcript, a download).
  const second = lessonsInOrder(content)[1];
  if (!second) throw new Error('The shipped course has fewer than two lessons');
  const lessonPath = lessonHref(SHIPPED_COURSE_SLUG, second);

  const assignments = createAssignmentsService({ enrolmentFacts, storage: mediaStorageFor(config) });
  const app = buildApp({ config, logger, mailer: createMailer({ dataDir, from: config.mailFrom, logger }), assignments });
  const server = await listen(app);
  const jar = await signIn(server, 'bench.learner@example.org');
  // The first visit records the lesson as the learner's position; later visits write nothing.
  const first = await fetch(urlOf(server, lessonPath), { headers: { Cookie: cookieHeader(jar), 'X-Forwarded-Proto': 'https' }, redirect: 'manual' });
  // Then the cookies as a browser holds them: the first signed-in page sends the session's CSRF token cookie.
  keepCookies(jar, first);
  const headers = { Cookie: cookieHeader(jar), 'X-Forwarded-Proto': 'https' };
  const lessonHtml = await first.text();
  if (first.status !== 200 || !lessonHtml.includes(second.lesson.title)) throw new Error(`The lesson page answered ${first.status}`);

  const context = await loadLesson({ id: learner.id, name: learner.name }, SHIPPED_COURSE_SLUG, second.moduleKey, second.lesson.key);
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
  return { server, headers, lessonPath, lessonHtml, locals, enrolments };
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
    if (prepared) await close(prepared.server);
    await disconnectDatabase();
    await engine.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

function ratio(a: number, b: number): number {
  return Math.round((a / Math.max(1, b)) * 100) / 100;
}

export async function runLessonBench(log: (line: string) => void = (line) => console.log(line)): Promise<LessonBenchFigures> {
  let bareServer: Server | undefined;
  try {
    // The baseline renders the lesson template with the view model the first app produced, from memory.
    const bareUrl = async (locals: Record<string, unknown>): Promise<string> => {
      if (!bareServer) {
        const bare = express();
        bare.set('views', path.join(PROJECT_ROOT, 'views'));
        bare.set('view engine', 'ejs');
        bare.set('view cache', true);
        bare.get('/lesson', (_req, res) => res.render('learning/lesson', locals));
        bareServer = await listen(bare);
      }
      return urlOf(bareServer, '/lesson');
    };
    const inProcess = await measurePlacement('in-process', bareUrl, log);
    const inWorker = await measurePlacement('worker-thread', bareUrl, log);
    const result: LessonBenchFigures = {
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
    log(`engine in a worker thread (as npm start runs it): ${describe(inWorker)}`);
    log(`engine on the app's event loop:                   ${describe(inProcess)}`);
    log(
      'The small signed-in page reads no enrolment: its ratio is the ceiling that the session and user reads ' +
        'leave every signed-in page; the lesson page adds one enrolment read and its own rendering.',
    );
    return result;
  } finally {
    if (bareServer) await close(bareServer);
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
