/**
 * buildApp({ config, logger, services }): assembles the Express app from its parts. No side effects: nothing
 * connects or listens here (main.ts and the test support connect the database and make the services first,
 * then call this). Each feature's router receives the services it uses.
 *
 * Order of the middleware, each for a reason:
 *   request log -> CSP nonce + security headers -> cross-site refusal (unsafe methods) -> static files and fonts
 *   (no session, no cookies) -> /healthz -> body parsers with size limits -> cookies -> session -> Passport -> CSRF
 *   -> page locals -> feature routers (one list below) -> 404 -> the one error handler.
 */
import { authoringRouter } from './authoring/routes';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import cookieParser from 'cookie-parser';
import ejs from 'ejs';
import express from 'express';
import type { Logger } from 'pino';
import type { Config } from './config';
import { PROJECT_ROOT } from './project-root';
import { accountRouter } from './account/routes';
import { adminRouter } from './admin/routes';
import { assignmentsRouter } from './assignments/routes';
import { remindersRouter } from './reminders/routes';
import { authRouter } from './auth/routes';
import { callsRouters } from './calls/routes';
import { certificatesRouter } from './certificates/routes';
import { charterGateRouter } from './charter/gate';
import { adminCharterRouter, charterRouter } from './charter/routes';
import { accountCreditsRouter, manageCreditsRouter } from './credits/routes';
import { createPassport } from './auth/passport';
import { databaseAnswers } from './db/connection';
import { homeRouter } from './home/routes';
import { involvementRouter } from './involvement/routes';
import { learningRouter } from './learning/routes';
import { feedbackBoardRouter, learnerFeedbackRouter } from './feedback/routes';
import { manageCoursesRouter } from './courses/routes';
import { mediaRouter } from './media/routes';
import { preferencesRouter } from './preferences/routes';
import { reportsRouter } from './reports/routes';
import { reviewRouter } from './review/routes';
import { fontsRouter } from './preferences/static-fonts';
import { publicAccess } from './web/access';
import { csrfProtection } from './web/csrf';
import { errorHandler, notFoundHandler } from './web/errors';
import { pageLocals } from './web/locals';
import { requestLogging } from './web/logging';
import { createRateLimits } from './web/rate-limits';
import { refuseCrossSiteRequests } from './web/same-origin';
import { securityHeaders } from './web/security';
import { sessions } from './web/session';
import { createUploadFactory } from './web/upload';
import type { WebTools } from './web/feature-context';
import type { Services } from './services';

export interface AppDeps {
  config: Config;
  logger: Logger;
  services: Services;
}


/**
 * A short hash of everything under public/: pages ask for `/public/...?v=<hash>`, so browsers may keep the files
 * for a long time and still fetch the new ones as soon as a release changes them.
 */
