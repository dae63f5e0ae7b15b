/**
 * Calls for contributions.
 * The authoring team's pages (trainers on the team open and run calls; the whole team reads and uses answers):
 *   GET  /manage/courses/:slug/calls                      requireRole(trainer, co-facilitator, admin)  the course's calls; the form to open one
 *   POST /manage/courses/:slug/calls                      requireRole(trainer, admin)                  open a call
 *   GET  /manage/courses/:slug/calls/:callId              requireRole(trainer, co-facilitator, admin)  its answers and personal links
 *   POST /manage/courses/:slug/calls/:callId/close        requireRole(trainer, admin)                  close it before its date
 *   POST /manage/courses/:slug/calls/:callId/links        requireRole(trainer, admin)                  make a personal link for one person
 *   POST /manage/courses/:slug/calls/:callId/links/:linkId/stop  requireRole(trainer, admin)           stop a link
 *   POST /manage/courses/:slug/calls/:callId/answers/:answerId/use  requireRole(trainer, co-facilitator, admin)  the answer becomes a block of the draft
 *   GET  /manage/courses/:slug/calls/:callId/answers/:answerId/file requireRole(trainer, co-facilitator, admin)  the answer's recording or picture
 * Co-facilitators answering signed in:
 *   GET  /calls                                           requireRole(co-facilitator)  open calls
 *   GET  /calls/:callId                                   requireRole(co-facilitator)  the answer form
 *   POST /calls/:callId                                   requireRole(co-facilitator)  multipart: the answer, with its file
 * Invited people, through a personal link (no account; rate-limited; the link is the key):
 *   GET  /call-link/:token                                publicAccess  the answer form
 *   POST /call-link/:token                                publicAccess  multipart: the answer, with its file
 * The service checks the authoring team and the link on every request.
 */
import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
import { z } from 'zod';
import type { UploadKind } from '../config';
import { Invalid, NotFound } from '../errors';
import type { CoursesService } from '../courses/service';
import type { MediaService, UploadedAsset } from '../media/service';
import type { UsersService } from '../users/service';
import { currentUser, publicAccess, requireRole } from '../web/access';
import { wantsJson } from '../web/errors';
import type { WebTools } from '../web/feature-context';
import { fieldErrors, keptValues, objectIdParam, type FormValues } from '../web/forms';
import { setFlash } from '../web/locals';
import { storageThrough } from '../web/upload';
import { sendStoredFile } from '../media/send';
import { ANSWER_CREDITS, CALL_AUDIENCES, INVITEE_RELATIONSHIPS, PAYMENT_CLAIMS } from './model';
import type { AnswerInput, CallsService } from './service';
import { answerFormPage, callPage, courseCallsPage, openCallsPage } from './views';

const slugParam = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/).max(100);

const callForm = z.object({
  moduleKey: z.string({ error: 'Choose a module.' }).regex(/^[a-z0-9-]{1,100}$/, 'Choose a module.'),
  question: z.string({ error: 'Write the question.' }).trim().min(5, 'Write the question, in plain words.').max(500, 'Keep the question under 500 characters.'),
  guidance: z.string().trim().max(1000, 'Keep this under 1000 characters.').default(''),
  closesOn: z.iso.date({ error: 'Choose the closing date.' }).transform((day) => new Date(`${day}T00:00:00Z`)),
  audience: z.enum(CALL_AUDIENCES, { error: 'Choose who may answer.' }),
});
const callFields = ['moduleKey', 'question', 'guidance', 'closesOn', 'audience'] as const;

const linkForm = z.object({
  name: z.string({ error: 'Write the person\'s name.' }).trim().min(1, 'Write the person\'s name.').max(120, 'Keep the name under 120 characters.'),
  relationship: z.enum(INVITEE_RELATIONSHIPS, { error: 'Choose who they are.' }),
  days: z.coerce.number({ error: 'Write a number of days.' }).int('Write a whole number of days.').min(1, 'At least 1 day.').max(90, 'At most 90 days.'),
});

const useForm = z.object({
  lessonKey: z.string({ error: 'Choose a lesson.' }).regex(/^[a-z0-9-]{1,100}$/, 'Choose a lesson.'),
  alt: z.string().trim().max(1000).default(''),
  title: z.string().trim().max(200).default(''),
  transcript: z.string().trim().max(20_000).default(''),
});

