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
import { LRUCache } from 'lru-cache';

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
  const sessionIdentifier = (req: Request): string => (req.user && req.session ? `session:${req.session.id}` : `visitor:${req.visitorId ?? ''}`);
  const { doubleCsrfProtection, generateCsrfToken, validateRequest } = doubleCsrf({
    getSecret: () => secret,
    getSessionIdentifier: sessionIdentifier,
    // The __Host- prefix needs HTTPS, which only production has.
    cookieName,
    cookieOptions,
    getCsrfTokenFromRequest: tokenFromRequest,
    // Multipart bodies are read later, by the upload middleware: it checks the token (see csrfDeferred, set below).
    skipCsrfProtection: (req) => req.csrfDeferred === true,
  });

  // Tokens this app has checked (or made), each with the session or visitor it belongs to. Whether a token is
  // signed for an identifier depends on nothing else (the secret is fixed for the app's life), so a page for the
  // same session and token may reuse the answer instead of computing the HMAC again on every page (bench/lesson.ts).
  // A token under another identifier (after sign-in or sign-out) is checked by csrf-csrf as before. Bounded: an
  // entry lives as long as a session stays busy; forgetting one only costs one HMAC.
  const checkedTokens = new LRUCache<string, string>({ max: 10_000 });
  const tokenFor = (req: Request, cookieToken: string | undefined): string => {
    const identifier = sessionIdentifier(req);
    if (cookieToken !== undefined && checkedTokens.get(cookieToken) === identifier) return cookieToken;
    // csrf-csrf reuses the cookie's token while its signature still matches this session or visitor; a new
    // token (first visit, after sign-in or sign-out) is sent as a new cookie.
    const token = generateCsrfToken(req, noCookieResponse);
    checkedTokens.set(token, identifier);
    return token;
  };

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
    // Every page may hold a form (a signed-in page always has the sign-out form), and a failed form post is drawn
    // again: both need a token.
    const giveToken = (): void => {
      const token = tokenFor(req, cookies[cookieName]);
      if (token !== cookies[cookieName]) res.cookie(cookieName, token, cookieOptions);
      res.locals.csrfToken = token;
      next();
    };
    // csrf-csrf checks nothing on safe methods (its ignored methods are these), so pages skip its middleware.
    if (SAFE_METHODS.has(req.method)) {
      giveToken();
      return;
    }
    doubleCsrfProtection(req, res, (error?: unknown) => {
      if (error) {
        next(error);
        return;
      }
      giveToken();
    });
  };

  return { middleware, validate: validateRequest };
}
