/**
 * Passport with the local strategy (email + password). The session keeps only the user id; each request loads
 * the few fields every page needs, and only for active accounts, so disabling someone signs them out at once.
 * A Passport instance per app, so test apps do not share state.
 */
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
  instance.serializeUser((user, done) => done(null, user.id));
  instance.deserializeUser((id: unknown, done) => {
    if (typeof id !== 'string') {
      done(null, false);
      return;
    }
    users.findSignedInUser(id).then(
      // false tells Passport the session's user is gone (or disabled): the request continues signed out.
      (user) => done(null, user ?? false),
      (error: unknown) => done(error),
    );
  });
  return instance;
}
