/**
 * Review of a course's draft, its history and lesson differences. Mounted at /manage/courses.
 *   GET  /:slug/review                              co-facilitator, trainer, admin   the draft, its keys, the publish check, comments beside each lesson
 *   POST /:slug/review/submit                       co-facilitator, trainer          submit the draft for review
 *   POST /:slug/review/comments                     co-facilitator, trainer          a new comment on a lesson, or a reply (replyTo)
 *   POST /:slug/review/comments/:id/resolve|reopen  co-facilitator, trainer          mark a thread resolved, or open it again
 *   POST /:slug/review/approve                      co-facilitator, trainer          approve exactly the content shown, as the key you hold
 *   POST /:slug/review/publish                      co-facilitator, trainer          publish once both keys are valid and nothing is missing
 *   POST /:slug/review/two-key                      admin                            the organisation setting: two keys, or a trainer's approval
 *   GET  /:slug/history                             co-facilitator, trainer, admin   every version: who wrote, approved and published it
 *   GET  /:slug/history/lessons?lesson&from&to      co-facilitator, trainer, admin   the difference between two versions of a lesson
 * The role guards let the right kinds of people in; the review service then allows only the course's authoring
 * team and trainers (admins may read), and only the holders of a key approve.
 */
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import type { Services } from '../services';
import { Invalid, NotFound } from '../errors';
import { requireRole } from '../web/access';
import { setFlash } from '../web/locals';
import type { SignedInUser } from '../people';
import type { ReviewBy, Reviewer } from './service';
import { historyPageModel, lessonDiffPageModel, reviewHref, reviewPageModel, type CommentFormError } from './views';

const slugParam = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/).max(100);
const versionField = z.coerce.number().int().positive();
const hashField = z.string().regex(/^[0-9a-f]{64}$/);
const lessonId = z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/).max(201);

const versionForm = z.object({ version: versionField, contentHash: hashField });
const approveForm = versionForm.extend({ as: z.enum(['trainer', 'lived-experience']) });
const MAX_COMMENT = 5000;
const commentForm = z.object({
  version: versionField,
  lesson: lessonId.optional(),
  replyTo: z.string().regex(/^[0-9a-f]{24}$/).optional(),
  body: z.string().max(100_000).default(''),
});
const twoKeyForm = z.object({ twoKeyPublish: z.enum(['on', 'off']) });
const diffQuery = z.object({ lesson: lessonId.optional(), from: versionField.optional(), to: versionField.optional() });

function reviewer(req: Request): Reviewer {
  const user = req.user as SignedInUser;
  return { id: user.id, email: user.email, roles: user.roles };
}

function by(req: Request): ReviewBy {
  return { user: reviewer(req), ip: req.ip };
}

