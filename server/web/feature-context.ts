/**
 * The web tools app.ts builds once per app for the routers that need more than their services: Passport, the
 * rate limits and the upload factory. Routers receive `(services, web)`; the services come from ../services.ts.
 */
import type passport from 'passport';
import type { RateLimits } from './rate-limits';
import type { UploadFactory } from './upload';

export type PassportInstance = InstanceType<typeof passport.Passport>;

export interface WebTools {
  passport: PassportInstance;
  rateLimits: RateLimits;
  upload: UploadFactory;
}
