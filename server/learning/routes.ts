/**
 * The learner's pages. Every route needs a signed-in person; what they read and change is always their own
 * enrolment, looked up by their id (never by an id in the request).
 *   GET  /dashboard                                         requireSignIn  assigned, in progress, completed
 *   GET  /courses                                           requireSignIn  the catalogue of published courses
 *   GET  /courses/:slug                                     requireSignIn  overview: modules, credits, start/continue
 *   (GET /courses/:slug/modules/:moduleKey, the module page, is served by ../feedback/routes.ts: it adds the notes.)
 *   POST /courses/:slug/start                               requireSignIn  enrol (again is harmless), then continue
 *   POST /courses/:slug/retake                              requireSignIn  a new round of a finished course due again
 *   GET  /courses/:slug/continue                            requireSignIn  redirect to the last position
 *   POST /courses/:slug/switch-version                      requireSignIn  move onto the newly published version
 *   GET  /learn/:slug/:moduleKey/:lessonKey                 requireSignIn  the lesson page
 *   POST /learn/:slug/:moduleKey/:lessonKey/done            requireSignIn  mark the lesson's reading as done
 *   POST /learn/:slug/:moduleKey/:lessonKey/blocks/done     requireSignIn  mark one reading block as done
 *   POST /learn/:slug/:moduleKey/:lessonKey/check           requireSignIn  answer a knowledge check (scored here)
 *   POST /learn/:slug/:moduleKey/:lessonKey/reflection      requireSignIn  save a reflection (form or autosave JSON)
 *   GET  /learners/:learnerId/courses/:slug/reflections     requireSignIn  the learner, or a trainer of their team
 */
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import type { CheckAnswers } from '../assessment/scoring';
import { requireSignIn } from '../web/access';
import { Conflict, Invalid, NotFound, Unauthorized } from '../errors';
import { wantsJson } from '../web/errors';
import { setFlash } from '../web/locals';
import type { Services } from '../services';
import type { Learner, LearningService, ProgressOutcome } from './service';
import type { Preferences } from '../people';
import { withRenderedFragments, type LessonFragmentCache, type RenderView } from './lesson-fragments';
import { buildLessonView, courseHref, lessonHref, lessonPath, type LessonViewOptions } from './views';

const key = z.string().min(1).max(200);
const lessonParams = z.object({ slug: key, moduleKey: key, lessonKey: key });
const courseParams = z.object({ slug: key });
const blockBody = z.object({ block: key });
const reflectionBody = z.object({ block: key, reflection: z.string().max(100_000).default('') });
const answerValue = z.union([z.string().max(200), z.array(z.string().max(200)).max(50)]);
const checkBody = z.object({ block: key }).catchall(z.unknown());

function learnerOf(req: Request): Learner {
  if (!req.user) throw new Unauthorized();
  return { id: req.user.id, name: req.user.name || req.user.email };
}

/**
 * The parts of an address (`req.params`): one that does not fit names no page here, so it is a 404, as for any
 * other address that leads nowhere (a 422 would say the person typed something wrong into a form).
 */
function parseAddress<T>(schema: z.ZodType<T>, params: unknown): T {
  const parsed = schema.safeParse(params);
  if (!parsed.success) throw new NotFound();
  return parsed.data;
}

/** A form or JSON body: what does not fit is a 422 naming the field. */
function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Invalid(Object.fromEntries(parsed.error.issues.map((issue) => [issue.path.join('.') || 'form', 'This value is not valid'])));
  return parsed.data;
}

/** Check answers arrive as `q:<question key>` fields: one value for a single choice, several for "tick all". */
function readAnswers(body: Record<string, unknown>): CheckAnswers {
  const answers: CheckAnswers = {};
  for (const [field, value] of Object.entries(body)) {
    if (!field.startsWith('q:')) continue;
    const parsed = answerValue.safeParse(value);
    if (!parsed.success) throw new Invalid({ [field]: 'This answer is not valid' });
    answers[field.slice(2)] = Array.isArray(parsed.data) ? parsed.data : [parsed.data];
  }
  return answers;
}

const FINISHED_MESSAGE = 'You have finished the course. Your certificate is ready.';

