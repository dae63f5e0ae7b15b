/**
 * Signing in and out, accepting an invitation, resetting a password.
 *   GET  /sign-in                    publicAccess   the sign-in form (?next=/path to return to)
 *   POST /sign-in                    publicAccess   rate limited (failures); the session id is regenerated
 *   POST /sign-out                   publicAccess   ends and destroys the session (harmless when signed out)
 *   GET  /invitations/:token         publicAccess   the one-time link: choose a name and password
 *   POST /invitations/:token         publicAccess   rate limited
 *   GET  /password-reset             publicAccess   ask for a reset link
 *   POST /password-reset             publicAccess   rate limited; same answer whether the email exists or not
 *   GET  /password-reset/:token      publicAccess   the one-time link: choose a new password
 *   POST /password-reset/:token      publicAccess   rate limited
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Services } from '../services';
import { publicAccess, safeReturnPath } from '../web/access';
import type { WebTools } from '../web/feature-context';
import { emailField, parseForm, type FormValues } from '../web/forms';
import { setFlash } from '../web/locals';
import { SESSION_COOKIE } from '../web/session';
import type { SignedInUser } from '../people';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './passwords';

const emailAddress = emailField('Enter your email address');

const newPasswordField = z
  .string({ error: 'Choose a password' })
  .min(PASSWORD_MIN_LENGTH, `Use at least ${PASSWORD_MIN_LENGTH} characters`)
  .max(PASSWORD_MAX_LENGTH, `Use at most ${PASSWORD_MAX_LENGTH} characters`);

const signInSchema = z.object({
  email: emailAddress,
  password: z.string({ error: 'Enter your password' }).min(1, 'Enter your password').max(PASSWORD_MAX_LENGTH, 'This password is too long'),
  next: z.string().max(2000).optional(),
});

const confirmPasswordField = z.string({ error: 'Type the password again' });
const passwordsMatch = { path: ['confirmPassword'], message: 'The two passwords are not the same' };

const acceptSchema = z
  .object({
    name: z.string({ error: 'Enter your name' }).trim().min(1, 'Enter your name').max(200, 'Names are at most 200 characters'),
    password: newPasswordField,
    confirmPassword: confirmPasswordField,
  })
  .refine((form) => form.password === form.confirmPassword, passwordsMatch);
const resetSchema = z
  .object({ password: newPasswordField, confirmPassword: confirmPasswordField })
  .refine((form) => form.password === form.confirmPassword, passwordsMatch);
const resetRequestSchema = z.object({ email: emailAddress });

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** The token from a one-time link, if it has the right shape (43 characters of base64url). */
function tokenParam(req: Request): string | undefined {
  const token = req.params.token;
  return typeof token === 'string' && TOKEN_PATTERN.test(token) ? token : undefined;
}

interface FormPage {
  values?: FormValues;
  errors?: Record<string, string>;
}

function renderSignIn(res: Response, status: number, page: FormPage & { next?: string; problem?: string }): void {
  res.status(status).render('auth/sign-in', { values: page.values ?? {}, errors: page.errors ?? {}, next: page.next ?? '', problem: page.problem });
}

/** Regenerates the session (a new id: no session fixation) and stores the user id in it. */
function signIn(req: Request, user: SignedInUser): Promise<void> {
  return new Promise((resolve, reject) => {
    req.login(user, (error?: unknown) => (error ? reject(error as Error) : resolve()));
  });
}

function renderExpiredLink(res: Response, purpose: 'invitation' | 'reset'): void {
  res.status(410).render('auth/link-expired', { purpose });
}

