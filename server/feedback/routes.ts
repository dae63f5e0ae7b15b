/**
 * The feedback loop's pages.
 * Learners (any signed-in person; what they write is always their own, found by their id):
 *   GET  /courses/:slug/modules/:moduleKey                       requireSignIn  the module page with its notes
 *   GET  /courses/:slug/modules/:moduleKey/feedback              requireSignIn  end-of-module feedback form
 *   POST /courses/:slug/modules/:moduleKey/feedback              requireSignIn  send (again: update) it
 *   GET  /learn/:slug/:moduleKey/:lessonKey/flag                 requireSignIn  flag a lesson (the page without the disclosure)
 *   POST /learn/:slug/:moduleKey/:lessonKey/flag                 requireSignIn  "this was unclear" / "this is wrong"
 *   GET  /courses/:slug/versions/:version/:moduleKey/:lessonKey  requireSignIn  a lesson in a published version, to read
 * The board (trainers; co-facilitators on the course's authoring team, checked by the service):
 *   GET  /feedback                                               the courses with feedback to look at
 *   GET  /feedback/courses/:courseId                             the board: by module and version, figures, charts
 *   GET  /feedback/courses/:courseId/figures.csv                 the loop-closure figures as CSV (audited)
 *   GET  /feedback/courses/:courseId/items/:itemId               one item: decide, comment
 *   POST /feedback/courses/:courseId/items/:itemId/status        move it (trainers)
 *   POST /feedback/courses/:courseId/items/:itemId/comments      comment
 *   POST /feedback/courses/:courseId/revisions                   open a revision from new items (trainers)
 *   GET  /feedback/courses/:courseId/revisions/:revisionId       a revision and its note
 *   POST /feedback/courses/:courseId/revisions/:revisionId/note  publish "you said, we did"
 */
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { Invalid, NotFound, Unauthorized } from '../errors';
import type { Learner } from '../learning/service';
import type { SignedInUser } from '../people';
import { toCsv } from '../reports/exports';
import type { Services } from '../services';
import { currentUser, requireRole, requireSignIn } from '../web/access';
import { keptValues, type FormValues } from '../web/forms';
import { setFlash } from '../web/locals';
import { FEEDBACK_STATUSES, FLAG_KINDS, type FeedbackStatus } from './model';
import { modulePageHref } from './learner';
import { MAX_COMMENT_LENGTH, MAX_REASON_LENGTH } from './board';
import { MAX_SUMMARY_LENGTH } from './loop';
import { boardHref, boardView, formatDay, itemCard, itemHref, revisionHref, STATUS_LABELS } from './views';

const key = z.string().min(1).max(200);
const objectId = z.string().regex(/^[a-f0-9]{24}$/);
const moduleParams = z.object({ slug: key, moduleKey: key });
const lessonParams = z.object({ slug: key, moduleKey: key, lessonKey: key });
const versionParams = z.object({ slug: key, version: z.coerce.number().int().min(1).max(1_000_000), moduleKey: key, lessonKey: key });
const courseParams = z.object({ courseId: objectId });
const itemParams = z.object({ courseId: objectId, itemId: objectId });
const revisionParams = z.object({ courseId: objectId, revisionId: objectId });

/** A 1-5 answer from radios: empty means not answered. */
const scaleAnswer = z.preprocess((value) => (value === '' || value === undefined ? null : value), z.coerce.number().int().min(1).max(5).nullable());
const list = z.preprocess((value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]), z.array(z.string().max(200)).max(500));

const moduleFeedbackBody = z.object({
  rating: scaleAnswer,
  confidenceBefore: scaleAnswer,
  confidenceAfter: scaleAnswer,
  mostUseful: z.string().max(2000, 'Keep this under 2,000 characters').default(''),
  shouldChange: z.string().max(2000, 'Keep this under 2,000 characters').default(''),
  nameToTeam: z.preprocess((value) => value === 'yes', z.boolean()),
});
const MODULE_FIELDS = ['rating', 'confidenceBefore', 'confidenceAfter', 'mostUseful', 'shouldChange', 'nameToTeam'] as const;

const flagBody = z.object({
  flag: z.enum(FLAG_KINDS, { error: 'Choose "This was unclear" or "This is wrong"' }),
  note: z.string().max(500, 'Keep the note under 500 characters').default(''),
});

const statusBody = z.object({
  status: z.enum(FEEDBACK_STATUSES, { error: 'Choose what happens with this feedback' }),
  reason: z.string().max(MAX_REASON_LENGTH, `Keep the reason under ${MAX_REASON_LENGTH} characters`).default(''),
});
const commentBody = z.object({ comment: z.string().max(MAX_COMMENT_LENGTH, `Keep the comment under ${MAX_COMMENT_LENGTH} characters`).default('') });
const revisionBody = z.object({ items: list });
const noteBody = z.object({
  summary: z.string().max(MAX_SUMMARY_LENGTH, `Keep it under ${MAX_SUMMARY_LENGTH} characters`).default(''),
  items: list,
  lessons: list,
  coAuthors: list,
});