function publicAssetVersion(publicDir: string): string {
  const hash = createHash('sha256');
  for (const entry of readdirSync(publicDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    hash.update(path.relative(publicDir, file)).update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 12);
}

/** Runs a body parser only for methods that carry a body: page views skip its checks (a measurable share of a page). */
function onlyWithBody(parser: express.RequestHandler): express.RequestHandler {
  return (req, res, next) => (req.method === 'GET' || req.method === 'HEAD' ? next() : parser(req, res, next));
}

export function buildApp(deps: AppDeps): express.Express {
  const { config, logger, services } = deps;
  const production = config.nodeEnv === 'production';
  const app = express();

  const viewsDir = path.join(PROJECT_ROOT, 'views');
  app.set('views', viewsDir);
  app.set('view engine', 'ejs');
  app.set('view cache', config.templateCache);
  // Includes name their file from the views folder (`include('/layouts/start')`): EJS resolves such a path
  // without asking the disk, where a relative one costs a stat per include on every render.
  app.engine('ejs', (file, data, done) => {
    ejs.renderFile(file, data as ejs.Data, { root: viewsDir, cache: config.templateCache }, done as (error: Error | null, html?: string) => void);
  });
  // Pages are rendered per person and sent no-store: an ETag (a hash of every page) would never be used.
  app.set('etag', false);
  app.set('trust proxy', config.trustProxy);
  app.set('query parser', 'simple');
  app.disable('x-powered-by');

  app.use(requestLogging(logger));
  app.use(securityHeaders({ production }));
  // Before anything reads a body or acts: a form posted from another site is refused (./web/same-origin.ts).
  app.use(refuseCrossSiteRequests({ baseUrl: config.baseUrl }));
  const publicDir = path.join(PROJECT_ROOT, 'public');
  // Every link to a /public file ends with this (`/public/css/base.css<%= locals.assetQuery %>`).
  app.locals.assetQuery = `?v=${publicAssetVersion(publicDir)}`;
  app.use('/public', express.static(publicDir, { index: false, maxAge: '30d' }));
  app.use('/fonts', fontsRouter());

  app.get('/healthz', publicAccess, async (_req, res) => {
    const ok = await databaseAnswers();
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable' });
  });

  // Small limits: forms here are short. Uploads are multipart and go through ./web/upload.ts with their own limits.
  app.use(onlyWithBody(express.urlencoded({ extended: false, limit: '100kb', parameterLimit: 200 })));
  app.use(onlyWithBody(express.json({ limit: '100kb' })));
  app.use(cookieParser());
  app.use(sessions({ secret: config.sessionSecret, production, store: services.sessionStore }));
  const passport = createPassport(services);
  // No passport.initialize(): since passport 0.6 it only adds `req._passport` for strategies written for
  // passport 0.4, and sets the same request helpers (req.logIn, ...) that passport.session() sets again.
  app.use(passport.session());
  const csrf = csrfProtection({ secret: config.sessionSecret, production });
  app.use(csrf.middleware);
  app.use(pageLocals);

  const web: WebTools = {
    passport,
    rateLimits: createRateLimits(),
    upload: createUploadFactory({ validateCsrf: csrf.validate }),
  };

  // Every feature's router, in one list, mounted where its addresses start. Each router declares the guard of
  // each of its routes. A router under its own prefix costs other requests one path test, not one per route.
  const calls = callsRouters(services, web);
  const routers: Array<[mountPath: string, router: express.Router]> = [
    // learnerDashboard: send learners from / to /dashboard (the learning feature's page).
    ['/', homeRouter({ learnerDashboard: true })],
    ['/', learningRouter(services)],
    // Module pages, end-of-module feedback, lesson flags and lessons of a published version, to read.
    ['/', learnerFeedbackRouter(services)],
    ['/', authRouter(services, web)],
    ['/', preferencesRouter(services, { production })],
    ['/admin/charter', adminCharterRouter(services)],
    ['/admin', adminRouter(services, web)],
    ['/charter', charterRouter(services)],
    ['/media', mediaRouter(services, web)],
    // Co-facilitators read and accept the current charter before the authoring pages (./charter/gate.ts).
    ['/manage/courses', charterGateRouter(services)],
    ['/manage/courses', manageCoursesRouter(services)],
    ['/manage/courses', calls.manage],
    ['/calls', calls.answering],
    ['/call-link', calls.links],
    ['/manage/credits', manageCreditsRouter(services)],
    ['/author', authoringRouter(services, web)],
    ['/manage/courses', reviewRouter(services)],
    ['/certificates', certificatesRouter(services)],
    // Before /account's router: /account/reminders is the reminders feature's page.
    ['/', remindersRouter(services)],
    ['/account/credits', accountCreditsRouter(services)],
    ['/account', accountRouter(services, web, config)],
    ['/manage/assignments', assignmentsRouter(services, web)],
    ['/reports', reportsRouter(services)],
    ['/involvement', involvementRouter(services, web)],
    ['/feedback', feedbackBoardRouter(services)],
  ];
  for (const [mountPath, router] of routers) app.use(mountPath, router);

  app.use(notFoundHandler);
  app.use(errorHandler({ showStack: !production }));
  return app;
}
