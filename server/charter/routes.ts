/**
 * The co-production charter.
 *   GET  /charter                          requireSignIn         the current charter; asks co-facilitators to accept it
 *   POST /charter/accept                   requireSignIn         accept the version shown (recorded with its date)
 *   GET  /admin/charter                    requireRole(admin)    edit it (a new version), its history, who accepted
 *   POST /admin/charter                    requireRole(admin)    publish a new version
 *   GET  /admin/charter/versions/:version  requireRole(admin)    one past version's text
 */
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { Conflict, Invalid, NotFound, Unauthorized } from '../errors';
import type { SignedInUser } from '../people';
import type { Services } from '../services';
import { requireRole, requireSignIn, safeReturnPath } from '../web/access';
import { parseForm, type FormValues } from '../web/forms';
import { setFlash } from '../web/locals';
import { CHARTER_TEXT_MAX } from './service';
import { adminCharterPage, charterPage, charterVersionPage } from './views';

const acceptSchema = z.object({
  version: z.coerce.number().int().positive(),
  next: z.string().max(2000).optional(),
});

const publishSchema = z.object({
  text: z.string({ error: 'Write the charter text' }).trim().min(1, 'Write the charter text').max(CHARTER_TEXT_MAX, `Use at most ${CHARTER_TEXT_MAX} characters`),
  changeNote: z
    .string({ error: 'Say in a few words what changed' })
    .trim()
    .min(1, 'Say in a few words what changed, so people know what to read')
    .max(500, 'Use at most 500 characters'),
  basedOn: z.coerce.number().int().positive(),
});

function signedIn(req: Request): SignedInUser {
  if (!req.user) throw new Unauthorized();
  return req.user;
}

export function charterRouter({ charter }: Pick<Services, 'charter'>): express.Router {
  const router = express.Router();

  router.get('/', requireSignIn, async (req, res) => {
    const user = signedIn(req);
    const [current, accepted, required] = await Promise.all([charter.currentCharter(), charter.acceptanceOf(user.id), charter.mustAcceptCharter(user)]);
    const next = safeReturnPath(typeof req.query.next === 'string' ? req.query.next : undefined) ?? '';
    res.render('charter/show', charterPage(current, accepted, required, next));
  });

  router.post('/accept', requireSignIn, async (req, res) => {
    const parsed = acceptSchema.safeParse(req.body);
    if (!parsed.success) throw new Invalid({ version: 'This is not a version of the charter' });
    const next = safeReturnPath(parsed.data.next);
    try {
      await charter.acceptCharter(signedIn(req), parsed.data.version);
    } catch (error) {
      if (!(error instanceof Conflict)) throw error;
      setFlash(req, error.message);
      res.redirect(303, next ? `/charter?next=${encodeURIComponent(next)}` : '/charter');
      return;
    }
    setFlash(req, `Thank you. You accepted version ${parsed.data.version} of the charter.`);
    res.redirect(303, next ?? '/charter');
  });

  return router;
}

export function adminCharterRouter({ charter }: Pick<Services, 'charter'>): express.Router {
  const router = express.Router();
  const admins = requireRole('admin');

  const render = async (res: Response, status: number, form: { values?: FormValues; errors?: Record<string, string>; problem?: string } = {}) => {
    const [current, history, acceptances] = await Promise.all([charter.currentCharter(), charter.listCharterVersions(), charter.listAcceptances()]);
    res.status(status).render('charter/admin', adminCharterPage(current, history, acceptances, form));
  };

  router.get('/', admins, async (_req, res) => {
    await render(res, 200);
  });

  router.post('/', admins, async (req, res) => {
    const form = parseForm(publishSchema, req.body, ['text', 'changeNote', 'basedOn']);
    if (!form.ok) {
      await render(res, 422, form);
      return;
    }
    const values = { text: form.data.text, changeNote: form.data.changeNote, basedOn: String(form.data.basedOn) };
    try {
      const published = await charter.publishCharter(signedIn(req), form.data);
      setFlash(req, `Version ${published.version} of the charter is published. Co-facilitators are asked to accept it the next time they open an authoring page.`);
    } catch (error) {
      if (error instanceof Invalid) {
        await render(res, 422, { values, errors: error.fields });
        return;
      }
      if (error instanceof Conflict) {
        await render(res, 409, { values, problem: error.message });
        return;
      }
      throw error;
    }
    res.redirect(303, '/admin/charter');
  });

  router.get('/versions/:version', admins, async (req, res) => {
    const version = z.coerce.number().int().positive().safeParse(req.params.version);
    if (!version.success) throw new NotFound('There is no version of the charter with this number.');
    res.render('charter/version', charterVersionPage(await charter.getCharterVersion(version.data)));
  });

  return router;
}