function learnerOf(req: Request): Learner {
  if (!req.user) throw new Unauthorized();
  return { id: req.user.id, name: req.user.name || req.user.email };
}

function address<T>(schema: z.ZodType<T>, params: unknown): T {
  const parsed = schema.safeParse(params);
  if (!parsed.success) throw new NotFound();
  return parsed.data;
}

/** A form body: what does not fit is an Invalid naming each field (the route re-renders its page with it). */
function formOf<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(typeof body === 'object' && body !== null ? body : {});
  if (parsed.success) return parsed.data;
  const errors: Record<string, string> = {};
  for (const issue of parsed.error.issues) errors[String(issue.path[0] ?? 'form')] ??= issue.message;
  throw new Invalid(errors);
}

/** Runs a form's action; an Invalid re-renders the form's page with 422, the values kept and the errors. */
async function withForm(res: Response, action: () => Promise<void>, rerender: (errors: Record<string, string>) => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (!(error instanceof Invalid)) throw error;
    res.status(422);
    await rerender(error.fields);
  }
}

export function learnerFeedbackRouter({ feedback, learnerPages }: Pick<Services, 'feedback' | 'learnerPages'>): express.Router {
  const router = express.Router();

  // The module page: how it was made and who shaped it (the learning feature), with the learner's feedback link
  // and the "you said, we did" notes (this feature).
  router.get('/courses/:slug/modules/:moduleKey', requireSignIn, async (req, res) => {
    const { slug, moduleKey } = address(moduleParams, req.params);
    const [view, page] = await Promise.all([learnerPages.moduleOverviewFor(learnerOf(req), slug, moduleKey), feedback.modulePage(learnerOf(req), slug, moduleKey)]);
    res.render('learning/module', { title: `${view.module.title}: ${view.courseTitle}`, view, page });
  });

  const renderModuleForm = async (req: Request, res: Response, errors: Record<string, string> = {}, values: FormValues | null = null): Promise<void> => {
    const { slug, moduleKey } = address(moduleParams, req.params);
    const form = await feedback.moduleFeedbackFor(learnerOf(req), slug, moduleKey);
    const saved = form.saved;
    const shown: FormValues = values ?? {
      rating: saved?.rating ? String(saved.rating) : '',
      confidenceBefore: saved?.confidenceBefore ? String(saved.confidenceBefore) : '',
      confidenceAfter: saved?.confidenceAfter ? String(saved.confidenceAfter) : '',
      mostUseful: saved?.mostUseful ?? '',
      shouldChange: saved?.shouldChange ?? '',
      nameToTeam: saved?.nameToTeam ? 'yes' : 'no',
    };
    res.render('feedback/module-feedback', { title: `Your feedback: ${form.moduleTitle}`, form, values: shown, errors });
  };

  router.get('/courses/:slug/modules/:moduleKey/feedback', requireSignIn, async (req, res) => {
    await renderModuleForm(req, res);
  });

  router.post('/courses/:slug/modules/:moduleKey/feedback', requireSignIn, async (req, res) => {
    const { slug, moduleKey } = address(moduleParams, req.params);
    await withForm(
      res,
      async () => {
        const input = formOf(moduleFeedbackBody, req.body);
        const { created } = await feedback.saveModuleFeedback(learnerOf(req), slug, moduleKey, input);
        setFlash(req, created ? 'Thank you. Your feedback is saved.' : 'Thank you. Your feedback is updated.');
        res.redirect(303, modulePageHref(slug, moduleKey));
      },
      (errors) => renderModuleForm(req, res, errors, keptValues(req.body, MODULE_FIELDS)),
    );
  });

  const renderFlagForm = async (req: Request, res: Response, errors: Record<string, string> = {}, values: FormValues = {}): Promise<void> => {
    const { slug, moduleKey, lessonKey } = address(lessonParams, req.params);
    const page = await feedback.modulePage(learnerOf(req), slug, moduleKey);
    const lessonPath = `/learn/${encodeURIComponent(slug)}/${encodeURIComponent(moduleKey)}/${encodeURIComponent(lessonKey)}`;
    res.render('feedback/flag', { title: `Tell us about a lesson: ${page.moduleTitle}`, page, lessonPath, values, errors });
  };

  router.get('/learn/:slug/:moduleKey/:lessonKey/flag', requireSignIn, async (req, res) => {
    await renderFlagForm(req, res);
  });

  router.post('/learn/:slug/:moduleKey/:lessonKey/flag', requireSignIn, async (req, res) => {
    const params = address(lessonParams, req.params);
    await withForm(
      res,
      async () => {
        const input = formOf(flagBody, req.body);
        await feedback.flagLesson(learnerOf(req), params, input);
        setFlash(req, 'Thank you. Your trainers will look at what you told us.');
        res.redirect(303, `/learn/${encodeURIComponent(params.slug)}/${encodeURIComponent(params.moduleKey)}/${encodeURIComponent(params.lessonKey)}`);
      },
      (errors) => renderFlagForm(req, res, errors, keptValues(req.body, ['flag', 'note'])),
    );
  });

  router.get('/courses/:slug/versions/:version/:moduleKey/:lessonKey', requireSignIn, async (req, res) => {
    const { slug, version, moduleKey, lessonKey } = address(versionParams, req.params);
    const lesson = await feedback.versionLesson(slug, version, moduleKey, lessonKey);
    res.render('feedback/version-lesson', { title: `${lesson.title} (version ${lesson.version}): ${lesson.courseTitle}`, lesson });
  });

  return router;
}

