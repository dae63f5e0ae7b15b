/**
 * Benchmark of the completion reports (issue 14): server time of the team matrix and of the course report with
 * 5,000 learners x 20 courses (100,000 enrolments) in the embedded engine, median of 10 requests each.
 * Target: under 300 ms each. The query plans of the reports' pipelines are printed, to show the indexes used.
 *
 * The data: 20 published courses (each: a reading lesson, a knowledge check of 3 questions, a reflection),
 * 5,000 learners in 100 teams of 50 (each team with its trainer, and 5 of the courses assigned to it with a due
 * date), every learner enrolled in every course: half finished, the rest part-way, each with one or two check
 * attempts. As `npm start` runs the app: NODE_ENV=production (view cache on), the engine in a worker thread.
 * Server time is measured inside the HTTP server, from the request arriving to the response's last byte
 * written; and the CPU time the whole process (the app and the engine's thread) spent on each request, which a
 * busy machine inflates far less than the wall-clock time. For context it also measures a small signed-in page
 * (the preferences form) in the same run, and prints the machine's load average.
 *
 * Run alone: `npx tsx bench/reports.ts` (or `node dist/bench/reports.js` after a build). Stops by itself.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Types } from 'mongoose';
import { buildApp } from '../server/app';
import { Assignment } from '../server/assignments/model';
import { hashPassword } from '../server/auth/passwords';
import { connectDatabase, disconnectDatabase } from '../server/db/connection';
import { startEmbeddedMongoThread } from '../server/db/embedded/thread';
import { explainFigures } from '../server/learning/figures';
import { Enrolment, fieldKey } from '../server/learning/model';
import { allBlocks } from '../server/learning/progress';
import type { Services } from '../server/services';
import { Team, TeamMembership } from '../server/teams/model';
import { User } from '../server/users/model';
import { productionBenchServices } from './production-app';

const LEARNERS = 5_000;
const COURSES = 20;
const TEAM_SIZE = 50;
const ASSIGNED_PER_TEAM = 5;
const RUNS = 10;
const PASSWORD = 'bench-password-long-enough';
const TARGET_MS = 300;

export interface ReportsBenchFigures {
  enrolments: number;
  teamMatrixMedianMs: number;
  courseReportMedianMs: number;
  smallPageMedianMs: number;
  teamMatrixCpuMs: number;
  courseReportCpuMs: number;
  plans: Record<string, unknown>;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 0 ? ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2 : (sorted[middle] ?? 0);
}

function courseMarkdown(index: number): { course: string; module: string } {
  return {
    course: `---
title: Bench course ${String(index).padStart(2, '0')}
summary: A course for the reports benchmark.
audience: Bench staff
estimatedMinutes: 20
credits:
  - name: Robin
    display: pseudonym
    contribution: co-author
    role: young autistic co-facilitator (invented sample contributor)
    sample: true
---
A course used by the benchmark.
`,
    module: `---
title: The basics
summary: Reading, a check and a reflection.
coProductionLevel: co-production
credits:
  - name: Sam
    display: first-name
    contribution: co-author
    role: parent carer (invented sample contributor)
    sample: true
---

## Welcome {#welcome}

Welcome to this course.

## A check {#check-lesson}

Some reading before the check.

:::check{title="Check what you know" passMark=2 id=check}
? Which colour is the sky on a clear day?
- [x] Blue :: Right, it is blue.
- [ ] Green :: Not quite.

? Which of these are fruit? {multiple}
- [x] Apple :: Yes.
- [x] Pear :: Yes.
- [ ] Carrot :: A carrot is a vegetable.

? How many days are in a week?
- [ ] Five :: Not quite.
- [x] Seven :: Right.
:::

## Reflect {#reflect}

Think about your day.

:::reflection{id=thoughts}
What went well today?
:::
`,
  };
}

interface BenchCourse {
  id: string;
  slug: string;
  version: number;
  keys: string[];
  checkKey: string;
}

export async function importBenchCourses({ courseImport, courses: catalogue }: Pick<Services, 'courseImport' | 'courses'>, dir: string): Promise<BenchCourse[]> {
  const courses: BenchCourse[] = [];
  for (let index = 1; index <= COURSES; index += 1) {
    const slug = `bench-course-${index}`;
    const folder = path.join(dir, slug);
    await mkdir(folder, { recursive: true });
    const markdown = courseMarkdown(index);
    await writeFile(path.join(folder, 'course.md'), markdown.course);
    await writeFile(path.join(folder, '01-basics.md'), markdown.module);
    const result = await courseImport.importCourseFromDirectory(folder);
    if (!result.courseId) throw new Error(`Bench course ${slug} did not import: ${JSON.stringify(result.problems)}`);
    const content = await catalogue.getPublishedVersion(result.courseId);
    if (!content) throw new Error(`Bench course ${slug} is not published`);
    const blocks = allBlocks(content);
    const check = blocks.find((block) => block.kind === 'check');
    if (!check) throw new Error('no check');
    courses.push({ id: result.courseId, slug, version: content.version, keys: blocks.map((block) => block.key), checkKey: check.key });
  }
  return courses;
}

/** 5,000 learners in teams of 50 with a trainer each, every learner enrolled in every course. */
export async function seed(courses: BenchCourse[]): Promise<{ trainerEmail: string; teamId: string; adminEmail: string }> {
  const passwordHash = await hashPassword(PASSWORD);
  const teamCount = LEARNERS / TEAM_SIZE;
  const teams = Array.from({ length: teamCount }, (_, index) => ({ _id: new Types.ObjectId(), name: `Team ${String(index + 1).padStart(3, '0')}`, key: `team ${index + 1}`, members: [] as Types.ObjectId[], trainers: [] as Types.ObjectId[] }));
  const users: Record<string, unknown>[] = [];
  const memberships: Record<string, unknown>[] = [];
  const joinedAt = new Date(Date.now() - 200 * 86_400_000);
  for (let index = 0; index < LEARNERS; index += 1) {
    const team = teams[Math.floor(index / TEAM_SIZE)];
    if (!team) throw new Error('team');
    const id = new Types.ObjectId();
    team.members.push(id);
    users.push({ _id: id, email: `learner${index}@bench.invalid`, name: `Learner ${String(index).padStart(4, '0')}`, roles: ['learner'], teams: [team._id], status: 'active' });
    memberships.push({ team: team._id, user: id, joinedAt, leftAt: null });
  }
  const trainerIds = teams.map(() => new Types.ObjectId());
  teams.forEach((team, index) => team.trainers.push(trainerIds[index] as Types.ObjectId));
  trainerIds.forEach((id, index) => users.push({ _id: id, email: `trainer${index}@bench.invalid`, name: `Trainer ${index}`, roles: ['trainer'], teams: [], status: 'active', passwordHash }));
  users.push({ _id: new Types.ObjectId(), email: 'admin@bench.invalid', name: 'Admin', roles: ['admin'], teams: [], status: 'active', passwordHash });
  for (let start = 0; start < users.length; start += 2_000) await User.insertMany(users.slice(start, start + 2_000), { lean: true });
  await Team.insertMany(teams, { lean: true });
  for (let start = 0; start < memberships.length; start += 5_000) await TeamMembership.insertMany(memberships.slice(start, start + 5_000), { lean: true });
  const assignments = teams.flatMap((team, index) =>
    Array.from({ length: ASSIGNED_PER_TEAM }, (_, offset) => ({
      course: new Types.ObjectId(courses[(index + offset) % COURSES]?.id),
      team: team._id,
      learner: null,
      dueRule: 'fixed',
      dueAt: new Date(Date.now() + (offset - 2) * 30 * 86_400_000),
      recertifyMonths: offset === 4 ? 3 : null,
      assignedAt: joinedAt,
    })),
  );
  await Assignment.insertMany(assignments, { lean: true });

  const now = Date.now();
  let batch: Record<string, unknown>[] = [];
  let learnerIndex = 0;
  for (const team of teams) {
    for (const learner of team.members) {
      courses.forEach((course, courseIndex) => {
        const finished = (learnerIndex + courseIndex) % 2 === 0;
        const startedAt = new Date(now - ((learnerIndex * 7 + courseIndex * 13) % 360) * 86_400_000 - 86_400_000);
        const doneCount = finished ? course.keys.length : (learnerIndex + courseIndex) % course.keys.length;
        const wrongFirst = (learnerIndex + courseIndex) % 3 === 0;
        const attempts = [
          { block: course.checkKey, answers: wrongFirst ? { 'q-1': ['b'], 'q-2': ['a'], 'q-3': ['a'] } : { 'q-1': ['a'], 'q-2': ['a', 'b'], 'q-3': ['b'] }, score: wrongFirst ? 0 : 3, total: 3, passed: !wrongFirst, at: startedAt },
        ];
        if (wrongFirst && finished) attempts.push({ block: course.checkKey, answers: { 'q-1': ['a'], 'q-2': ['a', 'b'], 'q-3': ['b'] }, score: 3, total: 3, passed: true, at: startedAt });
        batch.push({
          learner,
          course: new Types.ObjectId(course.id),
          courseSlug: course.slug,
          version: course.version,
          blocks: Object.fromEntries(course.keys.slice(0, doneCount).map((key) => [fieldKey(key), startedAt])),
          lastLesson: null,
          attempts,
          reflections: {},
          startedAt,
          completedAt: finished ? new Date(startedAt.getTime() + ((learnerIndex % 40) + 1) * 86_400_000) : null,
          certificateNumber: null,
          previousCompletions: [],
        });
      });
      learnerIndex += 1;
      if (batch.length >= 5_000) {
        await Enrolment.insertMany(batch, { lean: true });
        batch = [];
      }
    }
  }
  if (batch.length > 0) await Enrolment.insertMany(batch, { lean: true });
  return { trainerEmail: 'trainer0@bench.invalid', teamId: String(teams[0]?._id), adminEmail: 'admin@bench.invalid' };
}

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

