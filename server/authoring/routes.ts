/**
 * The authoring pages. Every route has one guard; membership of the course's authoring team is checked by
 * services.authoring on every read and write (a co-facilitator not on the team gets 403).
 *   GET  /author                                        co-facilitator|trainer|admin  my courses; new course (trainers)
 *   POST /author/courses                                trainer|admin                 create a course (version 1 draft)
 *   POST /author/import                                 trainer|admin                 multipart ZIP -> a draft (new course or existing)
 *   GET  /author/:slug                                  co-facilitator|trainer|admin  the course: team, drafts, modules
 *   POST /author/:slug/draft                            co-facilitator|trainer|admin  start (or open) the draft
 *   POST /author/:slug/team                             trainer|admin                 add a person to the team
 *   POST /author/:slug/team/:userId/remove|lived        trainer|admin                 remove; lived experience on/off
 *   GET  /author/:slug/v/:version/export.zip            co-facilitator|trainer|admin  the version as a content/ folder ZIP
 *   POST /author/:slug/v/:version/modules               co-facilitator|trainer|admin  add a module
 *   GET  /author/:slug/v/:version/m/:module             ...                           module settings and lessons
 *   POST .../m/:module/settings | lessons | l/:lesson/move | l/:lesson/delete
 *   GET  .../m/:module/l/:lesson                        the lesson editor with its preview
 *   POST .../m/:module/l/:lesson                        save the lesson (a form, or JSON for autosave); 409 on a stale base
 *   POST .../m/:module/l/:lesson/preview                preview text not saved yet
 *   GET  .../l/:lesson/blocks/new?kind=  | blocks/:index/edit      a block's form
 *   POST .../l/:lesson/blocks (multipart: a file may come with it) | blocks/:index | blocks/:index/move | blocks/:index/remove
 *   POST .../l/:lesson/media (multipart)                upload a file into the draft (captions, pictures for a profile ...)
 *   POST .../l/:lesson/notes                            a note for the team
 */
import { rm } from 'node:fs/promises';
import express, { type Request, type Response } from 'express';
import multer from 'multer';
import { z } from 'zod';
import { UPLOAD_KINDS, type UploadKind } from '../config';
import { Invalid, NotFound } from '../errors';
import type { Services } from '../services';
import { currentUser, requireRole } from '../web/access';
import { wantsJson } from '../web/errors';
import type { WebTools } from '../web/feature-context';
import { setFlash } from '../web/locals';
import { storageThrough } from '../web/upload';
import type { UploadedAsset } from '../media/service';
import { previewBlockViews } from '../learning/views';
import { blockFields, blockKinds, blockSource, emptyFields, type BlockFields, type BlockKindName } from './block-source';
import { ZIP_MAX_UPLOAD_BYTES } from './zip';
import type { Draft, DraftLesson, TeamManager } from './service';
import { blockKindLabels, draftMediaOptions, levelOptions, lessonPageView, pathsOf } from './views';

const key = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/).max(100);
const versionParam = z.coerce.number().int().positive();
const levels = z.enum(['informing', 'consultation', 'co-design', 'co-production']);

const newCourseForm = z.object({
  slug: z.string().trim().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'Use lower-case letters, digits and dashes, like first-aid-basics.').max(80),
  title: z.string().trim().min(1, 'Give the course a title.').max(200),
  summary: z.string().trim().min(1, 'Write one or two sentences for the catalogue.').max(1000),
  audience: z.string().trim().min(1, 'Say who the course is for.').max(500),
  estimatedMinutes: z.coerce.number().int('Give a whole number of minutes.').min(1, 'Give the time in minutes.').max(6000),
});
const teamForm = z.object({
  email: z.string().trim().email('Give the email address of their account.'),
  role: z.enum(['trainer', 'co-facilitator']),
  livedExperience: z.literal('yes').optional(),
});
const moduleForm = z.object({
  title: z.string().trim().min(1, 'Give the module a title.').max(200),
  summary: z.string().trim().max(1000).default(''),
  coProductionLevel: levels,
});
const lessonForm = z.object({
  title: z.string().trim().max(200),
  text: z.string().max(90_000, 'A lesson can be at most 90,000 characters. Split it into two lessons.'),
  baseHash: z.string().regex(/^[0-9a-f]{64}$/),
});
const directionForm = z.object({ direction: z.enum(['up', 'down']), baseHash: z.string().optional() });
const noteForm = z.object({ note: z.string().trim().max(2000, 'A note can be at most 2000 characters.').default('') });

