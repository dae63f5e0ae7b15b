/**
 * The app as a production deployment runs it, for the benches that measure it that way (reports, uploads, and the
 * lesson bench's production rounds): production settings behind a proxy on loopback, and the services made as
 * main.ts makes them (media under $DATA_DIR/media, sessions in the database, fresh caches).
 */
import type { Logger } from 'pino';
import { loadConfig, type Config } from '../server/config';
import { createMailer } from '../server/mail/mailer';
import { mediaStorageFor } from '../server/media/service';
import { createServices, type Services } from '../server/services';
import { createLogger } from '../server/web/logging';
import { createSessionStore } from '../server/web/session';

export function productionBenchConfig(dataDir: string): Config {
  return loadConfig({
    NODE_ENV: 'production',
    DATA_DIR: dataDir,
    SESSION_SECRET: 'bench-session-secret-that-is-long-enough-to-pass',
    BASE_URL: 'https://coproduce.invalid',
    LOG_LEVEL: 'error',
    TRUST_PROXY: 'loopback',
  });
}

/** Production config, an error-only logger and the services, on the database Mongoose is connected to. */
export function productionBenchServices(dataDir: string): { config: Config; logger: Logger; services: Services } {
  const config = productionBenchConfig(dataDir);
  const logger = createLogger('error');
  const mailer = createMailer({ dataDir, from: config.mailFrom, logger });
  const services = createServices({ config, mailer, logger, mediaStorage: mediaStorageFor(config), sessionStore: createSessionStore() });
  return { config, logger, services };
}
