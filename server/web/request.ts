/**
 * Type additions to Express and express-session for this app: who is signed in, what the session stores.
 * The session stores ids and small flags only, never the user document.
 */
// Brings in Passport's `req.user`, `req.login` and `req.logout` types.
import type {} from 'passport';
import type { SignedInUser } from '../people';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express declares its types in this namespace.
  namespace Express {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merged with Passport's empty User.
    interface User extends SignedInUser {}
  }
}

declare module 'express-session' {
  interface SessionData {
    /** Set by Passport: { user: userId }. */
    passport?: { user?: string };
    /** The account's session version when this session signed in (../auth/passport.ts). */
    signedInVersion?: number;
    /** One message shown on the next page, then forgotten. */
    flash?: string;
    /**
     * A personal link to a call, made a moment ago: shown once on the next page (after the redirect, so reloading
     * cannot make a second link), then forgotten. Only its hash is kept anywhere else.
     */
    newCallLink?: { link: string; name: string; expiresAt: string; callId: string };
  }
}

export {};