function param(req: Request, name: string): string {
  const value = key.safeParse(req.params[name]);
  if (!value.success) throw new NotFound();
  return value.data;
}

function versionOf(req: Request): number {
  const value = versionParam.safeParse(req.params.version);
  if (!value.success) throw new NotFound();
  return value.data;
}

function managerOf(req: Request): TeamManager {
  const user = currentUser(req);
  return { id: user.id, email: user.email, roles: user.roles };
}

function body(req: Request): Record<string, unknown> {
  return (req.body ?? {}) as Record<string, unknown>;
}

function lines(value: unknown): string[] {
  return String(value ?? '')
    .split(/\r\n|\r|\n/)
    .map((line) => line.replace(/^\s*[-*]\s+/, '').trim())
    .filter(Boolean);
}

/** A block form's fields from the posted form (the same names blockFieldsView gives the page). */
function fieldsFromForm(kind: BlockKindName, form: Record<string, unknown>): BlockFields {
  const text = (name: string): string => (typeof form[name] === 'string' ? (form[name] as string) : '');
  const fields = emptyFields(kind);
  fields.id = text('id').trim();
  fields.requirement = (['optional', 'required'].includes(text('requirement')) ? text('requirement') : '') as BlockFields['requirement'];
  fields.markdown = text('markdown');
  fields.src = text('src');
  fields.alt = text('alt');
  fields.title = text('title');
  fields.captions = text('captions');
  fields.label = text('label');
  fields.passMark = text('passMark').trim();
  fields.personName = text('personName');
  fields.communication = lines(form.communication);
  fields.loves = lines(form.loves);
  fields.mustKnow = lines(form.mustKnow);
  if (kind === 'check') {
    fields.questions = [];
    for (let q = 0; q < 20; q += 1) {
      const prompt = text(`q${q}-prompt`);
      const options = [];
      for (let o = 0; o < 8; o += 1) {
        const optionText = text(`q${q}-o${o}-text`);
        const feedback = text(`q${q}-o${o}-feedback`);
        if (optionText.trim() || feedback.trim()) options.push({ text: optionText, correct: text(`q${q}-o${o}-correct`) === 'yes', feedback });
      }
      if (prompt.trim() || options.length > 0) fields.questions.push({ prompt, multiple: text(`q${q}-multiple`) === 'yes', options });
    }
  }
  return fields;
}

const uploadKindOf: Record<BlockKindName, UploadKind | null> = {
  text: null,
  image: 'image',
  audio: 'audio',
  video: 'video',
  file: 'document',
  check: null,
  reflection: null,
  profile: 'image',
};

