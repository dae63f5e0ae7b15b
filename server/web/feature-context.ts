/**
 * What app.ts hands to feature routers that need more than a Router: settings, mail, the rate limits,
 * the upload factory and Passport. Built once per app.
 */
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { PassportInstance } from '../auth/passport';
import type { Mailer } from '../mail/mailer';
import type { RateLimits } from './rate-limits';
import type { UploadFactory } from './upload';

export interface FeatureContext {
  config: Config;
  logger: Logger;
  mailer: Mailer;
  passport: PassportInstance;
  rateLimits: RateLimits;
  upload: UploadFactory;
}