export function authRouter({ auth }: Pick<Services, 'auth'>, { passport, rateLimits }: Pick<WebTools, 'passport' | 'rateLimits'>): express.Router {
  const router = express.Router();

  router.get('/sign-in', publicAccess, (req, res) => {
    if (req.user) {
      res.redirect(303, safeReturnPath(req.query.next) ?? '/');
      return;
    }
    renderSignIn(res, 200, { next: safeReturnPath(req.query.next) });
  });

  router.post('/sign-in', publicAccess, ...rateLimits.signIn, (req: Request, res: Response, next: NextFunction) => {
    const form = parseForm(signInSchema, req.body, ['email', 'next']);
    if (!form.ok) {
      renderSignIn(res, 422, { values: form.values, errors: form.errors, next: safeReturnPath(form.values.next) });
      return;
    }
    // Passport reads the validated values, never the raw body.
    req.body = { email: form.data.email, password: form.data.password };
    passport.authenticate('local', (error: unknown, user: SignedInUser | false, info?: { message?: string }) => {
      if (error) {
        next(error);
        return;
      }
      if (!user) {
        const problem =
          info?.message === 'disabled'
            ? 'This account has been turned off. If you think this is a mistake, contact your trainer or an admin.'
            : 'The email address or password is not right. Check them and try again.';
        renderSignIn(res, 401, { values: { email: form.data.email }, next: safeReturnPath(form.data.next), problem });
        return;
      }
      // Trainers land on their teams' completion overview; everyone else on the home page (learners: their dashboard).
      const landing = user.roles.includes('trainer') ? '/reports' : '/';
      signIn(req, user).then(() => res.redirect(303, safeReturnPath(form.data.next) ?? landing), next);
    })(req, res, next);
  });

  router.post('/sign-out', publicAccess, async (req, res, next) => {
    if (req.user) await auth.recordSignOut(req.user, req.ip);
    const sessionId = req.session.id;
    req.logout((logoutError?: unknown) => {
      if (logoutError) {
        next(logoutError);
        return;
      }
      req.session.destroy((destroyError?: unknown) => {
        if (destroyError) {
          next(destroyError);
          return;
        }
        auth.announceSignOut(sessionId).then(() => {
          res.clearCookie(SESSION_COOKIE, { path: '/' });
          res.redirect(303, '/');
        }, next);
      });
    });
  });

  router.get('/invitations/:token', publicAccess, async (req, res) => {
    const token = tokenParam(req);
    const invitation = token ? await auth.findUsableToken(token, 'invitation') : undefined;
    if (!token || !invitation) {
      renderExpiredLink(res, 'invitation');
      return;
    }
    res.render('auth/accept-invitation', { email: invitation.email, token, values: {}, errors: {} });
  });

  router.post('/invitations/:token', publicAccess, rateLimits.passwordReset, async (req, res) => {
    const token = tokenParam(req);
    const invitation = token ? await auth.findUsableToken(token, 'invitation') : undefined;
    if (!token || !invitation) {
      renderExpiredLink(res, 'invitation');
      return;
    }
    const form = parseForm(acceptSchema, req.body, ['name']);
    if (!form.ok) {
      res.status(422).render('auth/accept-invitation', { email: invitation.email, token, values: form.values, errors: form.errors });
      return;
    }
    const user = await auth.acceptInvitation(token, { name: form.data.name, password: form.data.password }, req.ip);
    if (!user) {
      renderExpiredLink(res, 'invitation');
      return;
    }
    await signIn(req, user);
    setFlash(req, 'Welcome. Your account is ready and you are signed in.');
    res.redirect(303, '/');
  });

  router.get('/password-reset', publicAccess, (_req, res) => {
    res.render('auth/reset-request', { values: {}, errors: {}, sent: false });
  });

  router.post('/password-reset', publicAccess, rateLimits.passwordReset, async (req, res) => {
    const form = parseForm(resetRequestSchema, req.body, ['email']);
    if (!form.ok) {
      res.status(422).render('auth/reset-request', { values: form.values, errors: form.errors, sent: false });
      return;
    }
    await auth.requestPasswordReset(form.data.email, { ip: req.ip });
    res.render('auth/reset-request', { values: {}, errors: {}, sent: true, email: form.data.email });
  });

  router.get('/password-reset/:token', publicAccess, async (req, res) => {
    const token = tokenParam(req);
    const reset = token ? await auth.findUsableToken(token, 'password-reset') : undefined;
    if (!token || !reset) {
      renderExpiredLink(res, 'reset');
      return;
    }
    res.render('auth/reset-password', { token, errors: {} });
  });

  router.post('/password-reset/:token', publicAccess, rateLimits.passwordReset, async (req, res) => {
    const token = tokenParam(req);
    if (!token || !(await auth.findUsableToken(token, 'password-reset'))) {
      renderExpiredLink(res, 'reset');
      return;
    }
    const form = parseForm(resetSchema, req.body, []);
    if (!form.ok) {
      res.status(422).render('auth/reset-password', { token, errors: form.errors });
      return;
    }
    if (!(await auth.resetPassword(token, form.data.password, req.ip))) {
      renderExpiredLink(res, 'reset');
      return;
    }
    setFlash(req, 'Your password has been changed. You can sign in with it now.');
    res.redirect(303, '/sign-in');
  });

  return router;
}