/** The ways to answer as the form offers them; a recording is stored as audio or video by what was chosen. */
const ANSWER_WAYS = ['writing', 'audio', 'video', 'picture'] as const;
const uploadKindOf: Record<(typeof ANSWER_WAYS)[number], UploadKind | null> = { writing: null, audio: 'audio', video: 'video', picture: 'image' };

const answerForm = z.object({
  way: z.enum(ANSWER_WAYS, { error: 'Choose how you want to answer.' }),
  text: z.string().max(10_000, 'Keep your answer under 10,000 characters. You can send a second answer.').default(''),
  note: z.string().max(1000, 'Keep the note under 1000 characters.').default(''),
  consent: z.literal('yes').optional(),
  creditDisplay: z.enum(ANSWER_CREDITS, { error: 'Choose how you want to be named.' }),
  creditName: z.string().max(120, 'Keep the name under 120 characters.').default(''),
  creditRole: z.string().max(200, 'Keep this under 200 characters.').default(''),
  claim: z.enum(PAYMENT_CLAIMS, { error: 'Choose whether you want to claim for your time.' }),
});
const answerFields = ['way', 'text', 'note', 'consent', 'creditDisplay', 'creditName', 'creditRole', 'claim'] as const;
type AnswerFormData = z.output<typeof answerForm>;

function toAnswerInput(form: AnswerFormData, asset: UploadedAsset | undefined): AnswerInput {
  return {
    form: form.way === 'writing' ? 'writing' : form.way === 'picture' ? 'picture' : 'recording',
    text: form.text,
    note: form.note,
    assetId: asset?.assetId,
    consent: form.consent === 'yes',
    credit: { display: form.creditDisplay, name: form.creditName, role: form.creditRole },
    claim: form.claim,
  };
}

export interface CallsRouterDeps {
  calls: CallsService;
  courses: Pick<CoursesService, 'getCourseBySlug'>;
  media: Pick<MediaService, 'storeUpload' | 'discardUpload' | 'uploadLimits' | 'storage'>;
  users: Pick<UsersService, 'getPeopleByIds'>;
}

