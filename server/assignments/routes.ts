/**
 * The trainer's assignment pages (trainers: their teams and the people in them; admins: everyone).
 *   GET  /manage/assignments                                  trainer, admin   live assignments, withdraw each
 *   GET  /manage/assignments/new                              trainer, admin   assign a published course
 *   POST /manage/assignments                                  trainer, admin   make the assignments (422 with errors)
 *   POST /manage/assignments/:id/withdraw                     trainer, admin   withdraw one
 *   GET  /manage/assignments/people/:learnerId                trainer, admin   a person's assigned courses and recorded completions
 *   POST /manage/assignments/people/:learnerId/completions    trainer, admin   record a completion done elsewhere (multipart)
 *   POST /manage/assignments/completions/:id/withdraw         trainer, admin   withdraw a recorded completion
 *   GET  /manage/assignments/completions/:id/evidence         trainer, admin   its evidence file
 */
import { pipeline } from 'node:stream/promises';
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { Invalid, NotFound } from '../errors';
import type { SignedInUser } from '../people';
import type { Services } from '../services';
import type { WebTools } from '../web/feature-context';
import { requireRole } from '../web/access';
import { keptValues, parseForm, type FormValues } from '../web/forms';
import { setFlash } from '../web/locals';
import { DUE_RULES } from './model';
import { DUE_RULE_OPTIONS, assignmentRows, isoDay, learnerStatusRows, recordedRows, type AssignFormPage, type Option } from './views';

const staff = requireRole('trainer', 'admin');
const objectIdParam = z.string().regex(/^[0-9a-f]{24}$/i);

const ASSIGN_FIELDS = ['courseId', 'targetKind', 'teamIds', 'learnerIds', 'dueRule', 'dueAt', 'dueDays', 'recertifyMonths'] as const;

const idList = z
  .union([objectIdParam, z.array(objectIdParam)])
  .optional()
  .transform((value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]));

const optionalWholeNumber = (message: string) =>
  z
    .string()
    .trim()
    .regex(/^(\d{1,4})?$/, message)
    .optional()
    .transform((value) => (value ? Number(value) : undefined));

const assignForm = z.object({
  courseId: z.string({ error: 'Choose a course' }).regex(/^[0-9a-f]{24}$/i, 'Choose a course'),
  targetKind: z.enum(['team', 'person'], { error: 'Choose whether to assign to teams or to people' }),
  teamIds: idList,
  learnerIds: idList,
  dueRule: z.enum(DUE_RULES, { error: 'Choose when the course is due' }),
  dueAt: z
    .string()
    .trim()
    .regex(/^(\d{4}-\d{2}-\d{2})?$/, 'Enter the date as day, month and year')
    .optional()
    .transform((value) => (value ? new Date(`${value}T00:00:00.000Z`) : undefined)),
  dueDays: optionalWholeNumber('Enter the number of days as a whole number'),
  recertifyMonths: optionalWholeNumber('Enter the number of months as a whole number, or leave it empty'),
});

const recordForm = z.object({
  courseId: z.string({ error: 'Choose a course' }).regex(/^[0-9a-f]{24}$/i, 'Choose a course'),
  completedAt: z
    .string({ error: 'Enter the date it was completed' })
    .trim()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'Enter the date it was completed')
    .transform((value) => new Date(`${value}T00:00:00.000Z`)),
  reason: z.string({ error: 'Say why you are recording this completion' }).max(1000, 'Keep the reason to 1,000 characters or fewer'),
});
const RECORD_FIELDS = ['courseId', 'completedAt', 'reason'] as const;

const withdrawRecordForm = z.object({ withdrawReason: z.string().max(1000).default('') });

/** Evidence: a scan or photo of a certificate, up to 5 MB, checked by its content. */
const EVIDENCE_UPLOAD = { accept: ['application/pdf', 'image/png', 'image/jpeg'], maxFileBytes: 5_000_000 } as const;


function actorOf(req: Request): SignedInUser {
  if (!req.user) throw new Error('staff routes run after their guard');
  return req.user;
}

function idParam(value: unknown, message: string): string {
  const parsed = objectIdParam.safeParse(value);
  if (!parsed.success) throw new NotFound(message);
  return parsed.data;
}