const PROXY = { 'X-Forwarded-Proto': 'https' };

async function signIn(base: string, email: string): Promise<Map<string, string>> {
  const jar = new Map<string, string>();
  const form = await fetch(`${base}/sign-in`, { headers: PROXY, redirect: 'manual' });
  keepCookies(jar, form);
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1];
  if (!token) throw new Error('The sign-in page has no CSRF token');
  const response = await fetch(`${base}/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { ...PROXY, Cookie: cookieHeader(jar), 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token, email, password: PASSWORD }).toString(),
  });
  if (response.status !== 303) throw new Error(`Sign-in failed with ${response.status}`);
  keepCookies(jar, response);
  return jar;
}

export async function runReportsBench(): Promise<ReportsBenchFigures> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'coproduce-bench-reports-'));
  const engine = await startEmbeddedMongoThread({ log: () => undefined });
  let server: Server | undefined;
  try {
    await connectDatabase(engine.uri);
    const { config, logger, services } = productionBenchServices(dataDir);
    const seedStarted = performance.now();
    const courses = await importBenchCourses(services, path.join(dataDir, 'courses'));
    const seeded = await seed(courses);
    const enrolments = await Enrolment.estimatedDocumentCount();
    console.log(`Seeded ${LEARNERS.toLocaleString('en-GB')} learners, ${COURSES} courses, ${enrolments.toLocaleString('en-GB')} enrolments in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);

    const app = buildApp({ config, logger, services });
    // Server time: from the request arriving to the response's last byte handed to the socket.
    const timings = new Map<string, number>();
    server = createServer((req, res) => {
      const started = performance.now();
      res.on('finish', () => timings.set(String(req.headers['x-bench-id']), performance.now() - started));
      app(req, res);
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const measure = async (label: string, jar: Map<string, string>, pathname: string, runs: number): Promise<{ wall: number; cpu: number }> => {
      const times: number[] = [];
      const cpus: number[] = [];
      // One request first, not counted: the first render compiles the templates (as after any restart).
      for (let run = -1; run < runs; run += 1) {
        const id = `${label}-${run}`;
        const cpuBefore = process.cpuUsage();
        const response = await fetch(`${base}${pathname}`, { headers: { ...PROXY, Cookie: cookieHeader(jar), 'x-bench-id': id }, redirect: 'manual' });
        const body = await response.text();
        if (response.status !== 200) throw new Error(`${label}: ${response.status} ${body.slice(0, 300)}`);
        const cpu = process.cpuUsage(cpuBefore);
        if (run >= 0) {
          times.push(timings.get(id) ?? Number.NaN);
          cpus.push((cpu.user + cpu.system) / 1000);
        }
      }
      const result = { wall: median(times), cpu: median(cpus) };
      console.log(`${label.padEnd(40)} server time median ${result.wall.toFixed(1).padStart(7)} ms (runs: ${times.map((time) => time.toFixed(0)).join(' ')}); CPU median ${result.cpu.toFixed(1)} ms`);
      return result;
    };

    const trainer = await signIn(base, seeded.trainerEmail);
    const admin = await signIn(base, seeded.adminEmail);
    console.log(`Load average before measuring: ${os.loadavg().map((load) => load.toFixed(1)).join(' ')} on ${os.cpus().length} cores`);
    const small = await measure('small signed-in page (preferences)', trainer, '/preferences', RUNS);
    const matrix = await measure('team matrix (50 people x 20 courses)', trainer, `/reports/teams/${seeded.teamId}`, RUNS);
    const report = await measure('course report (5,000 enrolments, admin)', admin, `/reports/courses/${courses[0]?.id}`, RUNS);
    console.log(`Load average after measuring: ${os.loadavg().map((load) => load.toFixed(1)).join(' ')}`);
    const smallPageMedianMs = small.wall;
    const teamMatrixMedianMs = matrix.wall;
    const courseReportMedianMs = report.wall;

    const team = await Team.findById(seeded.teamId, { members: 1 }).lean();
    const plans = await explainFigures({ learnerIds: (team?.members ?? []).map(String), courseIds: courses.map((course) => course.id), courseId: courses[0]?.id ?? '' });
    console.log('\nQuery plans (explain of each pipeline\'s first stage):');
    console.log(JSON.stringify(plans, null, 2));
    console.log(`\nTarget: team matrix and course report under ${TARGET_MS} ms (median of ${RUNS}).`);
    console.log(`  team matrix   ${teamMatrixMedianMs.toFixed(1)} ms  ${teamMatrixMedianMs < TARGET_MS ? 'met' : 'NOT met'}  (${(teamMatrixMedianMs / smallPageMedianMs).toFixed(1)}x the small page)`);
    console.log(`  course report ${courseReportMedianMs.toFixed(1)} ms  ${courseReportMedianMs < TARGET_MS ? 'met' : 'NOT met'}  (${(courseReportMedianMs / smallPageMedianMs).toFixed(1)}x the small page)`);
    console.log(`  CPU per request (app and engine thread): team matrix ${matrix.cpu.toFixed(1)} ms, course report ${report.cpu.toFixed(1)} ms, small page ${small.cpu.toFixed(1)} ms`);
    return { enrolments, teamMatrixMedianMs, courseReportMedianMs, smallPageMedianMs, teamMatrixCpuMs: matrix.cpu, courseReportCpuMs: report.cpu, plans };
  } finally {
    if (server) await new Promise<void>((resolve) => server?.close(() => resolve()));
    await disconnectDatabase();
    await engine.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runReportsBench().then(
    () => undefined,
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