function finishedFlash(req: Request, outcome: ProgressOutcome): void {
  if (outcome.courseCompleted) setFlash(req, FINISHED_MESSAGE);
}

/** Renders one template with the app's view engine and its template cache, to a string. */
function renderViewOf(req: Request): RenderView {
  return (view, locals) =>
    new Promise((resolve, reject) => req.app.render(view, locals, (error: Error | null, html?: string) => (error ? reject(error) : resolve(html ?? ''))));
}

async function renderLesson(
  { learning, lessonFragments }: { learning: Pick<LearningService, 'loadLesson'>; lessonFragments: LessonFragmentCache },
  req: Request,
  res: Response,
  status: number,
  options: LessonViewOptions,
): Promise<void> {
  const params = parseAddress(lessonParams, req.params);
  const learner = learnerOf(req);
  const context = await learning.loadLesson(learner, params.slug, params.moduleKey, params.lessonKey, { withAttempts: Boolean(options.resultFor) });
  if (!context) {
    res.redirect(303, courseHref(params.slug));
    return;
  }
  const built = buildLessonView(context, options);
  // With templates cached (as `npm start` runs), the parts that look the same every time are rendered once and kept.
  const lesson = req.app.enabled('view cache')
    ? await withRenderedFragments(built, context, {
        cache: lessonFragments,
        render: renderViewOf(req),
        captionsOff: Boolean((res.locals.preferences as Preferences | undefined)?.captionsOff),
      })
    : built;
  res.status(status).render('learning/lesson', { title: `${lesson.title}: ${lesson.courseTitle}`, lesson, pageClass: 'main--wide' });
}

