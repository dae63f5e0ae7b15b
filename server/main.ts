/**
 * The composition root. Starting the app: config -> logger -> database (MONGODB_URI, else the embedded engine
 * under $DATA_DIR/db) -> stores, caches, media storage and mailer -> the services (./services.ts), each made
 * once -> demo accounts on first start (not in production) -> import the shipped courses not yet imported (cheap
 * when nothing changed) -> buildApp({ config, logger, services }) -> listen. Nothing else wires things together.
 * SIGTERM/SIGINT: stop accepting connections, let requests in flight finish, close the database and the engine, exit 0.
 */
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import path from 'node:path';
import { buildApp } from './app';
import { ConfigError, loadConfig, type Config } from './config';
import { PROJECT_ROOT } from './project-root';
import { describeImport } from './courses/import';
import { connectDatabase, disconnectDatabase } from './db/connection';
import { startEmbeddedMongoThread } from './db/embedded/thread';
import mongoose from 'mongoose';
import { seedDemoLearning } from './assignments/seed';
import { seedDemoInvolvement } from './involvement/seed';
import { dropSingleRoundCertificateIndex } from './certificates/model';
import { createJobScheduler } from './jobs/scheduler';
import { defineReminderJobs, scheduleReminderJobs } from './reminders/jobs';
import { defineFeedbackJobs, scheduleFeedbackJobs } from './feedback/jobs';
import { createMailer } from './mail/mailer';
import { mediaStorageFor } from './media/service';
import { defineMediaJobs } from './media/jobs';
import { DEMO_ACCOUNTS, seedDemoAccounts } from './seed/demo';
import { createReviewRecords } from './courses/review-records';
import { seedDemoAuthoringTeam } from './review/seed';
import { createServices, type Services } from './services';
import { RevocationFeed } from './sessions/feed';
import { createLogger } from './web/logging';
import { createSessionStore } from './web/session';

/** Requests in flight get this long to finish after SIGTERM before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

async function openDatabase(config: Config): Promise<{ description: string; stopEngine?: () => Promise<void> }> {
  if (config.mongodbUri) {
    await connectDatabase(config.mongodbUri);
    return { description: `MongoDB at ${config.mongodbUri.replace(/\/\/[^@/]*@/, '//***@')}` };
  }
  const dbPath = path.join(config.dataDir, 'db');
  await mkdir(dbPath, { recursive: true });
  // In a worker thread: `npm run bench` measured more requests served and a lower p99 than on the app's own loop.
  const engine = await startEmbeddedMongoThread({
    dbPath,
    port: 0,
    host: '127.0.0.1',
    onFailure: (error) => {
      process.stderr.write(`The embedded database stopped: ${error.message}\n`);
      process.exit(1);
    },
  });
  await connectDatabase(engine.uri);
  return { description: `the embedded database in ${dbPath}`, stopEngine: () => engine.stop() };
}

/** Demo accounts on a first start (never in production); returns whether this was a first start. */
async function seedDemo(config: Config, services: Services): Promise<boolean> {
  if ((await services.users.countUsers()) > 0) return false;
  if (config.demoAccounts) {
    const seeded = await seedDemoAccounts(services, { password: config.demoPassword });
    if (seeded.created.length > 0) {
      print('Demo accounts (for trying the app; never created in production):');
      for (const account of DEMO_ACCOUNTS) print(`  ${account.email.padEnd(28)} ${account.roles.join(', ')}`);
      print(config.demoPassword ? '  Password: the DEMO_PASSWORD you set.' : `  Password: ${seeded.password}   (shown only this once)`);
      print();
    }
  }
  return true;
}

/**
 * Imports what content/courses holds and the database does not: a new course is published, a changed one becomes
 * a draft for a trainer to publish. An unchanged course costs one hash and one query, so this runs at every start.
 */
async function importShippedCourses(services: Services): Promise<void> {
  const report = await services.courseImport.importCourses({ dir: path.join(PROJECT_ROOT, 'content', 'courses') });
  for (const line of describeImport(report)) print(`  ${line}`);
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  await mkdir(config.dataDir, { recursive: true });
  const database = await openDatabase(config);
  // Certificates are unique per enrolment and round since retakes: a database from before loses the old index.
  await dropSingleRoundCertificateIndex();

  const mailer = createMailer({ smtpUrl: config.smtpUrl, dataDir: config.dataDir, from: config.mailFrom, logger });
  // Every app process reads the notes of access taken away (in this process or another) within a second.
  const revocations = new RevocationFeed({ logger });
  // The durable job scheduler: jobs in the database, shared by every app process (server/jobs/scheduler.ts).
  // Made before the services, which put work on it (media conversions); started once the jobs are defined.
  const db = mongoose.connection.db;
  if (!db) throw new Error('The database connection is not open');
  const scheduler = await createJobScheduler({ db, logger, name: `coproduce-${process.pid}` });
  const services = createServices({
    config,
    mailer,
    logger,
    mediaStorage: mediaStorageFor(config),
    sessionStore: createSessionStore(),
    revocations,
    jobs: scheduler,
  });
  // Team members added before joining dates were kept get one (their team's creation), once.
  await services.teams.backfillMemberships();
  await revocations.start();

  const firstStart = await seedDemo(config, services);
  await importShippedCourses(services);
  // The demo learner finds the shipped course assigned on their dashboard.
  if (firstStart && config.demoAccounts) await seedDemoLearning(services);
  // The demo trainer and co-facilitator (lived experience) hold the two keys of the shipped course.
  if (firstStart && config.demoAccounts) await seedDemoAuthoringTeam({ ...services, records: createReviewRecords() });
  // The demo co-facilitator finds two involvement entries (one approved), and the trainer can check them.
  if (firstStart && config.demoAccounts) await seedDemoInvolvement(services);

  if (config.adminEmail && !(await services.users.adminExists())) {
    const link = await services.auth.inviteFirstAdmin(config.adminEmail);
    print(`First admin: ${config.adminEmail} is invited (a new link at each start until they accept). The link, also emailed:`);
    print(`  ${link}`);
  }
  defineReminderJobs(scheduler, services.reminders);
  defineFeedbackJobs(scheduler, services.feedback);
  if (services.media.conversion) defineMediaJobs(scheduler, services.media.conversion);
  await scheduler.start();
  await scheduleReminderJobs(scheduler);
  await scheduleFeedbackJobs(scheduler);
  // Conversions waiting, or interrupted by a stop or a crash, are asked for again.
  await services.media.conversion?.resumeConversions();
  const app = buildApp({ config, logger, services });
  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(config.port, config.host, (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  print(`Coproduce is running at http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`);
  print(`Database: ${database.description}`);
  print(`Mail: ${config.smtpUrl ? 'sent through SMTP_URL' : `written as files to ${path.join(config.dataDir, 'mail')}`}`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: finishing requests in flight');
    const forceExit = setTimeout(() => {
      logger.warn('requests did not finish in time; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    forceExit.unref();
    // Stops accepting; the callback runs once every connection has finished its request.
    server.close(() => {
      void (async () => {
        // Gives running conversions back, then unlocks the jobs this process holds, so another process (or
        // the next start) runs them.
        await services.media.conversion?.stop();
        await scheduler.stop();
        await revocations.stop();
        await disconnectDatabase();
        await database.stopEngine?.();
        logger.info('stopped');
        process.exit(0);
      })().catch((error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      });
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`Coproduce could not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
