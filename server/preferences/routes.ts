/**
 * Preferences: text size, colours, reduced motion, a readable font and captions, for everyone (signed in or not).
 *   GET  /preferences   publicAccess   the form, with a sample showing the saved look
 *   POST /preferences   publicAccess   saves to the person's account when signed in, and always to a cookie,
 *                                      so the choices also apply on the sign-in page and before an account exists
 * CSRF protection applies to the POST like every other form (the app-wide middleware).
 */
import express, { type Request, type Response } from 'express';
import { publicAccess } from '../web/access';
import { PREFERENCES_COOKIE, setFlash } from '../web/locals';
import type { Services } from '../services';
import type { Preferences } from '../people';
import { preferencesPage, readPreferencesForm } from './form';

const ONE_YEAR_MS = 365 * 24 * 60 * 60 * 1000;

function savedPreferences(res: Response): Preferences {
  return res.locals.preferences as Preferences;
}

export function preferencesRouter({ users }: Pick<Services, 'users'>, options: { production: boolean }): express.Router {
  const router = express.Router();

  const rememberInCookie = (res: Response, preferences: Preferences): void => {
    res.cookie(PREFERENCES_COOKIE, JSON.stringify(preferences), {
      httpOnly: true,
      sameSite: 'lax',
      secure: options.production,
      path: '/',
      maxAge: ONE_YEAR_MS,
    });
  };

  router.get('/preferences', publicAccess, (req: Request, res: Response) => {
    res.render('preferences/index', preferencesPage({ saved: savedPreferences(res), signedIn: Boolean(req.user) }));
  });

  router.post('/preferences', publicAccess, async (req: Request, res: Response) => {
    const form = readPreferencesForm(req.body);
    if (!form.ok) {
      res
        .status(422)
        .render(
          'preferences/index',
          preferencesPage({ saved: savedPreferences(res), values: form.values, errors: form.errors, signedIn: Boolean(req.user) }),
        );
      return;
    }
    if (req.user) {
      await users.updateUserPreferences(req.user.id, form.preferences);
    }
    rememberInCookie(res, form.preferences);
    setFlash(req, 'Your preferences are saved. They now apply to every page.');
    res.redirect(303, '/preferences');
  });

  return router;
}
