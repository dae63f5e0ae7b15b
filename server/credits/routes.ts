/**
 * Credit and consent pages.
 *   GET  /account/credits                 requireSignIn             how I am credited: each module I contributed to
 *   GET  /account/credits/:id             requireSignIn             choose or change how I am credited there
 *   POST /account/credits/:id             requireSignIn             save the choice (my consent, dated)
 *   POST /account/credits/:id/withdraw    requireSignIn             take my consent back: not named anywhere
 *   GET  /manage/credits/:slug            requireRole(trainer, admin)  a course's contributors (trainers on its team)
 *   POST /manage/credits/:slug            requireRole(trainer, admin)  record someone's contribution to a module
 * Only the person changes their own credit: the service looks credits up by the signed-in person's id.
 */
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { Invalid, NotFound, Unauthorized } from '../errors';
import type { SignedInUser } from '../people';
import type { Services } from '../services';
import { requireRole, requireSignIn } from '../web/access';
import { emailField, objectIdParam, parseForm, type FormValues } from '../web/forms';
import { setFlash } from '../web/locals';
import { CONTRIBUTION_KINDS, DISPLAY_CHOICES } from './model';
import { chooseCreditPage, courseCreditsPage, ownCreditsPage } from './views';

const chooseSchema = z.object({
  display: z.enum(DISPLAY_CHOICES, { error: 'Choose how you want to be credited' }),
  pseudonym: z.string().trim().max(80, 'Use at most 80 characters').default(''),
  about: z.string().trim().max(120, 'Use at most 120 characters').default(''),
  consent: z.literal('yes', { error: 'Tick the box to say you agree to be credited this way' }),
}).refine((form) => form.display !== 'pseudonym' || form.pseudonym !== '', {
  path: ['pseudonym'],
  message: 'Write the name you want to be shown',
  // Checked even when another field failed, so every problem shows at once.
  when: ({ value }) => typeof value === 'object' && value !== null && (value as { display?: unknown }).display === 'pseudonym',
});

const contributionSchema = z.object({
  email: emailField('Enter the email address of the person who contributed'),
  moduleKey: z.string({ error: 'Choose a module of this course' }).trim().min(1, 'Choose a module of this course').max(200),
  kinds: z
    .union([z.enum(CONTRIBUTION_KINDS), z.array(z.enum(CONTRIBUTION_KINDS)).max(CONTRIBUTION_KINDS.length)], { error: 'Choose at least one kind of contribution' })
    .transform((value) => (Array.isArray(value) ? value : [value])),
  about: z.string().trim().max(120, 'Use at most 120 characters').default(''),
});

const slugParam = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/).max(100);

function signedIn(req: Request): SignedInUser {
  if (!req.user) throw new Unauthorized();
  return req.user;
}

export function accountCreditsRouter({ credits }: Pick<Services, 'credits'>): express.Router {
  const router = express.Router();

  const renderChoice = async (req: Request, res: Response, status: number, form: { values?: FormValues; errors?: Record<string, string> } = {}) => {
    const credit = await credits.getOwnCredit(signedIn(req).id, objectIdParam(req, 'id'));
    res.status(status).render('credits/choose', chooseCreditPage(credit, form));
  };

  router.get('/', requireSignIn, async (req, res) => {
    res.render('credits/mine', ownCreditsPage(await credits.listOwnCredits(signedIn(req).id)));
  });

  router.get('/:id', requireSignIn, async (req, res) => {
    await renderChoice(req, res, 200);
  });

  router.post('/:id', requireSignIn, async (req, res) => {
    const id = objectIdParam(req, 'id');
    const form = parseForm(chooseSchema, req.body, ['display', 'pseudonym', 'about']);
    if (!form.ok) {
      await renderChoice(req, res, 422, form);
      return;
    }
    try {
      const saved = await credits.chooseCredit(signedIn(req), id, form.data);
      setFlash(req, `Saved. You are now shown as: ${saved.shownAs}.`);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      await renderChoice(req, res, 422, { values: { display: form.data.display, pseudonym: form.data.pseudonym, about: form.data.about }, errors: error.fields });
      return;
    }
    res.redirect(303, '/account/credits');
  });

  router.post('/:id/withdraw', requireSignIn, async (req, res) => {
    await credits.withdrawCredit(signedIn(req), objectIdParam(req, 'id'));
    setFlash(req, 'You took back your consent. You are not named on this module any more, nor on any certificate.');
    res.redirect(303, '/account/credits');
  });

  return router;
}

export function manageCreditsRouter({ credits, courses }: Pick<Services, 'credits' | 'courses'>): express.Router {
  const router = express.Router();
  const trainers = requireRole('trainer', 'admin');

  const findCourse = async (req: Request) => {
    const slug = slugParam.safeParse(req.params.slug);
    const course = slug.success ? await courses.getCourseBySlug(slug.data) : null;
    if (!course) throw new NotFound('There is no course at this address.');
    return course;
  };

  const render = async (req: Request, res: Response, status: number, form: { values?: FormValues; errors?: Record<string, string> } = {}) => {
    const course = await findCourse(req);
    const listing = await credits.listCourseCredits(signedIn(req), course.id);
    res.status(status).render('credits/manage', courseCreditsPage(course, listing.modules, form));
  };

  router.get('/:slug', trainers, async (req, res) => {
    await render(req, res, 200);
  });

  router.post('/:slug', trainers, async (req, res) => {
    const course = await findCourse(req);
    const fields = ['email', 'moduleKey', 'kinds', 'about'];
    const form = parseForm(contributionSchema, req.body, fields);
    if (!form.ok) {
      await render(req, res, 422, form);
      return;
    }
    try {
      await credits.addContribution(signedIn(req), { courseId: course.id, ...form.data });
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      await render(req, res, 422, { values: { email: form.data.email, moduleKey: form.data.moduleKey, kinds: form.data.kinds, about: form.data.about }, errors: error.fields });
      return;
    }
    setFlash(req, `The contribution is recorded. ${form.data.email} is not named until they choose how, on their own account page.`);
    res.redirect(303, `/manage/credits/${course.slug}`);
  });

  return router;
}
