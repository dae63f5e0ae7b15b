/**
 * Route guards. Every route in the app declares exactly one of these (on the route or on its router):
 *   publicAccess            anyone, signed in or not
 *   requireSignIn           any signed-in person
 *   requireRole(...roles)   a signed-in person holding at least one of the roles
 * Each guard carries a readable `access` tag, so the route-access test (test/foundation/route-access.test.ts)
 * can walk the Express router stack, find the guard of every route, and prove it is enforced.
 * Ownership (this enrolment, this team) is checked again by the services.
 */
import type { Request, RequestHandler, Response } from 'express';
import { forgedRequestError } from './csrf';
import { Forbidden, Unauthorized } from '../errors';
import { wantsJson } from './errors';
import { handlesUploads } from './upload';
import { hasAnyRole, type Role, type SignedInUser } from '../people';

export type AccessRule = { kind: 'public' } | { kind: 'signed-in' } | { kind: 'roles'; roles: readonly Role[] };

export type Guard = RequestHandler & { readonly access: AccessRule };

/**
 * Every guard also refuses a multipart request whose CSRF token is still unread (see csrfDeferred in ./csrf.ts)
 * unless the route reads uploads through ./upload.ts, which checks that token. So a forged multipart post to any
 * other route fails, even though the CSRF middleware could not read its body.
 */
function refusesUncheckedMultipart(req: Request): boolean {
  return req.csrfDeferred === true && !(req.route?.stack ?? []).some((layer: { handle: unknown }) => handlesUploads(layer.handle));
}

function guard(access: AccessRule, handler: RequestHandler): Guard {
  const checked: RequestHandler = (req, res, next) => {
    if (refusesUncheckedMultipart(req)) {
      next(forgedRequestError());
      return;
    }
    return handler(req, res, next);
  };
  return Object.assign(checked, { access });
}

/** Where to send someone after sign-in: only paths on this site, never another origin. */
export function safeReturnPath(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return undefined;
  return value;
}

function refuseAnonymous(req: Request, res: Response): void {
  if (wantsJson(req) || req.method !== 'GET') {
    throw new Unauthorized();
  }
  const next = safeReturnPath(req.originalUrl);
  res.redirect(303, next && next !== '/' ? `/sign-in?next=${encodeURIComponent(next)}` : '/sign-in');
}

/** Marks a route as open to everyone, on purpose. */
export const publicAccess: Guard = guard({ kind: 'public' }, (_req, _res, next) => next());

/** Pages redirect anonymous people to /sign-in?next=...; JSON and form posts get 401. */
export const requireSignIn: Guard = guard({ kind: 'signed-in' }, (req, res, next) => {
  if (!req.user) {
    refuseAnonymous(req, res);
    return;
  }
  next();
});

/** Signed in and holding at least one of the roles, else 403 (or the sign-in redirect when anonymous). */
export function requireRole(...roles: Role[]): Guard {
  if (roles.length === 0) throw new Error('requireRole needs at least one role');
  return guard({ kind: 'roles', roles }, (req, res, next) => {
    if (!req.user) {
      refuseAnonymous(req, res);
      return;
    }
    if (!hasAnyRole(req.user, roles)) {
      throw new Forbidden();
    }
    next();
  });
}

export function isGuard(handler: unknown): handler is Guard {
  return typeof handler === 'function' && 'access' in handler;
}

/**
 * The signed-in person of a request, for routes behind `requireSignIn` or `requireRole`. Unauthorized (the
 * sign-in page) if there is none, which those guards make impossible.
 */
export function currentUser(req: Request): SignedInUser {
  if (!req.user) throw new Unauthorized();
  return req.user;
}