export function learningRouter({
  learning,
  learnerPages: pages,
  assignments,
  lessonFragments,
}: Pick<Services, 'learning' | 'learnerPages' | 'assignments' | 'lessonFragments'>): express.Router {
  const router = express.Router();
  const lessonPage = { learning, lessonFragments };

  router.get('/dashboard', requireSignIn, async (req, res) => {
    res.render('learning/dashboard', { title: 'My courses', dashboard: await pages.dashboardFor(learnerOf(req), await assignments.statusesForLearner(learnerOf(req).id)) });
  });

  router.get('/courses', requireSignIn, async (req, res) => {
    res.render('learning/catalogue', { title: 'Course catalogue', courses: await pages.catalogueFor(learnerOf(req)) });
  });

  router.get('/courses/:slug', requireSignIn, async (req, res) => {
    const { slug } = parseAddress(courseParams, req.params);
    const course = await pages.courseOverviewFor(learnerOf(req), slug, await assignments.statusesForLearner(learnerOf(req).id));
    res.render('learning/course', { title: course.title, course });
  });

  router.post('/courses/:slug/start', requireSignIn, async (req, res) => {
    const { slug } = parseAddress(courseParams, req.params);
    const learner = learnerOf(req);
    await learning.enrol(learner, slug);
    res.redirect(303, await pages.continueHrefFor(learner, slug));
  });

  // A new round of a finished course whose certificate has expired (or expires soon) under an assignment.
  router.post('/courses/:slug/retake', requireSignIn, async (req, res) => {
    const { slug } = parseAddress(courseParams, req.params);
    const learner = learnerOf(req);
    const enrolment = await learning.findEnrolment(learner, slug);
    if (!enrolment?.completedAt || !(await assignments.retakeAllowed(learner.id, enrolment.course.toString()))) {
      throw new Conflict('This course is not due again yet, so there is nothing to take again.');
    }
    const round = await learning.startNewRound(learner, slug);
    setFlash(req, `You are taking the course again (version ${round.version}). Your earlier certificate is still on your account page.`);
    res.redirect(303, await pages.continueHrefFor(learner, slug));
  });

  router.get('/courses/:slug/continue', requireSignIn, async (req, res) => {
    const { slug } = parseAddress(courseParams, req.params);
    res.redirect(303, await pages.continueHrefFor(learnerOf(req), slug));
  });

  router.post('/courses/:slug/switch-version', requireSignIn, async (req, res) => {
    const { slug } = parseAddress(courseParams, req.params);
    const outcome = await learning.switchToPublishedVersion(learnerOf(req), slug);
    setFlash(
      req,
      outcome.courseCompleted
        ? FINISHED_MESSAGE
        : `You are now taking version ${outcome.version}. Your progress on parts that did not change is kept.`,
    );
    res.redirect(303, courseHref(slug));
  });

  router.get('/learn/:slug/:moduleKey/:lessonKey', requireSignIn, async (req, res) => {
    const result = typeof req.query.result === 'string' ? req.query.result.slice(0, 200) : undefined;
    await renderLesson(lessonPage, req, res, 200, { resultFor: result });
  });

  router.post('/learn/:slug/:moduleKey/:lessonKey/done', requireSignIn, async (req, res) => {
    const params = parseAddress(lessonParams, req.params);
    const learner = learnerOf(req);
    const outcome = await learning.completeLessonReading(learner, params.slug, params.moduleKey, params.lessonKey);
    finishedFlash(req, outcome);
    res.redirect(303, outcome.next && !outcome.courseCompleted ? lessonHref(params.slug, outcome.next) : courseHref(params.slug));
  });

  router.post('/learn/:slug/:moduleKey/:lessonKey/blocks/done', requireSignIn, async (req, res) => {
    const params = parseAddress(lessonParams, req.params);
    const { block } = parse(blockBody, req.body);
    const outcome = await learning.completeBlock(learnerOf(req), params, block);
    if (wantsJson(req)) {
      res.json({ done: true, courseCompleted: outcome.courseCompleted });
      return;
    }
    finishedFlash(req, outcome);
    res.redirect(303, lessonPath(params.slug, params.moduleKey, params.lessonKey));
  });

  router.post('/learn/:slug/:moduleKey/:lessonKey/check', requireSignIn, async (req, res) => {
    const params = parseAddress(lessonParams, req.params);
    const body = parse(checkBody, req.body);
    const answers = readAnswers(body);
    try {
      const outcome = await learning.submitCheck(learnerOf(req), params, body.block, answers);
      finishedFlash(req, outcome);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      // Questions left unanswered: show the same lesson with what they chose and an error by each question.
      const errors = Object.fromEntries(Object.entries(error.fields).map(([field, message]) => [field.replace(/^q-/, ''), message]));
      await renderLesson(lessonPage, req, res, 422, { incomplete: { blockKey: body.block, chosen: answers, errors } });
      return;
    }
    const base = lessonPath(params.slug, params.moduleKey, params.lessonKey);
    res.redirect(303, `${base}?result=${encodeURIComponent(body.block)}#result`);
  });

  router.post('/learn/:slug/:moduleKey/:lessonKey/reflection', requireSignIn, async (req, res) => {
    const params = parseAddress(lessonParams, req.params);
    const body = parse(reflectionBody, req.body);
    const json = wantsJson(req);
    try {
      const outcome = await learning.saveReflection(learnerOf(req), params, body.block, body.reflection);
      if (json) {
        res.json({ saved: true, savedAt: outcome.savedAt.toISOString(), courseCompleted: outcome.courseCompleted });
        return;
      }
      setFlash(req, outcome.courseCompleted ? `Your reflection is saved. ${FINISHED_MESSAGE}` : 'Your reflection is saved.');
    } catch (error) {
      if (!(error instanceof Invalid) || json) throw error;
      const message = Object.values(error.fields)[0] ?? error.message;
      await renderLesson(lessonPage, req, res, 422, { reflectionError: { blockKey: body.block, text: body.reflection, error: message } });
      return;
    }
    const base = lessonPath(params.slug, params.moduleKey, params.lessonKey);
    res.redirect(303, base);
  });

  router.get('/learners/:learnerId/courses/:slug/reflections', requireSignIn, async (req, res) => {
    const { learnerId, slug } = parseAddress(z.object({ learnerId: key, slug: key }), req.params);
    const view = await pages.reflectionsFor(learnerOf(req), learnerId, slug);
    res.render('learning/reflections', { title: `Reflections: ${view.learnerName}`, view });
  });

  return router;
}
