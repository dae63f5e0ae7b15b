/**
 * Test support: the whole app on the in-memory embedded engine, in-process, for supertest and browser tests.
 *
 *   const t = await startTestApp();                      // engine + Mongoose + buildApp; mail goes to a temp folder
 *   afterAll(() => t.stop());                            // closes everything it opened
 *
 *   const agent = t.request();                           // a supertest agent: keeps cookies like a browser
 *   const user = await t.createUser({ roles: ['trainer'] });   // { id, email, name, roles, password }
 *   await t.signIn(agent, user.email, user.password);    // GET /sign-in, read _csrf from the form, POST; throws if refused
 *   const trainer = await t.signedInAgent({ roles: ['trainer'] });   // both at once: { agent, user }
 *   const token = await t.csrfToken(agent);              // the _csrf of any page (default '/'), for your own POSTs
 *   await agent.post('/x').type('form').send({ _csrf: token, ... });
 *     (get the token BEFORE starting the POST: an agent attaches its cookies when a request is created, so
 *      `agent.post(...).send({ _csrf: await t.csrfToken(agent) })` sends the old cookie and gets 403)
 *   const mail = await t.latestMail('someone@example.org');   // { to, subject, text, links } from the .eml files
 *   await t.seedDemoAccounts('demo-password-1');         // the four demo users of a first start
 *   await t.services.teams.createTeam('Blue team');      // the app's own services, made once as main.ts makes them
 *   t.setNow(date)                                       // moves the clock of t.services.assignments and .reminders
 *
 * Helpers for any HTML: `csrfFrom(html)`. Passwords are hashed with a low argon2 cost here to keep tests quick.
 * Options: startTestApp({ nodeEnv: 'production' }) to see production behaviour (secure cookies, no stack traces);
 * `env` adds settings as environment variables would (e.g. { TRUST_PROXY: '1' }); `logDestination` receives the
 * app's log lines. Models live on the default mongoose instance: one test app at a time per test file
 * (start, stop, then start another is fine). `startTestApp({ jobs: { processEveryMs, lockLifetimeMs } })` also builds
 * and starts the durable job scheduler with the media jobs on it, as main.ts does (`t.scheduler`); stop() stops it.
 * Change things through `t.services`, not the models: the services
 * keep this app's caches right. For a route test without a database, see test/foundation/fake-services.test.ts.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type express from 'express';
import supertest from 'supertest';
import { buildApp } from '../../server/app';
import { mediaStorageFor } from '../../server/media/service';
import { hashPassword, useFastPasswordHashing } from '../../server/auth/passwords';
import { loadConfig, type Config } from '../../server/config';
import { connectDatabase, disconnectDatabase } from '../../server/db/connection';
import { startEmbeddedMongo, type EmbeddedMongoOptions } from '../../server/db/embedded/index';
import { createLogger } from '../../server/web/logging';
import { createSessionStore, sessionStoreReady } from '../../server/web/session';
import { RevocationFeed } from '../../server/sessions/feed';
import { createMailer, type Mailer } from '../../server/mail/mailer';
import type { Logger } from 'pino';
import { seedDemoAccounts } from '../../server/seed/demo';
import { createServices, type Services } from '../../server/services';
import { createJobScheduler, type JobScheduler } from '../../server/jobs/scheduler';
import { defineMediaJobs } from '../../server/media/jobs';
import mongoose from 'mongoose';
import type { Role } from '../../server/people';
import type { UserStatus } from '../../server/users/model';
import type { DraftStarter } from '../../server/feedback/deps';

export type TestAgent = ReturnType<typeof supertest.agent>;

export interface TestUser {
  id: string;
  email: string;
  name: string;
  roles: Role[];
  /** The plain password, for signing in. */
  password: string;
}

export interface NewTestUser {
  email?: string;
  name?: string;
  roles?: Role[];
  password?: string;
  status?: UserStatus;
}

export interface TestMail {
  file: string;
  to: string;
  subject: string;
  text: string;
  /** Every http(s) link in the text, in order. */
  links: string[];
}