export function callsRouters(deps: CallsRouterDeps, web: Pick<WebTools, 'upload' | 'rateLimits'>) {
  const { calls, courses, media, users } = deps;
  const team = requireRole('trainer', 'co-facilitator', 'admin');
  const trainers = requireRole('trainer', 'admin');
  const coFacilitators = requireRole('co-facilitator');

  async function findCourse(req: Request) {
    const slug = slugParam.safeParse(req.params.slug);
    const course = slug.success ? await courses.getCourseBySlug(slug.data) : null;
    if (!course) throw new NotFound('There is no course at this address.');
    return course;
  }

  /**
   * The answer's file, stored as it streams in. The other fields come before the file in the form, so they are
   * checked first: a form with a mistake stores nothing.
   */
  const stored = new WeakMap<Request, UploadedAsset>();
  const answerUpload = web.upload.single('file', {
    accept: [],
    maxFileBytes: () => Math.max(...Object.values(media.uploadLimits)) + 1024 * 1024,
    storageChecksContent: true,
    storage: storageThrough(
      async (req, file) => {
        const form = answerForm.safeParse(req.body);
        if (!form.success) throw new Invalid(fieldErrors(form.error));
        const kind = uploadKindOf[form.data.way];
        if (!kind) throw new Invalid({ file: 'You chose to answer in writing, so leave the file empty, or choose another way to answer.' });
        const asset = await media.storeUpload({ stream: file.stream, originalName: file.originalname, kind, uploadedBy: req.user?.id ?? null, field: 'file' });
        stored.set(req, asset);
        return { id: asset.assetId, mimetype: asset.mimeType, size: asset.sizeBytes };
      },
      (_req, id) => media.discardUpload(id),
    ),
  });

  /** Saves an answer from a posted form; a refused answer keeps no file. */
  async function saveAnswer(req: Request, save: (input: AnswerInput) => Promise<void>): Promise<void> {
    const asset = stored.get(req);
    try {
      const form = answerForm.safeParse(req.body);
      if (!form.success) throw new Invalid(fieldErrors(form.error));
      await save(toAnswerInput(form.data, asset));
    } catch (error) {
      if (asset) await media.discardUpload(asset.assetId);
      throw error;
    }
  }

  /** A refused answer comes back to its form (422) with what the person wrote; JSON goes to the error handler. */
  function answerRefused(render: (req: Request, res: Response, errors: Record<string, string>, values: FormValues) => Promise<void>): ErrorRequestHandler {
    return (error: unknown, req, res, next) => {
      if (!(error instanceof Invalid) || wantsJson(req)) {
        next(error);
        return;
      }
      const asset = stored.get(req);
      const cleanup = asset ? media.discardUpload(asset.assetId) : Promise.resolve();
      cleanup.then(() => render(req, res.status(422), error.fields, keptValues(req.body, answerFields))).catch(next);
    };
  }

  const manage = express.Router();

  async function renderCourseCalls(req: Request, res: Response, errors: Record<string, string> = {}, values: FormValues = {}) {
    const course = await findCourse(req);
    const user = currentUser(req);
    const { calls: list, canManage } = await calls.listCallsOfCourse(user, course.id);
    const modules = await calls.modulesForCall(course.id);
    res.render('calls/course', courseCallsPage({ course, calls: list, canManage, modules, errors, values }));
  }

  manage.get('/:slug/calls', team, async (req, res) => {
    await renderCourseCalls(req, res);
  });

  manage.post('/:slug/calls', trainers, async (req, res) => {
    const course = await findCourse(req);
    const form = callForm.safeParse(req.body);
    try {
      if (!form.success) throw new Invalid(fieldErrors(form.error));
      const call = await calls.openCall(currentUser(req), course.id, form.data);
      setFlash(req, 'The call is open. Make personal links for people without an account below.');
      res.redirect(303, `/manage/courses/${course.slug}/calls/${call.id}`);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      res.status(422);
      await renderCourseCalls(req, res, error.fields, keptValues(req.body, callFields));
    }
  });

  async function renderCall(req: Request, res: Response, extra: { errors?: Record<string, string>; values?: FormValues } = {}) {
    const course = await findCourse(req);
    const callId = objectIdParam(req, 'callId');
    const view = await calls.callForTeam(currentUser(req), course.id, callId, async (ids) => new Map((await users.getPeopleByIds(ids)).map((person) => [person.id, person.name])));
    const made = req.session?.newCallLink;
    let newLink: { link: string; name: string; expiresAt: Date } | undefined;
    if (made && made.callId === callId) {
      delete req.session.newCallLink;
      newLink = { link: made.link, name: made.name, expiresAt: new Date(made.expiresAt) };
      // The page holds the link: no copy of it anywhere but this screen.
      res.setHeader('Cache-Control', 'no-store');
    }
    res.render('calls/call', callPage({ course, view, newLink, ...extra }));
  }

  manage.get('/:slug/calls/:callId', team, async (req, res) => {
    await renderCall(req, res);
  });

  manage.post('/:slug/calls/:callId/close', trainers, async (req, res) => {
    const course = await findCourse(req);
    const callId = objectIdParam(req, 'callId');
    await calls.closeCall(currentUser(req), course.id, callId);
    setFlash(req, 'The call is closed. No one can answer it any more.');
    res.redirect(303, `/manage/courses/${course.slug}/calls/${callId}`);
  });

  manage.post('/:slug/calls/:callId/links', trainers, async (req, res) => {
    const course = await findCourse(req);
    const callId = objectIdParam(req, 'callId');
    const form = linkForm.safeParse(req.body);
    try {
      if (!form.success) throw new Invalid(fieldErrors(form.error));
      const made = await calls.invite(currentUser(req), course.id, callId, form.data);
      // Shown once on the page this redirect leads to (see newCallLink in ../web/request.ts).
      req.session.newCallLink = { link: made.link, name: form.data.name, expiresAt: made.expiresAt.toISOString(), callId };
      res.redirect(303, `/manage/courses/${course.slug}/calls/${callId}#new-link`);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      res.status(422);
      await renderCall(req, res, { errors: error.fields, values: keptValues(req.body, ['name', 'relationship', 'days']) });
    }
  });

  manage.post('/:slug/calls/:callId/links/:linkId/stop', trainers, async (req, res) => {
    const course = await findCourse(req);
    const callId = objectIdParam(req, 'callId');
    await calls.revokeInvitation(currentUser(req), course.id, callId, objectIdParam(req, 'linkId'));
    setFlash(req, 'The link is stopped. It does not work any more.');
    res.redirect(303, `/manage/courses/${course.slug}/calls/${callId}`);
  });

  manage.post('/:slug/calls/:callId/answers/:answerId/use', team, async (req, res) => {
    const course = await findCourse(req);
    const callId = objectIdParam(req, 'callId');
    const answerId = objectIdParam(req, 'answerId');
    const form = useForm.safeParse(req.body);
    try {
      if (!form.success) throw new Invalid(fieldErrors(form.error));
      const { version } = await calls.useAnswer(currentUser(req), course.id, callId, answerId, form.data);
      setFlash(req, `The answer is now a block at the end of the lesson, in draft version ${version}, credited as its author chose.`);
      res.redirect(303, `/manage/courses/${course.slug}/calls/${callId}#answer-${answerId}`);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      res.status(422);
      const errors = Object.fromEntries(Object.entries(error.fields).map(([field, message]) => [`${answerId}-${field}`, message]));
      await renderCall(req, res, { errors, values: keptValues(req.body, ['lessonKey', 'alt', 'title', 'transcript']) });
    }
  });

  manage.get('/:slug/calls/:callId/answers/:answerId/file', team, async (req, res) => {
    const course = await findCourse(req);
    const file = await calls.answerFile(currentUser(req), course.id, objectIdParam(req, 'callId'), objectIdParam(req, 'answerId'));
    await sendStoredFile(req, res, media.storage, file);
  });

  const answering = express.Router();

  answering.get('/', coFacilitators, async (req, res) => {
    res.render('calls/open', openCallsPage(await calls.openCallsFor(currentUser(req))));
  });

  async function renderAnswerForm(req: Request, res: Response, errors: Record<string, string> = {}, values: FormValues = {}) {
    const { call, answers } = await calls.callToAnswer(currentUser(req), objectIdParam(req, 'callId'));
    res.render('calls/answer', answerFormPage({ call, answers, action: `/calls/${call.id}`, signedIn: true, errors, values }));
  }

  answering.get('/:callId', coFacilitators, async (req, res) => {
    await renderAnswerForm(req, res);
  });

  answering.post(
    '/:callId',
    coFacilitators,
    ...answerUpload,
    async (req: Request, res: Response) => {
      const callId = objectIdParam(req, 'callId');
      await saveAnswer(req, (input) => calls.answerAsCoFacilitator(currentUser(req), callId, input));
      setFlash(req, 'Thank you. Your answer is saved and the team can see it now.');
      res.redirect(303, `/calls/${callId}`);
    },
    answerRefused(renderAnswerForm),
  );

  const links = express.Router();
  const linkLimit = web.rateLimits.callLinks;

  function tokenOf(req: Request): string {
    const token = req.params.token;
    if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{20,100}$/.test(token)) throw new NotFound('This link does not work. Please check you copied all of it.');
    return token;
  }

  async function renderLinkForm(req: Request, res: Response, errors: Record<string, string> = {}, values: FormValues = {}) {
    const token = tokenOf(req);
    const holder = await calls.linkHolder(token);
    // The address holds the key: never cached (and the app's Referrer-Policy, same-origin, never sends it to
    // another site; no-referrer would make the form's post carry `Origin: null`, which is refused as cross-site).
    res.setHeader('Cache-Control', 'no-store');
    res.render(
      'calls/answer',
      answerFormPage({ call: holder.call, answers: holder.answers, action: `/call-link/${token}`, signedIn: false, holderName: holder.name, errors, values }),
    );
  }

  links.get('/:token', publicAccess, linkLimit, async (req, res) => {
    await renderLinkForm(req, res);
  });

  links.post(
    '/:token',
    publicAccess,
    linkLimit,
    ...answerUpload,
    async (req: Request, res: Response) => {
      const token = tokenOf(req);
      await saveAnswer(req, (input) => calls.answerByLink(token, input));
      setFlash(req, 'Thank you. Your answer is saved and the team can see it now. You can send another one if you want to.');
      res.redirect(303, `/call-link/${token}`);
    },
    answerRefused(renderLinkForm),
  );

  return { manage, answering, links };
}