export function assignmentsRouter(
  services: Pick<Services, 'assignments' | 'courses' | 'teams' | 'users'>,
  web: Pick<WebTools, 'upload'>,
): express.Router {
  // Each service is looked up when a request needs it (a test may build the app on a few fake services).
  const router = express.Router();

  /** What the assign form offers this actor: published courses, the teams they train, the people in them. */
  async function assignOptions(actor: SignedInUser): Promise<Pick<AssignFormPage, 'courses' | 'teams' | 'people'>> {
    const [courses, teams] = await Promise.all([services.courses.listPublishedCourses(), services.teams.listTeams(actor)]);
    const memberIds = new Set<string>();
    for (const team of teams) for (const id of (await services.teams.getTeam(team.id)).memberIds) memberIds.add(id);
    const people = await services.users.getPeopleByIds([...memberIds]);
    return {
      courses: [{ value: '', text: 'Choose a course' }, ...courses.map((course) => ({ value: course.id, text: course.title }))],
      teams: teams.map((team): Option => ({ value: team.id, text: team.name, hint: `${team.memberCount} ${team.memberCount === 1 ? 'member' : 'members'}` })),
      people: people.map((person): Option => ({ value: person.id, text: person.name || person.email, hint: person.name ? person.email : undefined })),
    };
  }

  async function renderAssignForm(res: Response, actor: SignedInUser, status: number, values: FormValues, errors: Record<string, string>): Promise<void> {
    const page: AssignFormPage = { title: 'Assign a course', ...(await assignOptions(actor)), values, errors };
    res.status(status).render('assignments/new', { ...page, dueRuleOptions: DUE_RULE_OPTIONS });
  }

  router.get('/', staff, async (req, res) => {
    const items = await services.assignments.listManaged(actorOf(req));
    res.render('assignments/index', { title: 'Assignments', rows: assignmentRows(items) });
  });

  router.get('/new', staff, async (req, res) => {
    await renderAssignForm(res, actorOf(req), 200, { targetKind: 'team', dueRule: 'after-assigned', dueDays: '30' }, {});
  });

  router.post('/', staff, async (req, res) => {
    const actor = actorOf(req);
    const form = parseForm(assignForm, req.body, ASSIGN_FIELDS);
    if (!form.ok) {
      await renderAssignForm(res, actor, 422, form.values, form.errors);
      return;
    }
    const data = form.data;
    try {
      const ids = await services.assignments.assign(actor, {
        courseId: data.courseId,
        target: data.targetKind === 'team' ? { kind: 'team', teamIds: data.teamIds } : { kind: 'person', learnerIds: data.learnerIds },
        dueRule: data.dueRule,
        dueAt: data.dueAt,
        dueDays: data.dueDays,
        recertifyMonths: data.recertifyMonths,
      });
      setFlash(req, ids.length === 1 ? 'The course is assigned.' : `The course is assigned (${ids.length} assignments).`);
      res.redirect(303, '/manage/assignments');
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      const fields = { ...error.fields };
      // The service names the target; the form shows it on the list the person chose from.
      if (fields.target) {
        fields[data.targetKind === 'team' ? 'teamIds' : 'learnerIds'] = fields.target;
        delete fields.target;
      }
      await renderAssignForm(res, actor, 422, keptValues(req.body, ASSIGN_FIELDS), fields);
    }
  });

  router.post('/:id/withdraw', staff, async (req, res) => {
    await services.assignments.withdraw(actorOf(req), idParam(req.params.id, 'We could not find this assignment.'));
    setFlash(req, 'The assignment is withdrawn. Nobody will be reminded about it. What people have done is kept.');
    res.redirect(303, '/manage/assignments');
  });

  async function renderPerson(res: Response, actor: SignedInUser, learnerId: string, status: number, values: FormValues, errors: Record<string, string>): Promise<void> {
    await services.assignments.assertLooksAfter(actor, learnerId);
    const [person, statuses, recorded, courses] = await Promise.all([
      services.users.getPerson(learnerId),
      services.assignments.statusesForLearner(learnerId),
      services.assignments.recordedCompletionsOf(actor, learnerId),
      services.courses.listPublishedCourses(),
    ]);
    const titles = await services.courses.courseTitlesByIds([...new Set([...statuses.map((item) => item.courseId), ...recorded.map((item) => item.courseId)])]);
    const names = new Map((await services.users.getPeopleByIds([...new Set(recorded.map((item) => item.recordedById))])).map((p) => [p.id, p.name || p.email]));
    const name = person.name || person.email;
    res.status(status).render('assignments/person', {
      title: `${Object.keys(errors).length > 0 ? 'Error: ' : ''}${name}: assigned courses`,
      person: { id: person.id, name },
      statusRows: learnerStatusRows(statuses, titles),
      recordedRows: recordedRows(recorded, titles, names),
      courses: [{ value: '', text: 'Choose a course' }, ...courses.map((course) => ({ value: course.id, text: course.title }))],
      today: isoDay(new Date()),
      values,
      errors,
    });
  }

  router.get('/people/:learnerId', staff, async (req, res) => {
    await renderPerson(res, actorOf(req), idParam(req.params.learnerId, 'We could not find this person.'), 200, {}, {});
  });

  // A file refused by the upload factory (type or size): the same page again, with the message by the field.
  const refusedEvidence: express.ErrorRequestHandler = async (error: unknown, req, res, next) => {
    if (!(error instanceof Invalid) || !req.user) {
      next(error);
      return;
    }
    await renderPerson(res, req.user, idParam(req.params.learnerId, 'We could not find this person.'), 422, keptValues(req.body, RECORD_FIELDS), error.fields);
  };

  router.post(
    '/people/:learnerId/completions',
    staff,
    ...web.upload.single('evidence', EVIDENCE_UPLOAD),
    async (req: Request, res: Response) => {
      const actor = actorOf(req);
      const learnerId = idParam(req.params.learnerId, 'We could not find this person.');
      const form = parseForm(recordForm, req.body, RECORD_FIELDS);
      if (!form.ok) {
        await renderPerson(res, actor, learnerId, 422, form.values, form.errors);
        return;
      }
      const file = req.file;
      try {
        await services.assignments.recordCompletion(actor, {
          learnerId,
          courseId: form.data.courseId,
          completedAt: form.data.completedAt,
          reason: form.data.reason,
          evidence: file ? { buffer: file.buffer, originalName: file.originalname, mimeType: file.mimetype, sizeBytes: file.size } : undefined,
        });
      } catch (error) {
        if (!(error instanceof Invalid)) throw error;
        await renderPerson(res, actor, learnerId, 422, keptValues(req.body, RECORD_FIELDS), error.fields);
        return;
      }
      setFlash(req, 'The completion is recorded. It shows as recorded by a trainer.');
      res.redirect(303, `/manage/assignments/people/${learnerId}`);
    },
    refusedEvidence,
  );

  router.post('/completions/:id/withdraw', staff, async (req, res) => {
    const actor = actorOf(req);
    const id = idParam(req.params.id, 'We could not find this recorded completion.');
    const form = withdrawRecordForm.safeParse(req.body);
    const reason = form.success ? form.data.withdrawReason : '';
    const learnerId = (await services.assignments.recordedCompletionLearner(id)) ?? '';
    try {
      await services.assignments.withdrawRecordedCompletion(actor, id, reason);
    } catch (error) {
      if (!(error instanceof Invalid) || !learnerId) throw error;
      await renderPerson(res, actor, learnerId, 422, {}, { [`withdrawReason-${id}`]: error.fields.withdrawReason ?? 'Say why you are withdrawing this record' });
      return;
    }
    setFlash(req, 'The recorded completion is withdrawn. It is kept in the list, marked as withdrawn.');
    res.redirect(303, `/manage/assignments/people/${learnerId}`);
  });

  router.get('/completions/:id/evidence', staff, async (req, res) => {
    const evidence = await services.assignments.openEvidence(actorOf(req), idParam(req.params.id, 'We could not find this recorded completion.'));
    const stream = await evidence.open();
    if (!stream) throw new NotFound('The evidence file is missing.');
    res.setHeader('Content-Type', evidence.mimeType);
    res.setHeader('Content-Length', String(evidence.sizeBytes));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Disposition', `attachment; filename="${evidence.fileName.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100) || 'evidence'}"`);
    await pipeline(stream, res);
  });

  return router;
}
