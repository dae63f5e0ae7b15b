/**
 * Passport with the local strategy (email + password). The session keeps only the user id and the account's
 * session version at sign-in; each request loads the few fields every page needs, and only for active accounts,
 * so disabling someone signs them out at once. A session whose version is not the account's current one (the
 * account was turned off, its password changed, or its person signed out everywhere since) signs no one in,
 * even while some process still remembers it. A Passport instance per app, so test apps do not share state.
 */
import type { Request } from 'express';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import type { UsersService } from '../users/service';
import type { PassportInstance } from '../web/feature-context';
import type { AuthService } from './service';

export function createPassport({ auth, users }: { auth: Pick<AuthService, 'authenticate'>; users: Pick<UsersService, 'findSignedInUser'> }): PassportInstance {
  const instance = new passport.Passport();
  instance.use(
    new LocalStrategy({ usernameField: 'email', passwordField: 'password', passReqToCallback: true, session: true }, (req, email, password, done) => {
      auth.authenticate(email, password, req.ip).then(
        (result) => (result.ok ? done(null, result.user) : done(null, false, { message: result.reason })),
        (error: unknown) => done(error),
      );
    }),
  );
  // Passport calls this on the new session it has just made at sign-in (after regenerating the id).
  instance.serializeUser((req: Request, user: Express.User, done: (error: unknown, id?: string) => void) => {
    req.session.signedInVersion = user.sessionVersion;
    done(null, user.id);
  });
  instance.deserializeUser((req: Request, id: unknown, done: (error: unknown, user?: Express.User | false) => void) => {
    if (typeof id !== 'string') {
      done(null, false);
      return;
    }
    // Sessions from before session versions existed carry none: the account's first version, 0.
    const signedInVersion = req.session.signedInVersion ?? 0;
    users.findSignedInUser(id).then(
      // false tells Passport the session's user is gone, disabled or signed out everywhere: the request continues
      // signed out (and Passport removes the user from this session).
      (user) => done(null, user && user.sessionVersion === signedInVersion ? user : false),
      (error: unknown) => done(error),
    );
  });
  return instance;
}
