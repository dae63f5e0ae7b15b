/**
 * CSRF protection by signed double submit (csrf-csrf). The token is bound to the session when someone is signed
 * in, and to a random visitor cookie before that (so sign-in and reset forms are protected without storing a
 * session for every visitor). Pages get the token in `res.locals.csrfToken`; forms send it as `_csrf`, scripts as
 * the `x-csrf-token` header.
 *
 * Multipart forms (uploads) are checked by the upload middleware in ./upload.ts once Multer has read the `_csrf`
 * field, before any file is stored, because the body is not parsed yet at this point.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { CookieOptions, Request, RequestHandler, Response } from 'express';
import { doubleCsrf } from 'csrf-csrf';

const VISITOR_COOKIE = 'coproduce.visitor';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Stands in for the response when asking csrf-csrf for a token: it would set the token cookie on every response,
 * even when the browser already holds that very token. The middleware sets the cookie itself, only when it changes.
 */
const noCookieResponse = { cookie: () => noCookieResponse } as unknown as Response;

declare module 'express-serve-static-core' {
  interface Request {
    /** Identifies a visitor who is not signed in, for binding their CSRF token. */
    visitorId?: string;
    /**
     * A multipart request whose token is inside the body, not read yet. Only a route with the upload middleware
     * (./upload.ts) may accept it: that middleware checks the token; every other route's guard refuses it.
     */
    csrfDeferred?: boolean;
  }
}

/** The error every CSRF refusal uses, so the error page explains it the same way. */
export function forgedRequestError(): Error {
  return Object.assign(new Error('invalid csrf token'), { code: 'EBADCSRFTOKEN', status: 403 });
}

export function isMultipart(req: Request): boolean {
  return req.is('multipart/form-data') === 'multipart/form-data';
}

function tokenFromRequest(req: Request): string | undefined {
  const fromBody: unknown = (req.body as Record<string, unknown> | undefined)?._csrf;
  if (typeof fromBody === 'string') return fromBody;
  const fromHeader = req.headers['x-csrf-token'];
  return typeof fromHeader === 'string' ? fromHeader : undefined;
}

export interface CsrfProtection {
  /** Checks the token on state-changing requests; gives pages a token. */
  middleware: RequestHandler;
  /** For the upload middleware: validates the request once its multipart fields are parsed. */
  validate(req: Request): boolean;
}

export function csrfProtection(options: { secret: string; production: boolean }): CsrfProtection {
  // A secret of its own, derived so that a CSRF token never doubles as a session signature.
  const secret = createHmac('sha256', options.secret).update('coproduce csrf').digest('hex');
  const cookieOptions: CookieOptions = { httpOnly: true, sameSite: 'strict', secure: options.production, path: '/' };
  const visitorCookieOptions: CookieOptions = { httpOnly: true, sameSite: 'lax', secure: options.production, path: '/' };

  const cookieName = options.production ? '__Host-coproduce.csrf' : 'coproduce.csrf';
  const { doubleCsrfProtection, generateCsrfToken, validateRequest } = doubleCsrf({
    getSecret: () => secret,
    getSessionIdentifier: (req) => (req.user && req.session ? `session:${req.session.id}` : `visitor:${req.visitorId ?? ''}`),
    // The __Host- prefix needs HTTPS, which only production has.
    cookieName,
    cookieOptions,
    getCsrfTokenFromRequest: tokenFromRequest,
    // Multipart bodies are read later, by the upload middleware: it checks the token (see csrfDeferred, set below).
    skipCsrfProtection: (req) => req.csrfDeferred === true,
  });

  const middleware: RequestHandler = (req, res, next) => {
    const cookies = req.cookies as Record<string, string | undefined>;
    const visitor = cookies[VISITOR_COOKIE];
    if (typeof visitor === 'string' && /^[a-f0-9]{32}$/.test(visitor)) {
      req.visitorId = visitor;
    } else if (!req.user) {
      req.visitorId = randomBytes(16).toString('hex');
      res.cookie(VISITOR_COOKIE, req.visitorId, visitorCookieOptions);
    }
    // Safe methods are never deferred: asking about them first spares every page the content-type parsing.
    if (!SAFE_METHODS.has(req.method) && isMultipart(req) && tokenFromRequest(req) === undefined) {
      req.csrfDeferred = true;
    }
    doubleCsrfProtection(req, res, (error?: unknown) => {
      if (error) {
        next(error);
        return;
      }
      // Every page may hold a form, and a failed form post is drawn again: both need a token.
      // csrf-csrf reuses the cookie's token while its signature still matches this session or visitor; a new
      // token (first visit, after sign-in or sign-out) is sent as a new cookie.
      const token = generateCsrfToken(req, noCookieResponse);
      if (token !== cookies[cookieName]) res.cookie(cookieName, token, cookieOptions);
      res.locals.csrfToken = token;
      next();
    });
  };

  return { middleware, validate: validateRequest };
}
