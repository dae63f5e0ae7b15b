/**
 * Each person's own account page.
 *   GET  /account                       requireSignIn  name, email, password, sign out everywhere, certificates
 *   POST /account/details               requireSignIn  a new name (at once) and email (once confirmed by link)
 *   POST /account/password              requireSignIn  rate limited; asks for the current password; other sessions end
 *   POST /account/sign-out-everywhere   requireSignIn  ends every session of the person, this one too
 *   GET  /account/email/:token          publicAccess   the link sent to the new address: a page with one button
 *   POST /account/email/:token          publicAccess   rate limited; confirms the change (a GET never changes
 *                                                      anything: mail scanners open links)
 */
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../auth/passwords';
import { Invalid, Unauthorized } from '../errors';
import type { Config } from '../config';
import type { SignedInUser } from '../people';
import type { Services } from '../services';
import { publicAccess, requireSignIn } from '../web/access';
import type { WebTools } from '../web/feature-context';
import { emailField, parseForm, type FormValues } from '../web/forms';
import { setFlash } from '../web/locals';
import { accountPage } from './views';

const detailsSchema = z.object({
  name: z.string({ error: 'Enter your name' }).trim().min(1, 'Enter your name').max(200, 'Names are at most 200 characters'),
  email: emailField('Enter your email address'),
});

const passwordSchema = z
  .object({
    currentPassword: z.string({ error: 'Enter your current password' }).min(1, 'Enter your current password').max(PASSWORD_MAX_LENGTH, 'This password is too long'),
    password: z
      .string({ error: 'Choose a new password' })
      .min(PASSWORD_MIN_LENGTH, `Use at least ${PASSWORD_MIN_LENGTH} characters`)
      .max(PASSWORD_MAX_LENGTH, `Use at most ${PASSWORD_MAX_LENGTH} characters`),
    confirmPassword: z.string({ error: 'Type the new password again' }),
  })
  .refine((form) => form.password === form.confirmPassword, { path: ['confirmPassword'], message: 'The two passwords are not the same' });

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

function signedIn(req: Request): SignedInUser {
  if (!req.user) throw new Unauthorized();
  return req.user;
}

function tokenParam(req: Request): string | undefined {
  const token = req.params.token;
  return typeof token === 'string' && TOKEN_PATTERN.test(token) ? token : undefined;
}

/** Ends this request's sign-in (the session id changes), keeping a session for the message on the next page. */
function logOut(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.logout((error?: unknown) => (error ? reject(error as Error) : resolve())));
}

export function accountRouter({ account }: Pick<Services, 'account'>, { rateLimits }: Pick<WebTools, 'rateLimits'>, config: Pick<Config, 'baseUrl'>): express.Router {
  const router = express.Router();

  const render = async (req: Request, res: Response, status: number, form: { values?: FormValues; errors?: Record<string, string> } = {}) => {
    const own = await account.accountOf(signedIn(req));
    res.status(status).render('account/index', accountPage(own, { baseUrl: config.baseUrl, ...form }));
  };

  router.get('/', requireSignIn, async (req, res) => {
    await render(req, res, 200);
  });

  router.post('/details', requireSignIn, async (req, res) => {
    const form = parseForm(detailsSchema, req.body, ['name', 'email']);
    if (!form.ok) {
      await render(req, res, 422, form);
      return;
    }
    try {
      const outcome = await account.changeDetails(signedIn(req), form.data, { ip: req.ip });
      const messages = [outcome.nameChanged ? 'Your name is saved.' : ''];
      if (outcome.confirmationSentTo) {
        messages.push(`We sent a link to ${outcome.confirmationSentTo}. Open it to start using that address. Until then, your email address stays the same.`);
      }
      setFlash(req, messages.filter(Boolean).join(' ') || 'Nothing has changed.');
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      await render(req, res, 422, { values: { name: form.data.name, email: form.data.email }, errors: error.fields });
      return;
    }
    res.redirect(303, '/account');
  });

  router.post('/password', requireSignIn, rateLimits.passwordReset, async (req, res) => {
    const form = parseForm(passwordSchema, req.body, []);
    if (!form.ok) {
      await render(req, res, 422, form);
      return;
    }
    try {
      const version = await account.changePassword(signedIn(req), form.data, { ip: req.ip, sessionId: req.session.id });
      // This session stays signed in under the new version; every other one has ended.
      req.session.signedInVersion = version;
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      await render(req, res, 422, { errors: error.fields });
      return;
    }
    setFlash(req, 'Your new password is saved. You are signed out on every other device.');
    res.redirect(303, '/account');
  });

  router.post('/sign-out-everywhere', requireSignIn, async (req, res) => {
    await account.signOutEverywhere(signedIn(req), { ip: req.ip });
    await logOut(req);
    setFlash(req, 'You are signed out on every device, this one too.');
    res.redirect(303, '/sign-in');
  });

  router.get('/email/:token', publicAccess, async (req, res) => {
    const token = tokenParam(req);
    const change = token ? await account.pendingEmailChange(token) : undefined;
    if (!token || !change) {
      res.status(410).render('auth/link-expired', { purpose: 'email' });
      return;
    }
    res.render('account/confirm-email', { title: 'Confirm your new email address', token, newEmail: change.newEmail });
  });

  router.post('/email/:token', publicAccess, rateLimits.passwordReset, async (req, res) => {
    const token = tokenParam(req);
    const changed = token ? await account.confirmEmailChange(token, { ip: req.ip }) : undefined;
    if (!changed) {
      res.status(410).render('auth/link-expired', { purpose: 'email' });
      return;
    }
    setFlash(req, `Your email address is now ${changed.email}. Use it when you sign in.`);
    res.redirect(303, req.user ? '/account' : '/sign-in');
  });

  return router;
}