export interface TestApp {
  app: express.Express;
  config: Config;
  /** The services the app was built with (one set per test app, as main.ts makes them). */
  services: Services;
  mailer: Mailer;
  logger: Logger;
  /** Moves the clock of the services built here (assignments, reminders); null returns to real time. */
  setNow(time: Date | null): void;
  now(): Date;
  mailDir: string;
  /** The job scheduler, when asked for (options.jobs). */
  scheduler: JobScheduler | null;
  /** The database URI (the in-memory engine), for tests that need the driver directly. */
  uri: string;
  request(): TestAgent;
  createUser(input?: NewTestUser): Promise<TestUser>;
  signIn(agent: TestAgent, email: string, password: string): Promise<void>;
  signedInAgent(input?: NewTestUser): Promise<{ agent: TestAgent; user: TestUser }>;
  csrfToken(agent: TestAgent, pagePath?: string): Promise<string>;
  mails(): Promise<TestMail[]>;
  latestMail(to: string): Promise<TestMail>;
  seedDemoAccounts(password: string): Promise<void>;
  stop(): Promise<void>;
}

/** The `_csrf` value of the first form (or meta) in a page. */
export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error('No _csrf field found in the page');
  return match[1];
}

function decodeQuotedPrintable(text: string): string {
  const bytes: number[] = [];
  const joined = text.replace(/=\r?\n/g, '');
  for (let index = 0; index < joined.length; index += 1) {
    const hex = joined.slice(index + 1, index + 3);
    if (joined[index] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(parseInt(hex, 16));
      index += 2;
    } else {
      bytes.push(...Buffer.from(joined[index] ?? '', 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Reads a single-part plain-text .eml as nodemailer writes it. */
export function parseMail(file: string, raw: string): TestMail {
  const split = raw.indexOf('\n\n');
  const headerText = raw.slice(0, split).replace(/\n[ \t]+/g, ' ');
  const body = raw.slice(split + 2);
  const header = (name: string): string => new RegExp(`^${name}: (.*)$`, 'im').exec(headerText)?.[1]?.trim() ?? '';
  const encoding = header('Content-Transfer-Encoding').toLowerCase();
  const text = encoding === 'quoted-printable' ? decodeQuotedPrintable(body) : encoding === 'base64' ? Buffer.from(body, 'base64').toString('utf8') : body;
  const subjectRaw = header('Subject');
  // Subjects with non-ASCII characters come as =?UTF-8?Q?...?= words; ours are ASCII, which stay as they are.
  return { file, to: header('To'), subject: subjectRaw, text, links: text.match(/https?:\/\/[^\s<>"]+/g) ?? [] };
}

let userCounter = 0;

export interface TestAppOptions {
  nodeEnv?: 'test' | 'production';
  /** Settings as environment variables would give them, e.g. { TRUST_PROXY: '1' }. */
  env?: Record<string, string>;
  /** Receives the app's log lines (at level info) instead of silence. */
  logDestination?: { write(line: string): void };
  /** Options for the app's engine (default: in memory), e.g. a dbPath and a fault-injecting file layer. */
  engine?: Pick<EmbeddedMongoOptions, 'dbPath' | 'files' | 'onFatal' | 'log'>;
  /** How revisions open drafts (the authoring feature's startDraft); tests of the feedback loop pass one. */
  drafts?: DraftStarter;
  /** Builds and starts the job scheduler with the media jobs (as main.ts does), with these timings. */
  jobs?: { processEveryMs?: number; lockLifetimeMs?: number; name?: string };
  /** Keeps the data folder when stopping (a test that starts a second app on the same files). */
  dataDir?: string;
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  useFastPasswordHashing();
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'coproduce-test-')));
  const engine = await startEmbeddedMongo({ log: () => undefined, ...options.engine });
  try {
    await connectDatabase(engine.uri);
  } catch (error) {
    await engine.stop();
    throw error;
  }
  const config = loadConfig({
    NODE_ENV: options.nodeEnv ?? 'test',
    DATA_DIR: dataDir,
    SESSION_SECRET: 'test-session-secret-that-is-long-enough',
    BASE_URL: 'http://127.0.0.1:3000',
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const logger = options.logDestination ? createLogger('info', options.logDestination) : createLogger('silent');
  const mailer = createMailer({ dataDir, from: config.mailFrom, logger });
  const sessionStore = createSessionStore();
  let clockTime: Date | null = null;
  const now = (): Date => (clockTime ? new Date(clockTime.getTime()) : new Date());
  // As main.ts runs it: the feed polls, though in one process every change already applies at once.
  // No job scheduler unless asked for: tests of reminder jobs build their own (test/reminders/reminders.test.ts).
  const revocations = new RevocationFeed({ logger });
  const db = mongoose.connection.db;
  const scheduler =
    options.jobs && db
      ? await createJobScheduler({ db, logger, name: options.jobs.name ?? 'test-app', processEveryMs: options.jobs.processEveryMs ?? 100, lockLifetimeMs: options.jobs.lockLifetimeMs ?? 2_000 })
      : null;
  const services = createServices({ config, mailer, logger, mediaStorage: mediaStorageFor(config), sessionStore, revocations, now, jobs: scheduler ?? undefined, drafts: options.drafts });
  if (scheduler) {
    if (services.media.conversion) defineMediaJobs(scheduler, services.media.conversion);
    await scheduler.start();
    await services.media.conversion?.resumeConversions();
  }
  const app = buildApp({ config, logger, services });
  await revocations.start();
  const mailDir = path.join(dataDir, 'mail');

  const createUser = async (input: NewTestUser = {}): Promise<TestUser> => {
    userCounter += 1;
    const password = input.password ?? `password-${userCounter}-long-enough`;
    const roles = input.roles ?? ['learner'];
    const email = input.email ?? `person${userCounter}.${roles.join('-')}@example.org`;
    const user = await services.users.createUser({
      email,
      name: input.name ?? `Test Person ${userCounter}`,
      roles,
      status: input.status ?? 'active',
      passwordHash: await hashPassword(password),
    });
    return { id: user.id, email: user.email, name: user.name, roles: user.roles, password };
  };

  const csrfToken = async (agent: TestAgent, pagePath = '/'): Promise<string> => {
    const page = await agent.get(pagePath).set('Accept', 'text/html');
    return csrfFrom(page.text);
  };

  const signIn = async (agent: TestAgent, email: string, password: string): Promise<void> => {
    const token = await csrfToken(agent, '/sign-in');
    const response = await agent.post('/sign-in').type('form').send({ _csrf: token, email, password });
    if (response.status !== 303) throw new Error(`Sign-in as ${email} failed with status ${response.status}`);
  };

  const mails = async (): Promise<TestMail[]> => {
    const files = (await readdir(mailDir).catch(() => [] as string[])).filter((name) => name.endsWith('.eml')).sort();
    return Promise.all(files.map(async (name) => parseMail(path.join(mailDir, name), await readFile(path.join(mailDir, name), 'utf8'))));
  };

  return {
    app,
    config,
    services,
    mailDir,
    mailer,
    logger,
    setNow(time) {
      clockTime = time;
    },
    now,
    uri: engine.uri,
    scheduler,
    request: () => supertest.agent(app),
    createUser,
    signIn,
    async signedInAgent(input) {
      const user = await createUser(input);
      const agent = supertest.agent(app);
      await signIn(agent, user.email, user.password);
      return { agent, user };
    },
    csrfToken,
    mails,
    async latestMail(to) {
      const found = (await mails()).filter((mail) => mail.to.toLowerCase().includes(to.toLowerCase()));
      const latest = found[found.length - 1];
      if (!latest) throw new Error(`No mail to ${to} in ${mailDir}`);
      return latest;
    },
    async seedDemoAccounts(password) {
      await seedDemoAccounts(services, { password });
    },
    async stop() {
      if (scheduler) {
        await services.media.conversion?.stop();
        await scheduler.stop();
        await scheduler.timersDone();
      }
      await revocations.stop();
      await sessionStoreReady(sessionStore);
      await disconnectDatabase();
      await engine.stop();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
