/**
 * The one durable job scheduler: Agenda (agenda + @agendajs/mongo-backend), whose jobs live in MongoDB (the
 * `jobs` collection), on the embedded engine as on a real MongoDB. A job is locked atomically by the process
 * that runs it (findOneAndUpdate), so every app process may run the scheduler and a job still runs in one of
 * them; a restart finds its recurring jobs where it left them. Features define their jobs on it; main.ts builds
 * it once, after the features have defined their jobs, and starts and stops it. Tests build their own only when
 * they test jobs.
 *
 * Jobs must still be safe to run twice (a process that dies mid-job has its lock expire and the job runs again):
 * each job's own writes decide what is done, e.g. the unique index on sent reminders.
 *
 * Agenda is an ES module; this CommonJS app loads it with import() once, in createJobScheduler.
 */
import { ObjectId, type Db } from 'mongodb';
import type { Logger } from 'pino';

/** What a running job may do: `touch` keeps its lock (and so its place) while a long job runs. */
export interface JobRun {
  touch(): Promise<void>;
}

export type JobHandler = (data: unknown, run: JobRun) => Promise<void>;

export interface JobScheduler {
  /** Registers what a job name does (before start). */
  define(name: string, handler: JobHandler): void;
  /**
   * A recurring job: `interval` is a cron line ("0 8 * * 1") or words ("1 hour"). One job per name however many
   * processes ask, so every process may call this at start.
   */
  every(interval: string, name: string): Promise<void>;
  /** Runs a job as soon as a process is free to. */
  now(name: string, data?: Record<string, unknown>): Promise<void>;
  /**
   * Runs a job as soon as a process is free to, keeping one job record per `unique` query (e.g.
   * { 'data.assetId': id }): asking again for the same one schedules that record again instead of adding one.
   */
  nowOnce(name: string, data: Record<string, unknown>, unique: Record<string, unknown>): Promise<void>;
  /**
   * Runs a job now and resolves when that run has finished, in whichever process took it (rejects if it failed).
   * For tests and commands; it watches the job's record, so some process must be running the scheduler.
   */
  runNow(name: string): Promise<void>;
  start(): Promise<void>;
  /** Stops taking jobs and unlocks the ones this process holds, so another process (or the next start) takes them. */
  stop(): Promise<void>;
  /**
   * After stop(): resolves once Agenda's own timers for the jobs run here have fired. Agenda (6.2) checks a
   * running job's lock with a timer every max(processEvery, lockLifetime) / 2 that it never clears, so the last
   * one fires up to that long after a job finished; stop() cannot cancel it. A process that exits after stop()
   * (main.ts) need not wait; a caller that must leave nothing running (tests) awaits this, with a short
   * `lockLifetimeMs` so the wait is short.
   */
  timersDone(): Promise<void>;
}

export interface SchedulerOptions {
  /** Mongoose's or the driver's open database. */
  db: Db;
  logger: Logger;
  /** How often this process looks for jobs due (ms). */
  processEveryMs?: number;
  /** Shown in the job's lock (lastModifiedBy), to tell processes apart. */
  name?: string;
  /** A job whose process stopped answering is taken by another after this long (ms). */
  lockLifetimeMs?: number;
}

export const JOBS_COLLECTION = 'jobs';

/** How often runNow looks at the job's record (it waits on another process, so it cannot be told directly). */
const RUN_NOW_POLL_MS = 25;

export async function createJobScheduler(options: SchedulerOptions): Promise<JobScheduler> {
  const [{ Agenda, InMemoryNotificationChannel }, { MongoBackend }] = await Promise.all([import('agenda'), import('@agendajs/mongo-backend')]);
  const processEvery = options.processEveryMs ?? 30_000;
  const lockLifetime = options.lockLifetimeMs ?? 10 * 60_000;
  const agenda = new Agenda({
    backend: new MongoBackend({ mongo: options.db, collection: JOBS_COLLECTION }),
    processEvery,
    defaultLockLifetime: lockLifetime,
    name: options.name,
    // A job asked for in this process (a media conversion after an upload) starts here at once, not at the
    // next check; other processes still find every job at their next check.
    notificationChannel: new InMemoryNotificationChannel(),
  });
  agenda.on('error', (error: unknown) => options.logger.error({ err: error }, 'job scheduler error'));
  // When Agenda's last lock-check timer of a job run here fires at the latest (see timersDone): one check period
  // after the run completed, plus a little for the moment between 'complete' and Agenda marking the run over.
  const lockCheckMs = Math.max(processEvery, lockLifetime) / 2;
  let lockChecksEndAt = 0;
  agenda.on('complete', () => {
    lockChecksEndAt = Math.max(lockChecksEndAt, Date.now() + lockCheckMs + 50);
  });

  return {
    define(name, handler) {
      agenda.define(name, async (job) => {
        try {
          await handler(job.attrs.data, { touch: () => job.touch() });
          options.logger.info({ job: name }, 'job finished');
        } catch (error) {
          options.logger.error({ err: error, job: name }, 'job failed');
          throw error;
        }
      });
    },
    async every(interval, name) {
      await agenda.every(interval, name, undefined, { timezone: 'UTC' });
    },
    async now(name, data) {
      await agenda.now(name, data ?? {});
    },
    async nowOnce(name, data, unique) {
      await agenda.create(name, data).unique(unique).schedule(new Date()).save();
    },
    async runNow(name) {
      const job = await agenda.now(name, {});
      const jobs = options.db.collection(JOBS_COLLECTION);
      for (;;) {
        const record = await jobs.findOne({ _id: new ObjectId(String(job.attrs._id)) }, { projection: { lastFinishedAt: 1, failedAt: 1, failReason: 1 } });
        if (!record) throw new Error(`The job ${name} disappeared before it finished`);
        if (record.failedAt) throw new Error(`The job ${name} failed: ${String(record.failReason)}`);
        if (record.lastFinishedAt) return;
        await new Promise((resolve) => setTimeout(resolve, RUN_NOW_POLL_MS));
      }
    },
    async start() {
      await agenda.start();
    },
    async stop() {
      await agenda.stop();
    },
    async timersDone() {
      const wait = lockChecksEndAt - Date.now();
      // Waits for a known timer of the library to fire (it cannot be observed or cancelled), not for a condition.
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    },
  };
}
