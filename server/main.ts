/**
 * Starting the app: config -> database (MONGODB_URI, else the embedded engine under $DATA_DIR/db)
 * -> demo accounts on first start (not in production) -> import the shipped courses not yet imported (cheap when
 * nothing changed) -> app -> listen.
 * SIGTERM/SIGINT: stop accepting connections, let requests in flight finish, close the database and the engine, exit 0.
 */
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import path from 'node:path';
import { buildApp } from './app';
import { ConfigError, loadConfig, type Config } from './config';
import { PROJECT_ROOT } from './project-root';
import { importCourses, describeImport } from './courses/import';
import { connectDatabase, disconnectDatabase } from './db/connection';
import { startEmbeddedMongoThread } from './db/embedded/thread';
import { seedDemoLearning } from './assignments/seed';
import { createAssignmentsService } from './assignments/service';
import { enrolmentFacts } from './learning/service';
import { backfillMemberships } from './teams/service';
import { createMailer } from './mail/mailer';
import { mediaStorageFor } from './media/service';
import { DEMO_ACCOUNTS, seedDemoAccounts } from './seed/demo';
import { adminExists, countUsers } from './users/service';
import { inviteFirstAdmin } from './auth/service';
import { createLogger } from './web/logging';

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
async function seedDemo(config: Config): Promise<boolean> {
  if ((await countUsers()) > 0) return false;
  if (config.demoAccounts) {
    const seeded = await seedDemoAccounts({ password: config.demoPassword });
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
async function importShippedCourses(config: Config): Promise<void> {
  const report = await importCourses({ dir: path.join(PROJECT_ROOT, 'content', 'courses'), storage: mediaStorageFor(config) });
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
  // Team members added before joining dates were kept get one (their team's creation), once.
  await backfillMemberships();

  const firstStart = await seedDemo(config);
  await importShippedCourses(config);
  // The demo learner finds the shipped course assigned on their dashboard.
  if (firstStart && config.demoAccounts) await seedDemoLearning();

  const mailer = createMailer({ smtpUrl: config.smtpUrl, dataDir: config.dataDir, from: config.mailFrom, logger });
  if (config.adminEmail && !(await adminExists())) {
    const link = await inviteFirstAdmin(config.adminEmail, { mailer, baseUrl: config.baseUrl });
    print(`First admin: ${config.adminEmail} is invited (a new link at each start until they accept). The link, also emailed:`);
    print(`  ${link}`);
  }
  const assignments = createAssignmentsService({ enrolmentFacts, storage: mediaStorageFor(config) });
  const app = buildApp({ config, logger, mailer, assignments });
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