export function authoringRouter({ authoring, courseZips, media }: Pick<Services, 'authoring' | 'courseZips' | 'media'>, web: Pick<WebTools, 'upload'>): express.Router {
  const router = express.Router();
  const team = requireRole('co-facilitator', 'trainer', 'admin');
  const managers = requireRole('trainer', 'admin');

  async function courseOf(req: Request) {
    return authoring.getAuthoringCourse({ slug: param(req, 'slug') });
  }

  // ---- uploads: the file goes to media.storeUpload; the kind comes from the form before the file ----------
  const stored = new WeakMap<Request, UploadedAsset>();
  const mediaUpload = web.upload.single('upload', {
    accept: [],
    maxFileBytes: () => Math.max(...Object.values(media.uploadLimits)) + 1024 * 1024,
    storageChecksContent: true,
    storage: storageThrough(
      async (req, file) => {
        const form = body(req);
        const blockKind = z.enum(blockKinds).safeParse(form.kind);
        const kind = z.enum(UPLOAD_KINDS).safeParse(form.uploadKind ?? (blockKind.success ? uploadKindOf[blockKind.data] : undefined));
        if (!kind.success) throw new Invalid({ upload: 'Choose what kind of file this is.' });
        const asset = await media.storeUpload({ stream: file.stream, originalName: file.originalname, kind: kind.data, uploadedBy: currentUser(req).id, field: 'upload' });
        stored.set(req, asset);
        return { id: asset.assetId, mimetype: asset.mimeType, size: asset.sizeBytes };
      },
      (_req, id) => media.discardUpload(id),
    ),
  });
  const zipUpload = web.upload.single('zip', { accept: ['application/zip'], maxFileBytes: ZIP_MAX_UPLOAD_BYTES, storage: diskStorageFor() });

  function diskStorageFor() {
    // ZIPs are written to a temporary file (Multer's disk storage, in the system's temporary folder), read by
    // yauzl (which needs random access) and removed after the import, whatever happened.
    return multer.diskStorage({});
  }

  // ---- courses ----------------------------------------------------------------------------------------------

  async function renderHome(req: Request, res: Response, status = 200, page: { values?: Record<string, unknown>; errors?: Record<string, string>; problems?: string[] } = {}) {
    const user = currentUser(req);
    const courses = await authoring.listMyCourses(user.id);
    res.status(status).render('authoring/index', {
      title: 'Write courses',
      courses: courses.map((c) => ({ ...c, href: `/author/${c.slug}` })),
      canCreate: user.roles.includes('trainer') || user.roles.includes('admin'),
      values: page.values ?? { estimatedMinutes: 60 },
      errors: page.errors ?? {},
      problems: page.problems ?? [],
    });
  }

  router.get('/', team, async (req, res) => renderHome(req, res));

  router.post('/courses', managers, async (req, res) => {
    const form = newCourseForm.safeParse(req.body);
    if (!form.success) {
      const errors = Object.fromEntries(form.error.issues.map((issue) => [String(issue.path[0]), issue.message]));
      await renderHome(req, res, 422, { values: body(req), errors });
      return;
    }
    try {
      await authoring.createCourse(managerOf(req), form.data);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      await renderHome(req, res, 422, { values: body(req), errors: error.fields });
      return;
    }
    setFlash(req, `The course "${form.data.title}" is made. Add its first module.`);
    res.redirect(303, `/author/${form.data.slug}`);
  });

  async function importZip(req: Request, res: Response, slug?: string): Promise<void> {
    const file = req.file as (Express.Multer.File & { path?: string }) | undefined;
    if (!file?.path) throw new Invalid({ zip: 'Choose a ZIP file to import.' });
    try {
      const result = await courseZips.importZip(file.path, managerOf(req), slug ? { slug } : {});
      if (!result.ok) {
        const problems = result.problems.map((p) => `${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}`);
        if (slug) {
          res.status(422).render('authoring/import-problems', { title: 'The ZIP was not imported', problems, back: `/author/${slug}` });
        } else await renderHome(req, res, 422, { problems });
        return;
      }
      setFlash(req, `The ZIP is imported as version ${result.version}, a draft.`);
      res.redirect(303, `/author/${result.slug}`);
    } finally {
      await rm(file.path, { force: true });
    }
  }

  router.post('/import', managers, ...zipUpload, async (req, res) => importZip(req, res));

  router.get('/:slug', team, async (req, res) => {
    const course = await courseOf(req);
    const user = currentUser(req);
    const onTeam = course.team.some((m) => m.userId === user.id);
    const canManage = user.roles.includes('trainer') || user.roles.includes('admin');
    if (!onTeam && !canManage) await authoring.requireTeam(course.id, user.id);
    const draftVersion = course.latestVersion > (course.publishedVersion ?? 0) ? course.latestVersion : null;
    let draft: Draft | null = null;
    if (onTeam && draftVersion) draft = await authoring.getDraft(course.id, draftVersion, user.id).catch(() => null);
    res.render('authoring/course', {
      title: `Write: ${course.title}`,
      course: { ...course, href: `/author/${course.slug}` },
      onTeam,
      canManage,
      draft: draft && draft.status === 'draft' ? { ...draft, href: `/author/${course.slug}/v/${draft.version}` } : null,
      levelOptions,
      values: {},
      errors: {},
    });
  });

  router.post('/:slug/draft', team, async (req, res) => {
    const course = await courseOf(req);
    const { version, created } = await authoring.startDraft(course.id, currentUser(req).id);
    setFlash(req, created ? `Version ${version} is a new draft, a copy of what learners see now.` : `You are working on the draft, version ${version}.`);
    res.redirect(303, `/author/${course.slug}`);
  });

  router.post('/:slug/import', team, ...zipUpload, async (req, res) => importZip(req, res, param(req, 'slug')));

  router.post('/:slug/team', managers, async (req, res) => {
    const course = await courseOf(req);
    const form = teamForm.safeParse(req.body);
    if (!form.success) throw new Invalid(Object.fromEntries(form.error.issues.map((issue) => [String(issue.path[0]), issue.message])));
    const added = await authoring.addTeamMember(managerOf(req), course.id, { email: form.data.email, role: form.data.role, livedExperience: form.data.livedExperience === 'yes' });
    setFlash(req, `${added.name} is on the authoring team.`);
    res.redirect(303, `/author/${course.slug}#team`);
  });

  router.post('/:slug/team/:userId/remove', managers, async (req, res) => {
    const course = await courseOf(req);
    await authoring.removeTeamMember(managerOf(req), course.id, String(req.params.userId));
    setFlash(req, 'The person is no longer on the authoring team.');
    res.redirect(303, `/author/${course.slug}#team`);
  });

  router.post('/:slug/team/:userId/lived', managers, async (req, res) => {
    const course = await courseOf(req);
    await authoring.setLivedExperience(managerOf(req), course.id, String(req.params.userId), body(req).livedExperience === 'yes');
    setFlash(req, 'The team is updated.');
    res.redirect(303, `/author/${course.slug}#team`);
  });

  router.get('/:slug/v/:version/export.zip', team, async (req, res) => {
    const course = await courseOf(req);
    const version = versionOf(req);
    res.setHeader('Content-Type', 'application/zip');
    res.setHeader('Content-Disposition', `attachment; filename="${course.slug}-version-${version}.zip"`);
    await courseZips.exportVersion(course.id, version, managerOf(req), res);
  });

  // ---- modules and lessons --------------------------------------------------------------------------------

  router.post('/:slug/v/:version/modules', team, async (req, res) => {
    const course = await courseOf(req);
    const form = moduleForm.safeParse(req.body);
    if (!form.success) throw new Invalid(Object.fromEntries(form.error.issues.map((issue) => [String(issue.path[0]), issue.message])));
    const { moduleKey } = await authoring.addModule(course.id, versionOf(req), form.data, currentUser(req).id);
    res.redirect(303, `/author/${course.slug}/v/${versionOf(req)}/m/${moduleKey}`);
  });

  router.get('/:slug/v/:version/m/:module', team, async (req, res) => {
    const course = await courseOf(req);
    const draft = await authoring.getDraft(course.id, versionOf(req), currentUser(req).id);
    const module = draft.modules.find((m) => m.key === param(req, 'module'));
    if (!module) throw new NotFound('This draft has no such module.');
    const base = `/author/${course.slug}/v/${draft.version}/m/${module.key}`;
    res.render('authoring/module', {
      title: `${module.title}: ${course.title}`,
      course: { ...course, href: `/author/${course.slug}` },
      draft,
      editable: draft.status === 'draft',
      module: { ...module, href: base, lessons: module.lessons.map((l) => ({ ...l, href: `${base}/l/${l.key}` })) },
      levelOptions,
      problems: draft.problems.filter((p) => p.file === module.file),
    });
  });

  router.post('/:slug/v/:version/m/:module/settings', team, async (req, res) => {
    const course = await courseOf(req);
    const form = moduleForm.safeParse(req.body);
    if (!form.success) throw new Invalid(Object.fromEntries(form.error.issues.map((issue) => [String(issue.path[0]), issue.message])));
    await authoring.updateModuleSettings(course.id, versionOf(req), param(req, 'module'), form.data, currentUser(req).id);
    setFlash(req, 'The module settings are saved.');
    res.redirect(303, `/author/${course.slug}/v/${versionOf(req)}/m/${param(req, 'module')}`);
  });

  router.post('/:slug/v/:version/m/:module/lessons', team, async (req, res) => {
    const course = await courseOf(req);
    const title = z.string().trim().min(1).max(200).safeParse(body(req).title);
    if (!title.success) throw new Invalid({ title: 'Give the lesson a title.' });
    const { lessonKey } = await authoring.addLesson(course.id, versionOf(req), param(req, 'module'), title.data, currentUser(req).id);
    res.redirect(303, `/author/${course.slug}/v/${versionOf(req)}/m/${param(req, 'module')}/l/${lessonKey}`);
  });

  router.post('/:slug/v/:version/m/:module/l/:lesson/move', team, async (req, res) => {
    const course = await courseOf(req);
    const form = directionForm.safeParse(req.body);
    if (!form.success) throw new Invalid({ direction: 'Choose up or down.' });
    await authoring.moveLesson(course.id, versionOf(req), param(req, 'module'), param(req, 'lesson'), form.data.direction === 'up' ? -1 : 1, currentUser(req).id);
    res.redirect(303, `/author/${course.slug}/v/${versionOf(req)}/m/${param(req, 'module')}#lesson-${param(req, 'lesson')}`);
  });

  router.post('/:slug/v/:version/m/:module/l/:lesson/delete', team, async (req, res) => {
    const course = await courseOf(req);
    await authoring.removeLesson(course.id, versionOf(req), param(req, 'module'), param(req, 'lesson'), currentUser(req).id);
    setFlash(req, 'The lesson is taken out of the draft. The published version still has it.');
    res.redirect(303, `/author/${course.slug}/v/${versionOf(req)}/m/${param(req, 'module')}`);
  });

  // ---- the lesson editor ------------------------------------------------------------------------------------

  async function renderLesson(
    req: Request,
    res: Response,
    found: DraftLesson,
    page: { status?: number; title?: string; text?: string; baseHash?: string; conflict?: { title: string; text: string } | null; previewOf?: { title: string; text: string } } = {},
  ): Promise<void> {
    const course = await courseOf(req);
    const preview = page.previewOf
      ? await authoring.previewLesson(found.draft, found.module.key, page.previewOf.title, found.lesson.key, page.previewOf.text)
      : { lesson: found.compiled, problems: found.problems };
    const notes = await authoring.listNotes(course.id, found.module.key, found.lesson.key, currentUser(req).id);
    res.status(page.status ?? 200).render(
      'authoring/lesson',
      lessonPageView({
        course,
        found,
        values: { title: page.title ?? found.lesson.title, text: page.text ?? found.lesson.text, baseHash: page.baseHash ?? found.lesson.hash },
        conflict: page.conflict ?? null,
        previewBlocks: preview.lesson ? previewBlockViews(preview.lesson.blocks) : [],
        previewProblems: preview.problems,
        previewIsUnsaved: Boolean(page.previewOf),
        notes,
      }),
    );
  }

  async function lessonFor(req: Request): Promise<DraftLesson> {
    const course = await courseOf(req);
    return authoring.getLesson(course.id, versionOf(req), param(req, 'module'), param(req, 'lesson'), currentUser(req).id);
  }

  router.get('/:slug/v/:version/m/:module/l/:lesson', team, async (req, res) => renderLesson(req, res, await lessonFor(req)));

  router.post('/:slug/v/:version/m/:module/l/:lesson', team, async (req, res) => {
    const course = await courseOf(req);
    const form = lessonForm.safeParse(req.body);
    if (!form.success) throw new Invalid(Object.fromEntries(form.error.issues.map((issue) => [String(issue.path[0]), issue.message])));
    if (!form.data.title) {
      const found = await lessonFor(req);
      await renderLesson(req, res, found, { status: 422, title: '', text: form.data.text, baseHash: form.data.baseHash });
      return;
    }
    const result = await authoring.saveLesson(course.id, versionOf(req), param(req, 'module'), param(req, 'lesson'), form.data, currentUser(req).id);
    if (result.conflict) {
      if (wantsJson(req)) {
        res.status(409).json({ conflict: true, message: 'Someone else saved this lesson since you opened it. Save the page to compare both texts.' });
        return;
      }
      const found = await lessonFor(req);
      // The form now starts from what is saved: saving again is a deliberate choice, made with both texts in view.
      await renderLesson(req, res, found, {
        status: 409,
        title: form.data.title,
        text: form.data.text,
        baseHash: result.current.hash,
        conflict: { title: result.current.title, text: result.current.text },
      });
      return;
    }
    const problems = result.draft.problems.length;
    if (wantsJson(req)) {
      res.json({ saved: true, hash: result.lesson.hash, problems, savedAt: new Date().toISOString() });
      return;
    }
    setFlash(req, problems > 0 ? `Saved. The draft has ${problems} thing${problems === 1 ? '' : 's'} to fix before it can be published.` : 'Saved.');
    res.redirect(303, `/author/${course.slug}/v/${versionOf(req)}/m/${param(req, 'module')}/l/${param(req, 'lesson')}`);
  });

  router.post('/:slug/v/:version/m/:module/l/:lesson/preview', team, async (req, res) => {
    const form = lessonForm.safeParse(req.body);
    if (!form.success) throw new Invalid({ text: 'The lesson text could not be read.' });
    const found = await lessonFor(req);
    await renderLesson(req, res, found, {
      title: form.data.title,
      text: form.data.text,
      baseHash: form.data.baseHash,
      previewOf: { title: form.data.title || found.lesson.title, text: form.data.text },
    });
  });

  // ---- blocks ---------------------------------------------------------------------------------------------

  async function renderBlockForm(req: Request, res: Response, found: DraftLesson, fields: BlockFields, page: { index: number | null; status?: number; errors?: Record<string, string> }) {
    const course = await courseOf(req);
    const paths = pathsOf(course.slug, found);
    res.status(page.status ?? 200).render('authoring/block', {
      title: `${page.index === null ? 'Add' : 'Change'} ${blockKindLabels[fields.kind].toLowerCase()}: ${found.lesson.title}`,
      course,
      paths,
      lessonTitle: found.lesson.title,
      kindLabel: blockKindLabels[fields.kind],
      fields,
      index: page.index,
      action: page.index === null ? `${paths.lesson}/blocks` : `${paths.lesson}/blocks/${page.index}`,
      baseHash: found.lesson.hash,
      mediaOptions: draftMediaOptions(found.draft),
      uploadKind: uploadKindOf[fields.kind],
      uploadLimits: media.uploadLimits,
      errors: page.errors ?? {},
    });
  }

  router.get('/:slug/v/:version/m/:module/l/:lesson/blocks/new', team, async (req, res) => {
    const kind = z.enum(blockKinds).safeParse(req.query.kind);
    if (!kind.success) throw new NotFound('Choose a kind of block to add.');
    await renderBlockForm(req, res, await lessonFor(req), emptyFields(kind.data), { index: null });
  });

  router.get('/:slug/v/:version/m/:module/l/:lesson/blocks/:index/edit', team, async (req, res) => {
    const found = await lessonFor(req);
    const index = Number(req.params.index);
    const source = found.lesson.blocks[index];
    if (!Number.isInteger(index) || source === undefined) throw new NotFound('This lesson has no such block (it may have been moved or removed).');
    await renderBlockForm(req, res, found, blockFields(source), { index });
  });

  /** Saves a block form (add or change), with its upload when one came; a refused form comes back with what was typed. */
  async function saveBlockForm(req: Request, res: Response, index: number | null): Promise<void> {
    const course = await courseOf(req);
    const form = body(req);
    const kind = z.enum(blockKinds).safeParse(form.kind);
    if (!kind.success) throw new Invalid({ kind: 'Choose a kind of block.' });
    const fields = fieldsFromForm(kind.data, form);
    const version = versionOf(req);
    const moduleKey = param(req, 'module');
    const lessonKey = param(req, 'lesson');
    const userId = currentUser(req).id;
    const uploaded = stored.get(req);
    if (uploaded) {
      const { path } = await authoring.addUploadedMedia(course.id, version, uploaded, userId);
      fields.src = path;
    }
    let text: string;
    try {
      text = blockSource(fields);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      await renderBlockForm(req, res, await lessonFor(req), fields, { index, status: 422, errors: error.fields });
      return;
    }
    if (!text.trim()) {
      await renderBlockForm(req, res, await lessonFor(req), fields, { index, status: 422, errors: { markdown: 'The block is empty. Write something in it.' } });
      return;
    }
    const baseHash = typeof form.baseHash === 'string' ? form.baseHash : '';
    const result =
      index === null
        ? await authoring.addBlock(course.id, version, moduleKey, lessonKey, text, userId)
        : await authoring.replaceBlock(course.id, version, moduleKey, lessonKey, index, text, userId, baseHash);
    if (result.conflict) {
      await renderBlockForm(req, res, await lessonFor(req), fields, {
        index,
        status: 409,
        errors: { block: 'Someone else changed this lesson since you opened this form. Your block is kept below: check the lesson, then save again.' },
      });
      return;
    }
    const note = noteForm.safeParse(form);
    if (note.success && note.data.note) {
      await authoring.addNote(course.id, version, moduleKey, lessonKey, { text: note.data.note, about: `${blockKindLabels[kind.data]}${fields.src ? ` (${fields.src})` : ''}` }, userId);
    }
    setFlash(req, result.draft.problems.length > 0 ? 'Saved. The preview lists what to fix.' : 'Saved.');
    res.redirect(303, `/author/${course.slug}/v/${version}/m/${moduleKey}/l/${lessonKey}#blocks`);
  }

  router.post('/:slug/v/:version/m/:module/l/:lesson/blocks', team, ...mediaUpload, async (req, res) => saveBlockForm(req, res, null));

  router.post('/:slug/v/:version/m/:module/l/:lesson/blocks/:index', team, ...mediaUpload, async (req, res) => {
    const index = Number(req.params.index);
    if (!Number.isInteger(index) || index < 0) throw new NotFound();
    await saveBlockForm(req, res, index);
  });

  async function blockAction(req: Request, res: Response, action: 'move' | 'remove'): Promise<void> {
    const course = await courseOf(req);
    const index = Number(req.params.index);
    if (!Number.isInteger(index) || index < 0) throw new NotFound();
    const form = directionForm.partial({ direction: true }).safeParse(req.body);
    const baseHash = form.success ? (form.data.baseHash ?? '') : '';
    const args = [course.id, versionOf(req), param(req, 'module'), param(req, 'lesson'), index] as const;
    const result =
      action === 'remove'
        ? await authoring.removeBlock(...args, currentUser(req).id, baseHash)
        : await authoring.moveBlock(...args, form.success && form.data.direction === 'up' ? -1 : 1, currentUser(req).id, baseHash);
    if (result.conflict) setFlash(req, 'Someone else changed this lesson a moment ago, so nothing was moved or removed. Here it is as saved now.');
    const target = action === 'move' && !result.conflict ? `#block-edit-${Math.max(0, index + (form.success && form.data.direction === 'up' ? -1 : 1))}` : '#blocks';
    res.redirect(303, `/author/${course.slug}/v/${versionOf(req)}/m/${param(req, 'module')}/l/${param(req, 'lesson')}${target}`);
  }

  router.post('/:slug/v/:version/m/:module/l/:lesson/blocks/:index/move', team, async (req, res) => blockAction(req, res, 'move'));
  router.post('/:slug/v/:version/m/:module/l/:lesson/blocks/:index/remove', team, async (req, res) => blockAction(req, res, 'remove'));

  router.post('/:slug/v/:version/m/:module/l/:lesson/media', team, ...mediaUpload, async (req, res) => {
    const course = await courseOf(req);
    const uploaded = stored.get(req);
    if (!uploaded) throw new Invalid({ upload: 'Choose a file to upload.' });
    const { path } = await authoring.addUploadedMedia(course.id, versionOf(req), uploaded, currentUser(req).id);
    const note = noteForm.safeParse(req.body);
    if (note.success && note.data.note) {
      await authoring.addNote(course.id, versionOf(req), param(req, 'module'), param(req, 'lesson'), { text: note.data.note, about: path }, currentUser(req).id);
    }
    setFlash(req, `The file is in the draft as ${path}. Choose it in a block's form.`);
    res.redirect(303, `/author/${course.slug}/v/${versionOf(req)}/m/${param(req, 'module')}/l/${param(req, 'lesson')}#media`);
  });

  router.post('/:slug/v/:version/m/:module/l/:lesson/notes', team, async (req, res) => {
    const course = await courseOf(req);
    const note = noteForm.safeParse(req.body);
    if (!note.success) throw new Invalid({ note: note.error.issues[0]?.message ?? 'The note could not be read.' });
    await authoring.addNote(course.id, versionOf(req), param(req, 'module'), param(req, 'lesson'), { text: note.data.note }, currentUser(req).id);
    res.redirect(303, `/author/${course.slug}/v/${versionOf(req)}/m/${param(req, 'module')}/l/${param(req, 'lesson')}#notes`);
  });

  return router;
}