export function feedbackBoardRouter({ feedback, courses }: Pick<Services, 'feedback' | 'courses'>): express.Router {
  const router = express.Router();
  const guard = requireRole('trainer', 'co-facilitator');

  router.get('/', guard, async (req, res) => {
    const rows = await feedback.boardCourses(currentUser(req));
    res.render('feedback/index', {
      title: 'Feedback from learners',
      courses: rows.map((row) => ({ title: row.course.title, href: boardHref(row.course.id), open: row.open })),
    });
  });

  router.get('/courses/:courseId', guard, async (req, res) => {
    const { courseId } = address(courseParams, req.params);
    const status = z.enum(FEEDBACK_STATUSES).optional().catch(undefined).parse(req.query.status);
    const viewer = currentUser(req);
    const { access, items } = await feedback.boardItems(viewer, courseId, status);
    const [figures, content] = await Promise.all([feedback.figuresFor(viewer, courseId), latestContent(courses, access.course.id, access.course.publishedVersion)]);
    const board = boardView({ courseId: access.course.id, courseTitle: access.course.title, role: access.role, items, figures, content, statusFilter: status ?? null });
    res.render('feedback/board', { title: `Feedback: ${access.course.title}`, board, errors: {}, pageClass: 'main--wide' });
  });

  router.get('/courses/:courseId/figures.csv', guard, async (req, res) => {
    const { courseId } = address(courseParams, req.params);
    const { courseTitle, table } = await feedback.exportFigures(currentUser(req), courseId, req.ip);
    const safe = courseTitle.replace(/[^A-Za-z0-9 _-]/g, '').trim().replace(/\s+/g, '-').toLowerCase() || 'course';
    res.attachment(`feedback-figures-${safe}-${new Date().toISOString().slice(0, 10)}.csv`).type('text/csv; charset=utf-8').send(toCsv(table));
  });

  const renderItem = async (req: Request, res: Response, errors: Record<string, string> = {}, values: FormValues = {}): Promise<void> => {
    const { courseId, itemId } = address(itemParams, req.params);
    const { access, item } = await feedback.boardItem(currentUser(req), courseId, itemId);
    const content = await latestContent(courses, access.course.id, item.version);
    const lessonTitles = new Map<string, string>();
    for (const m of content?.modules ?? []) for (const l of m.lessons) lessonTitles.set(`${m.key}/${l.key}`, l.title);
    const moduleTitle = content?.modules.find((m) => m.key === item.moduleKey)?.title ?? item.moduleKey;
    res.render('feedback/item', {
      title: `Feedback on ${moduleTitle}`,
      course: { id: access.course.id, title: access.course.title, boardHref: boardHref(access.course.id) },
      moduleTitle,
      version: item.version,
      card: itemCard(access.course.id, item, lessonTitles),
      comments: item.comments.map((comment) => ({ author: comment.author, text: comment.text, dateLabel: formatDay(comment.at) })),
      next: item.next.map((status) => ({ value: status, text: STATUS_LABELS[status] })),
      isTrainer: access.role === 'trainer',
      action: itemHref(access.course.id, item.id),
      errors,
      values,
    });
  };

  router.get('/courses/:courseId/items/:itemId', guard, async (req, res) => {
    await renderItem(req, res);
  });

  router.post('/courses/:courseId/items/:itemId/status', guard, async (req, res) => {
    const { courseId, itemId } = address(itemParams, req.params);
    await withForm(
      res,
      async () => {
        const input = formOf(statusBody, req.body);
        await feedback.changeStatus(currentUser(req), courseId, itemId, input.status as FeedbackStatus, input.reason, req.ip);
        setFlash(req, `The feedback is now: ${STATUS_LABELS[input.status]}.`);
        res.redirect(303, itemHref(courseId, itemId));
      },
      (errors) => renderItem(req, res, errors, keptValues(req.body, ['status', 'reason'])),
    );
  });

  router.post('/courses/:courseId/items/:itemId/comments', guard, async (req, res) => {
    const { courseId, itemId } = address(itemParams, req.params);
    await withForm(
      res,
      async () => {
        const input = formOf(commentBody, req.body);
        await feedback.addComment(currentUser(req), courseId, itemId, input.comment);
        setFlash(req, 'Your comment is added.');
        res.redirect(303, `${itemHref(courseId, itemId)}#comments`);
      },
      (errors) => renderItem(req, res, errors, keptValues(req.body, ['comment'])),
    );
  });

  router.post('/courses/:courseId/revisions', guard, async (req, res) => {
    const { courseId } = address(courseParams, req.params);
    const viewer = currentUser(req);
    await withForm(
      res,
      async () => {
        const input = formOf(revisionBody, req.body);
        const opened = await feedback.openRevision(viewer, courseId, input.items, req.ip);
        setFlash(req, `Version ${opened.version} is open as a draft, with the feedback planned into it.`);
        res.redirect(303, revisionHref(courseId, opened.revisionId));
      },
      async (errors) => {
        const { access, items } = await feedback.boardItems(viewer, courseId);
        const [figures, content] = await Promise.all([feedback.figuresFor(viewer, courseId), latestContent(courses, access.course.id, access.course.publishedVersion)]);
        const board = boardView({ courseId: access.course.id, courseTitle: access.course.title, role: access.role, items, figures, content, statusFilter: null });
        res.render('feedback/board', { title: `Feedback: ${access.course.title}`, board, errors, pageClass: 'main--wide' });
      },
    );
  });

  const renderRevision = async (req: Request, res: Response, errors: Record<string, string> = {}, values: FormValues = {}): Promise<void> => {
    const { courseId, revisionId } = address(revisionParams, req.params);
    const viewer: SignedInUser = currentUser(req);
    const { access, revision } = await feedback.revisionView(viewer, courseId, revisionId);
    const content = await latestContent(courses, access.course.id, revision.version);
    const lessonTitles = new Map<string, string>();
    for (const m of content?.modules ?? []) for (const l of m.lessons) lessonTitles.set(`${m.key}/${l.key}`, l.title);
    res.render('feedback/revision', {
      title: `Revision: version ${revision.version} of ${access.course.title}`,
      course: { id: access.course.id, title: access.course.title, boardHref: boardHref(access.course.id) },
      revision: {
        ...revision,
        openedLabel: formatDay(revision.openedAt),
        items: revision.items.map((item) => itemCard(access.course.id, item, lessonTitles)),
        note: revision.note ? { ...revision.note, publishedLabel: formatDay(revision.note.publishedAt) } : null,
        noteForm: revision.noteForm
          ? { ...revision.noteForm, candidates: revision.noteForm.candidates.map((item) => itemCard(access.course.id, item, lessonTitles)) }
          : null,
      },
      action: `${revisionHref(access.course.id, revision.id)}/note`,
      errors,
      values,
    });
  };

  router.get('/courses/:courseId/revisions/:revisionId', guard, async (req, res) => {
    await renderRevision(req, res);
  });

  router.post('/courses/:courseId/revisions/:revisionId/note', guard, async (req, res) => {
    const { courseId, revisionId } = address(revisionParams, req.params);
    await withForm(
      res,
      async () => {
        const input = formOf(noteBody, req.body);
        const result = await feedback.publishNote(currentUser(req), courseId, revisionId, { summary: input.summary, itemIds: input.items, lessonIds: input.lessons, coAuthorIds: input.coAuthors }, req.ip);
        setFlash(req, `The note is published. ${result.learners} ${result.learners === 1 ? 'learner is' : 'learners are'} told by email and on their dashboard.`);
        res.redirect(303, revisionHref(courseId, revisionId));
      },
      (errors) => renderRevision(req, res, errors, keptValues(req.body, ['summary', 'items', 'lessons', 'coAuthors'])),
    );
  });

  return router;
}

/** The content used for module and lesson titles: the given version, else the published one. */
async function latestContent(courses: Services['courses'], courseId: string, version: number | null) {
  if (version !== null) {
    const content = await courses.getCourseVersion(courseId, version);
    if (content) return content;
  }
  return courses.getPublishedVersion(courseId);
}