export function reviewRouter({ courses, review }: Pick<Services, 'courses' | 'review'>): express.Router {
  const router = express.Router();
  const readers = requireRole('co-facilitator', 'trainer', 'admin');
  const takingPart = requireRole('co-facilitator', 'trainer');
  const admins = requireRole('admin');

  async function findCourse(slugValue: unknown) {
    const slug = slugParam.safeParse(slugValue);
    const course = slug.success ? await courses.getCourseBySlug(slug.data) : null;
    if (!course) throw new NotFound('There is no course at this address.');
    return course;
  }

  async function renderReview(req: Request, res: Response, courseId: string, formError: CommentFormError | null = null) {
    const state = await review.reviewState(courseId, reviewer(req));
    res.status(formError ? 422 : 200).render('review/review', reviewPageModel(state, reviewer(req).id, formError));
  }

  router.get('/:slug/review', readers, async (req: Request, res: Response) => {
    const course = await findCourse(req.params.slug);
    await renderReview(req, res, course.id);
  });

  router.post('/:slug/review/submit', takingPart, async (req: Request, res: Response) => {
    const course = await findCourse(req.params.slug);
    const form = versionForm.pick({ version: true }).safeParse(req.body);
    if (!form.success) throw new Invalid({ version: 'Submit the draft from its review page.' });
    await review.submitDraft(by(req), course.id, form.data.version);
    setFlash(req, `Version ${form.data.version} is submitted for review. The authoring team and trainers can now comment and approve.`);
    res.redirect(303, reviewHref(course.slug));
  });

  router.post('/:slug/review/comments', takingPart, async (req: Request, res: Response) => {
    const course = await findCourse(req.params.slug);
    const form = commentForm.safeParse(req.body);
    if (!form.success || (!form.data.lesson && !form.data.replyTo)) throw new Invalid({ lesson: 'Write your comment beside a lesson on the review page.' });
    const body = form.data.body.replace(/\r\n/g, '\n').trim();
    const which = form.data.replyTo ? `reply:${form.data.replyTo}` : `lesson:${form.data.lesson ?? ''}`;
    if (body.length === 0 || body.length > MAX_COMMENT) {
      const message = body.length === 0 ? 'Write your comment before sending it.' : `Keep a comment under ${MAX_COMMENT} characters (this one has ${body.length}).`;
      await renderReview(req, res, course.id, { form: which, body: form.data.body, message });
      return;
    }
    const id = await review.addComment(by(req), course.id, { version: form.data.version, lesson: form.data.lesson ?? '', body, replyTo: form.data.replyTo });
    setFlash(req, form.data.replyTo ? 'Your reply is saved.' : 'Your comment is saved.');
    res.redirect(303, `${reviewHref(course.slug)}#comment-${form.data.replyTo ?? id}`);
  });

  for (const [action, resolved] of [['resolve', true], ['reopen', false]] as const) {
    router.post(`/:slug/review/comments/:commentId/${action}`, takingPart, async (req: Request, res: Response) => {
      const course = await findCourse(req.params.slug);
      const commentId = String(req.params.commentId);
      await review.setThreadResolved(by(req), course.id, commentId, resolved);
      setFlash(req, resolved ? 'The comment is marked resolved.' : 'The comment is open again.');
      res.redirect(303, `${reviewHref(course.slug)}#comment-${commentId}`);
    });
  }

  router.post('/:slug/review/approve', takingPart, async (req: Request, res: Response) => {
    const course = await findCourse(req.params.slug);
    const form = approveForm.safeParse(req.body);
    if (!form.success) throw new Invalid({ version: 'Approve the draft from its review page.' });
    await review.approveDraft(by(req), course.id, form.data);
    setFlash(req, `You approved version ${form.data.version} as it is now. If the draft changes, your approval no longer counts.`);
    res.redirect(303, reviewHref(course.slug));
  });

  router.post('/:slug/review/publish', takingPart, async (req: Request, res: Response) => {
    const course = await findCourse(req.params.slug);
    const form = versionForm.safeParse(req.body);
    if (!form.success) throw new Invalid({ version: 'Publish the draft from its review page.' });
    const published = await review.publishDraft(by(req), course.id, form.data);
    setFlash(req, `Version ${published.version} of "${published.title}" is published. New learners start it now.`);
    res.redirect(303, `/manage/courses/${course.slug}`);
  });

  router.post('/:slug/review/two-key', admins, async (req: Request, res: Response) => {
    const course = await findCourse(req.params.slug);
    const form = twoKeyForm.safeParse(req.body);
    if (!form.success) throw new Invalid({ twoKeyPublish: 'Choose how this course is published.' });
    await review.setTwoKeyPublish(by(req), course.id, form.data.twoKeyPublish === 'on');
    setFlash(req, form.data.twoKeyPublish === 'on' ? 'This course now needs two keys to publish.' : 'A trainer\'s approval is now enough to publish this course.');
    res.redirect(303, reviewHref(course.slug));
  });

  router.get('/:slug/history', readers, async (req: Request, res: Response) => {
    const course = await findCourse(req.params.slug);
    const history = await review.history(course.id, reviewer(req));
    res.render('review/history', historyPageModel({ course, entries: history.entries, names: history.names }));
  });

  router.get('/:slug/history/lessons', readers, async (req: Request, res: Response) => {
    const course = await findCourse(req.params.slug);
    const query = diffQuery.safeParse(req.query);
    if (!query.success) throw new NotFound('Choose a lesson and two versions from the list.');
    const comparison = await review.compareLesson(course.id, reviewer(req), query.data);
    res.render('review/lesson-diff', lessonDiffPageModel(course, comparison));
  });

  return router;
}
