/**
 * Reminders fire once each with two real app processes on one database, and across a restart of one of them:
 * the embedded engine on its own (as `npm run db` runs it) and two `server/main.ts` processes on it (as
 * `npm start` runs them with MONGODB_URI), each with its own scheduler and its own mail folder. Both start
 * together with reminders due, so both try to run the reminder job; every reminder is written exactly once,
 * across both folders, and a restart sends nothing again. (./reminders.test.ts races the job and the service
 * inside one process; this is the same through separate processes, heaps, connections and mailers.)
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MongoClient, type Db } from 'mongodb';
import { ENGINE_LISTENING, ENGINE_SCRIPT, MAIN_SCRIPT, Processes, stopProcess, until, waitFor, type Running } from '../support/processes';

const DEMO_PASSWORD = 'demo-password-for-two-processes';
const DEMO_EMAILS = ['learner@example.org', 'trainer@example.org', 'cofacilitator@example.org', 'admin@example.org'];
/** main.ts prints this last, in the same tick as it starts listening for SIGTERM (so stopping it is graceful). */
const READY = /Mail: .*\n/;
// Three real processes (TypeScript through tsx, the course import) on a shared 2-core machine.
jest.setTimeout(240_000);

const processes = new Processes();

/** The reminder mails (subject "... is due today") written by a process, by recipient. */
async function remindersIn(dataDir: string): Promise<string[]> {
  const dir = path.join(dataDir, 'mail');
  const files = await readdir(dir).catch(() => [] as string[]);
  const recipients: string[] = [];
  for (const file of files.filter((name) => name.endsWith('.eml'))) {
    // Header lines unfolded (a long subject is folded onto several lines).
    const text = (await readFile(path.join(dir, file), 'utf8')).replace(/\r?\n[ \t]+/g, ' ');
    if (!/^Subject: .* is due today/m.test(text)) continue;
    const to = /^To: (.*)$/m.exec(text)?.[1]?.trim() ?? '';
    recipients.push(/<([^>]+)>/.exec(to)?.[1] ?? to);
  }
  return recipients;
}

describe('reminders with two app processes on one database', () => {
  let engine: Running;
  let client: MongoClient;
  let db: Db;
  const dataDirs: string[] = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    engine = processes.start([ENGINE_SCRIPT, '--port', '0'], {});
    const [, uri = ''] = await waitFor(engine, ENGINE_LISTENING);
    client = await MongoClient.connect(uri);
    db = client.db('coproduce');
    env = { MONGODB_URI: `${uri}coproduce`, PORT: '0', DEMO_PASSWORD, SESSION_SECRET: 'a-session-secret-shared-by-both-processes' };
    for (let index = 0; index < 2; index += 1) dataDirs.push(await mkdtemp(path.join(os.tmpdir(), `coproduce-reminders-${index}-`)));
  });

  afterAll(async () => {
    await client?.close();
    await processes.stopAll();
    for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
  });

  it('sends each reminder once across both processes, and nothing again after a restart', async () => {
    // The first process seeds the demo accounts and imports the shipped course.
    const first = processes.start([MAIN_SCRIPT], { ...env, DATA_DIR: dataDirs[0] as string });
    await waitFor(first, READY);

    // The shipped course is due today for each demo person (a reminder "due today" each).
    const course = await db.collection('courses').findOne({ slug: 'person-centred-support' });
    const people = await db.collection('users').find({ email: { $in: DEMO_EMAILS } }).toArray();
    expect(course).toBeTruthy();
    expect(people).toHaveLength(DEMO_EMAILS.length);
    const today = new Date(new Date().toISOString().slice(0, 10));
    await db.collection('assignments').insertMany(
      people.map((person) => ({ course: course?._id, learner: person._id, team: null, dueRule: 'fixed', dueAt: today, dueDays: null, recertifyMonths: null, assignedAt: new Date(), withdrawnAt: null })),
    );
    const jobs = db.collection('jobs');

    // The second process starts; then the hourly job is due (as when its hour comes) and both look for it.
    const second = processes.start([MAIN_SCRIPT], { ...env, DATA_DIR: dataDirs[1] as string });
    await waitFor(second, READY);
    await jobs.updateOne({ name: 'reminders.due' }, { $set: { nextRunAt: new Date() } });
    const sent = async (): Promise<string[]> => [...(await remindersIn(dataDirs[0] as string)), ...(await remindersIn(dataDirs[1] as string))];
    await until(async () => (await sent()).length >= DEMO_EMAILS.length, 90_000, 'every reminder sent').catch(async (error: unknown) => {
      throw new Error(`${String(error)}\njob: ${JSON.stringify(await jobs.findOne({ name: 'reminders.due' }))}\nclaims: ${await db.collection('sentreminders').countDocuments()}\n${first.output()}\n${second.output()}`);
    });
    const claims = db.collection('sentreminders');
    await until(async () => (await claims.countDocuments({ kind: 'on', sentAt: { $ne: null } })) === DEMO_EMAILS.length, 30_000, 'every claim marked sent');

    // Restart the first process while the second keeps running: the job runs again and sends nothing new.
    await stopProcess(first);
    const restarted = processes.start([MAIN_SCRIPT], { ...env, DATA_DIR: dataDirs[0] as string });
    await waitFor(restarted, READY);
    // Its hour comes again: wait until a run after the restart has finished.
    const restartedAt = new Date();
    await jobs.updateOne({ name: 'reminders.due' }, { $set: { nextRunAt: new Date() } });
    const ranSince = async (): Promise<boolean> => {
      const job = await jobs.findOne({ name: 'reminders.due' });
      return ((job?.lastRunAt as Date | undefined)?.getTime() ?? 0) >= restartedAt.getTime() && !job?.lockedAt;
    };
    await until(ranSince, 90_000, 'a finished run after the restart').catch(async (error: unknown) => {
      throw new Error(`${String(error)} (restarted at ${restartedAt.toISOString()})\njob: ${JSON.stringify(await jobs.findOne({ name: 'reminders.due' }))}\n${restarted.output()}\n${second.output()}`);
    });
    await stopProcess(restarted);
    await stopProcess(second);

    const recipients = await sent();
    expect([...recipients].sort()).toEqual([...DEMO_EMAILS].sort());
    expect(await claims.countDocuments({ kind: 'on' })).toBe(DEMO_EMAILS.length);
  });
});
