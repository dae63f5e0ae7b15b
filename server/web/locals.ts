/**
 * What every page needs in `res.locals`: currentUser (as req.user, or undefined), csrfToken (set by ./csrf.ts),
 * cspNonce (set by ./security.ts), preferences, currentPath and a one-time flash message.
 * Preferences come from the signed-in person, or before sign-in from the PREFERENCES_COOKIE (JSON).
 */
import type { Request, RequestHandler } from 'express';
import { DEFAULT_PREFERENCES, normalisePreferences, type Preferences } from '../people';

/** Cookie holding the display preferences of someone who is not signed in. */
export const PREFERENCES_COOKIE = 'coproduce.preferences';

export function preferencesFromCookie(req: Request): Preferences {
  const raw = (req.cookies as Record<string, string | undefined> | undefined)?.[PREFERENCES_COOKIE];
  if (typeof raw !== 'string' || raw.length > 500) return { ...DEFAULT_PREFERENCES };
  try {
    return normalisePreferences(JSON.parse(raw));
  } catch {
    return { ...DEFAULT_PREFERENCES };
  }
}

/** Stores a message for the next page the person sees (after a redirect). */
export function setFlash(req: Request, message: string): void {
  if (req.session) req.session.flash = message;
}

export const pageLocals: RequestHandler = (req, res, next) => {
  // Pages for a signed-in person are never kept by the browser or a proxy: on a shared computer, Back after
  // signing out must not show them again.
  if (req.user) res.set('Cache-Control', 'no-store');
  res.locals.currentUser = req.user;
  res.locals.preferences = req.user ? req.user.preferences : preferencesFromCookie(req);
  res.locals.currentPath = req.path;
  if (req.session?.flash) {
    res.locals.flash = { type: 'success', message: req.session.flash };
    delete req.session.flash;
  }
  next();
};
