/**
 * Authoring in the browser: the authoring team of a course, its drafts, and every change to a draft's text.
 * A draft is a CourseVersion with status draft whose `source` (the files of a content/ folder) is the truth;
 * every save compiles it with the one parser (courses/parse.ts parseCourseSource) into `content`, recomputes
 * `contentHash` exactly as a folder is hashed, and keeps the parser's problems when there are any (the draft is
 * saved anyway: nothing typed is lost, and a draft with problems cannot be published).
 *
 * Saves are compare-and-set on the version's contentHash (retried when another save to another lesson came in
 * between); a lesson edit also carries the hash of the lesson text it started from, and a stale one is refused
 * with both texts (LessonConflict), never overwritten.
 *
 * Made once by the composition root (../services.ts).
 */
import path from 'node:path';
import { Types } from 'mongoose';
import type { AuditService } from '../audit/service';
import { Conflict, Forbidden, Invalid, NotFound } from '../errors';
import { parseModuleBody, slugify } from '../courses/blocks';
import { Course, CourseVersion, type CourseSource, type CourseVersionDoc } from '../courses/model';
import { courseSlugPattern, parseCourseSource, type ContentProblem } from '../courses/parse';
import { copySource, hashCourseSource, sortSource, type SourceMedia } from '../courses/source';
import type { CourseVersionContent, CoProductionLevel, Lesson } from '../courses/types';
import { isDuplicateKey } from '../db/mongo-errors';
import type { MediaService, UploadedAsset } from '../media/service';
import type { UsersService } from '../users/service';
import { ContributionNote, type ContributionNoteDoc } from './model';
import {
  addLesson as addLessonText,
  hashText,
  joinModuleText,
  lessonTextOfBlocks,
  moveLesson as moveLessonText,
  readLessons,
  removeLesson as removeLessonText,
  replaceLesson,
  setFrontMatterValue,
  splitModuleText,
  type LessonText,
} from './module-text';

export type TeamRole = 'trainer' | 'co-facilitator';

export interface TeamMember {
  userId: string;
  name: string;
  email: string;
  role: TeamRole;
  livedExperience: boolean;
  addedAt: Date;
}

export interface AuthoringCourse {
  id: string;
  slug: string;
  title: string;
  publishedVersion: number | null;
  latestVersion: number;
  twoKeyPublish: boolean;
  team: TeamMember[];
}

export interface DraftModule {
  key: string;
  file: string;
  title: string;
  summary: string;
  coProductionLevel: CoProductionLevel | '';
  lessons: Array<{ key: string; title: string; blockCount: number }>;
}

export interface Draft {
  courseId: string;
  slug: string;
  version: number;
  status: CourseVersionDoc['status'];
  contentHash: string;
  source: CourseSource;
  /** The last content that compiled (the current source's when `problems` is empty). */
  content: CourseVersionContent;
  problems: ContentProblem[];
  modules: DraftModule[];
  editedAt: Date | null;
}

export interface DraftLesson {
  draft: Draft;
  module: DraftModule;
  lesson: LessonText;
  /** The lesson compiled on its own (for the preview), with the parser's problems in this lesson. */
  compiled: Lesson | null;
  problems: ContentProblem[];
}

/** A lesson edit made from a stale base: what is saved now, to show beside what the person wrote. */
export interface LessonConflictResult {
  conflict: true;
  current: LessonText;
}

export type LessonSaveResult = { conflict: false; lesson: LessonText; draft: Draft } | LessonConflictResult;

export interface AuthoringServiceDeps {
  media: Pick<MediaService, 'assetsForSourceMedia'>;
  users: Pick<UsersService, 'getPeopleByIds' | 'findUserIdsByEmails'>;
  audit: Pick<AuditService, 'recordAudit'>;
}

/** Who changes the team or creates courses: trainers and admins. */
export interface TeamManager {
  id: string;
  email?: string;
  roles: readonly string[];
}

const modulePattern = /^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$/;

function objectId(id: string, what = 'course'): Types.ObjectId {
  if (!Types.ObjectId.isValid(id) || String(new Types.ObjectId(id)) !== id) throw new NotFound(`There is no such ${what}.`);
  return new Types.ObjectId(id);
}

function moduleFiles(source: CourseSource): Array<{ path: string; key: string; number: string }> {
  return source.files
    .map((file) => ({ path: file.path, match: modulePattern.exec(file.path) }))
    .filter((entry): entry is { path: string; match: RegExpExecArray } => entry.match !== null)
    .map((entry) => ({ path: entry.path, key: entry.match[2] ?? '', number: entry.match[1] ?? '' }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
}

function frontValue(frontMatter: string[], name: string): string {
  const line = frontMatter.find((l) => l.startsWith(`${name}:`));
  if (!line) return '';
  const raw = line.slice(name.length + 1).trim();
  if (raw.startsWith('"')) {
    try {
      return JSON.parse(raw) as string;
    } catch {
      return raw;
    }
  }
  if (raw === '>-' || raw === '>' || raw === '|') {
    const index = frontMatter.indexOf(line);
    const continued: string[] = [];
    for (let i = index + 1; i < frontMatter.length && /^\s+\S/.test(frontMatter[i] ?? ''); i += 1) continued.push((frontMatter[i] ?? '').trim());
    return continued.join(' ');
  }
  return raw.replace(/^'(.*)'$/, '$1');
}

function describeModules(source: CourseSource): DraftModule[] {
  return moduleFiles(source).map((file) => {
    const text = source.files.find((f) => f.path === file.path)?.text ?? '';
    const module = splitModuleText(text);
    const level = frontValue(module.frontMatter, 'coProductionLevel');
    return {
      key: file.key,
      file: file.path,
      title: frontValue(module.frontMatter, 'title') || file.key,
      summary: frontValue(module.frontMatter, 'summary'),
      coProductionLevel: (['informing', 'consultation', 'co-design', 'co-production'].includes(level) ? level : '') as CoProductionLevel | '',
      lessons: readLessons(module).map((lesson) => ({ key: lesson.key, title: lesson.title, blockCount: lesson.blocks.length })),
    };
  });
}

export function createAuthoringService({ media, users, audit }: AuthoringServiceDeps) {
  /** Compiles a source: content with asset ids when it is valid, the parser's problems either way. */
  async function compile(slug: string, source: CourseSource): Promise<{ content: CourseVersionContent | null; problems: ContentProblem[] }> {
    const parsed = await parseCourseSource(slug, source);
    if (parsed.problems.length > 0) return { content: null, problems: parsed.problems };
    await resolveAssets(parsed.uses);
    return { content: parsed.content, problems: [] };
  }

  async function resolveAssets(uses: Array<{ entry: SourceMedia; target: { assetId: string } }>): Promise<void> {
    const assets = await media.assetsForSourceMedia(uses.map((use) => use.entry));
    for (const use of uses) {
      const asset = assets.get(`${use.entry.sha256} ${use.entry.mimeType}`);
      if (asset) use.target.assetId = asset.assetId;
    }
  }

  async function isOnAuthoringTeam(courseId: string, userId: string): Promise<boolean> {
    if (!Types.ObjectId.isValid(courseId) || !Types.ObjectId.isValid(userId)) return false;
    return (await Course.exists({ _id: courseId, 'authoringTeam.user': new Types.ObjectId(userId) })) !== null;
  }

  /** Refuses anyone not on the course's authoring team (NotFound for a course that does not exist). */
  async function requireTeam(courseId: string, userId: string): Promise<void> {
    const id = objectId(courseId);
    if (!(await Course.exists({ _id: id }))) throw new NotFound('There is no such course.');
    if (!(await isOnAuthoringTeam(courseId, userId))) {
      throw new Forbidden('Only the people on this course’s authoring team can work on its drafts. A trainer can add you to the team.');
    }
  }

  function requireManager(by: TeamManager): void {
    if (!by.roles.includes('trainer') && !by.roles.includes('admin')) throw new Forbidden('Only trainers and admins can do this.');
  }

  async function getAuthoringCourse(courseIdOrSlug: { id?: string; slug?: string }): Promise<AuthoringCourse> {
    const filter = courseIdOrSlug.id ? { _id: objectId(courseIdOrSlug.id) } : { slug: String(courseIdOrSlug.slug ?? '') };
    const course = await Course.findOne(filter, 'slug title publishedVersion latestVersion twoKeyPublish authoringTeam').lean<{
      _id: Types.ObjectId;
      slug: string;
      title: string;
      publishedVersion: number | null;
      latestVersion: number;
      twoKeyPublish?: boolean;
      authoringTeam?: Array<{ user: Types.ObjectId; role: TeamRole; livedExperience: boolean; addedAt: Date }>;
    }>();
    if (!course) throw new NotFound('There is no such course.');
    const team = course.authoringTeam ?? [];
    const people = new Map((await users.getPeopleByIds(team.map((m) => m.user.toString()))).map((p) => [p.id, p]));
    return {
      id: course._id.toString(),
      slug: course.slug,
      title: course.title,
      publishedVersion: course.publishedVersion ?? null,
      latestVersion: course.latestVersion,
      twoKeyPublish: course.twoKeyPublish ?? true,
      team: team.map((member) => ({
        userId: member.user.toString(),
        name: people.get(member.user.toString())?.name ?? 'Someone no longer here',
        email: people.get(member.user.toString())?.email ?? '',
        role: member.role,
        livedExperience: member.livedExperience,
        addedAt: member.addedAt,
      })),
    };
  }

  /** The courses a person is on the authoring team of, by title. */
  async function listMyCourses(userId: string): Promise<Array<{ id: string; slug: string; title: string; publishedVersion: number | null }>> {
    if (!Types.ObjectId.isValid(userId)) return [];
    const rows = await Course.find({ 'authoringTeam.user': new Types.ObjectId(userId) }, 'slug title publishedVersion')
      .sort({ title: 1 })
      .lean<Array<{ _id: Types.ObjectId; slug: string; title: string; publishedVersion: number | null }>>();
    return rows.map((row) => ({ id: row._id.toString(), slug: row.slug, title: row.title, publishedVersion: row.publishedVersion ?? null }));
  }

  // ---- the team --------------------------------------------------------------------------------------------

  async function addTeamMember(
    by: TeamManager,
    courseId: string,
    input: { email: string; role: TeamRole; livedExperience: boolean },
  ): Promise<TeamMember> {
    requireManager(by);
    const id = objectId(courseId);
    const found = await users.findUserIdsByEmails([input.email]);
    const userId = [...found.values()][0];
    if (!userId) throw new Invalid({ email: 'There is no account with this email address. Invite the person first (People), then add them.' });
    const [person] = await users.getPeopleByIds([userId]);
    if (!person) throw new Invalid({ email: 'There is no account with this email address.' });
    const role = input.role;
    if (!person.roles.includes(role) && !(role === 'trainer' && person.roles.includes('admin'))) {
      throw new Invalid({ role: `${person.name} does not have the ${role} role. Give them the role on People first, or choose the role they have.` });
    }
    const addedAt = new Date();
    const added = await Course.updateOne(
      { _id: id, 'authoringTeam.user': { $ne: new Types.ObjectId(userId) } },
      { $push: { authoringTeam: { user: new Types.ObjectId(userId), role, livedExperience: input.livedExperience, addedAt, addedBy: new Types.ObjectId(by.id) } } },
    );
    if (added.matchedCount === 0) {
      if (!(await Course.exists({ _id: id }))) throw new NotFound('There is no such course.');
      throw new Invalid({ email: `${person.name} is already on the team.` });
    }
    await audit.recordAudit({
      action: 'course.team-added',
      actor: { id: by.id, email: by.email },
      target: { type: 'course', id: courseId },
      details: { userId, role, livedExperience: input.livedExperience },
    });
    return { userId, name: person.name, email: person.email, role, livedExperience: input.livedExperience, addedAt };
  }

  async function removeTeamMember(by: TeamManager, courseId: string, userId: string): Promise<void> {
    requireManager(by);
    const id = objectId(courseId);
    await Course.updateOne({ _id: id }, { $pull: { authoringTeam: { user: objectId(userId, 'person') } } });
    await audit.recordAudit({ action: 'course.team-removed', actor: { id: by.id, email: by.email }, target: { type: 'course', id: courseId }, details: { userId } });
  }

  async function setLivedExperience(by: TeamManager, courseId: string, userId: string, livedExperience: boolean): Promise<void> {
    requireManager(by);
    const updated = await Course.updateOne(
      { _id: objectId(courseId), 'authoringTeam.user': objectId(userId, 'person') },
      { $set: { 'authoringTeam.$.livedExperience': livedExperience } },
    );
    if (updated.matchedCount === 0) throw new NotFound('This person is not on the team.');
    await audit.recordAudit({
      action: 'course.team-changed',
      actor: { id: by.id, email: by.email },
      target: { type: 'course', id: courseId },
      details: { userId, livedExperience },
    });
  }

  // ---- courses and drafts ---------------------------------------------------------------------------------

  /**
   * A new course: its address, course.md, and the person who made it on its team as a trainer. Version 1 is a
   * draft (a course needs a module before it is valid; its problems say so).
   */
  async function createCourse(
    by: TeamManager,
    input: { slug: string; title: string; summary: string; audience: string; estimatedMinutes: number },
  ): Promise<{ courseId: string; version: number }> {
    requireManager(by);
    if (!courseSlugPattern.test(input.slug)) throw new Invalid({ slug: 'Use lower-case letters, digits and dashes, like first-aid-basics.' });
    const courseMd = [
      '---',
      `title: ${JSON.stringify(input.title.trim())}`,
      `summary: ${JSON.stringify(input.summary.trim())}`,
      `audience: ${JSON.stringify(input.audience.trim())}`,
      `estimatedMinutes: ${input.estimatedMinutes}`,
      'credits: []',
      '---',
      '',
    ].join('\n');
    const source: CourseSource = { files: [{ path: 'course.md', text: courseMd }], media: [] };
    const compiled = await compile(input.slug, source);
    const content: CourseVersionContent = compiled.content ?? {
      title: input.title.trim(),
      summary: input.summary.trim(),
      audience: input.audience.trim(),
      estimatedMinutes: input.estimatedMinutes,
      credits: [],
      modules: [],
    };
    let course;
    try {
      course = await Course.create({
        slug: input.slug,
        title: content.title,
        summary: content.summary,
        audience: content.audience,
        status: 'draft',
        publishedVersion: null,
        latestVersion: 1,
        estimatedMinutes: content.estimatedMinutes,
        moduleCount: 0,
        credits: [],
        authoringTeam: [{ user: new Types.ObjectId(by.id), role: 'trainer', livedExperience: false, addedAt: new Date(), addedBy: new Types.ObjectId(by.id) }],
      });
    } catch (error) {
      if (isDuplicateKey(error)) throw new Invalid({ slug: 'There is already a course at this address. Choose another.' });
      throw error;
    }
    const now = new Date();
    await CourseVersion.create({
      course: course._id,
      version: 1,
      status: 'draft',
      contentHash: hashCourseSource(source),
      content,
      changeSummary: '',
      importedAt: now,
      source,
      sourceProblems: compiled.problems,
      createdBy: new Types.ObjectId(by.id),
      editedAt: now,
      editedBy: new Types.ObjectId(by.id),
    });
    await audit.recordAudit({ action: 'course.created', actor: { id: by.id, email: by.email }, target: { type: 'course', id: course._id.toString(), label: content.title } });
    return { courseId: course._id.toString(), version: 1 };
  }

  function toDraft(doc: CourseVersionDoc, slug: string): Draft {
    if (!doc.source) {
      throw new Conflict(
        'This version was stored before courses kept their files, so it cannot be edited here. Import the course folder again (npm run content:import) or import it as a ZIP.',
      );
    }
    return {
      courseId: doc.course.toString(),
      slug,
      version: doc.version,
      status: doc.status,
      contentHash: doc.contentHash,
      source: doc.source,
      content: doc.content,
      problems: (doc.sourceProblems ?? []) as ContentProblem[],
      modules: describeModules(doc.source),
      editedAt: doc.editedAt ?? null,
    };
  }

  async function slugOf(courseId: Types.ObjectId): Promise<string> {
    const course = await Course.findById(courseId, 'slug').lean<{ slug: string }>();
    if (!course) throw new NotFound('There is no such course.');
    return course.slug;
  }

  /**
   * The course's draft to work on: the newest draft if there is one, else a new draft version copied from the
   * published version's source (same content, same hash until the first change).
   */
  async function startDraft(courseId: string, byUserId: string): Promise<{ version: number; created: boolean }> {
    const id = objectId(courseId);
    await requireTeam(courseId, byUserId);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const existing = await CourseVersion.findOne({ course: id, status: 'draft' }, 'version').sort({ version: -1 }).lean<{ version: number }>();
      if (existing) return { version: existing.version, created: false };
      const course = await Course.findById(id, 'publishedVersion latestVersion').lean<{ publishedVersion: number | null; latestVersion: number }>();
      if (!course || course.publishedVersion == null) throw new NotFound('This course has no published version to start a draft from.');
      const published = await CourseVersion.findOne({ course: id, version: course.publishedVersion }).lean<CourseVersionDoc>();
      if (!published) throw new NotFound('This course has no published version to start a draft from.');
      const source = toDraft(published, '').source;
      const latest = await CourseVersion.findOne({ course: id }, 'version').sort({ version: -1 }).lean<{ version: number }>();
      const version = Math.max(course.latestVersion, latest?.version ?? 0) + 1;
      try {
        await CourseVersion.create({
          course: id,
          version,
          status: 'draft',
          contentHash: hashCourseSource(source),
          content: published.content,
          changeSummary: '',
          importedAt: new Date(),
          source: copySource(source),
          sourceProblems: [],
          createdBy: new Types.ObjectId(byUserId),
        });
      } catch (error) {
        if (isDuplicateKey(error)) continue; // someone else started one at the same moment: use theirs
        throw error;
      }
      await Course.updateOne({ _id: id, latestVersion: { $lt: version } }, { $set: { latestVersion: version } });
      return { version, created: true };
    }
    throw new Conflict('Someone else is starting a draft of this course at the same moment. Please try again.');
  }

  /** A version of a course, for the team (any status: a published one is read-only on the pages). */
  async function getDraft(courseId: string, version: number, userId: string): Promise<Draft> {
    const id = objectId(courseId);
    await requireTeam(courseId, userId);
    const doc = await CourseVersion.findOne({ course: id, version }).lean<CourseVersionDoc>();
    if (!doc) throw new NotFound('This course has no such version.');
    return toDraft(doc, await slugOf(id));
  }

  /**
   * Changes a draft's source and saves it: compiled, hashed, problems kept. `change` gets a copy of the current
   * source and returns the new one (or throws / returns a conflict). Retried when another save came in between.
   */
  async function changeSource<T>(
    courseId: string,
    version: number,
    byUserId: string,
    change: (source: CourseSource, draft: Draft) => { source: CourseSource; result: T } | { stop: T },
  ): Promise<T> {
    const id = objectId(courseId);
    await requireTeam(courseId, byUserId);
    const slug = await slugOf(id);
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const doc = await CourseVersion.findOne({ course: id, version }).lean<CourseVersionDoc>();
      if (!doc) throw new NotFound('This course has no such version.');
      if (doc.status !== 'draft') throw new Conflict(`Version ${version} is ${doc.status} and can no longer be changed. Start a new draft to make changes.`);
      const draft = toDraft(doc, slug);
      const outcome = change(copySource(draft.source), draft);
      if ('stop' in outcome) return outcome.stop;
      const source = sortSource(outcome.source);
      const contentHash = hashCourseSource(source);
      const compiled = await compile(slug, source);
      const set: Record<string, unknown> = {
        source,
        contentHash,
        sourceProblems: compiled.problems,
        editedAt: new Date(),
        editedBy: new Types.ObjectId(byUserId),
      };
      if (compiled.content) {
        set.content = compiled.content;
        set.changeSummary = compiled.content.changeSummary ?? '';
      }
      const saved = await CourseVersion.updateOne({ _id: doc._id, status: 'draft', contentHash: doc.contentHash }, { $set: set });
      if (saved.matchedCount === 1) return outcome.result;
    }
    throw new Conflict('This draft is being changed by several people at once. Please save again.');
  }

  function moduleFileOf(source: CourseSource, moduleKey: string): { path: string; text: string } {
    const file = moduleFiles(source).find((m) => m.key === moduleKey);
    const text = file ? source.files.find((f) => f.path === file.path)?.text : undefined;
    if (!file || text === undefined) throw new NotFound('This draft has no such module.');
    return { path: file.path, text };
  }

  function setFile(source: CourseSource, filePath: string, text: string): CourseSource {
    const files = source.files.filter((f) => f.path !== filePath);
    files.push({ path: filePath, text });
    return { files, media: source.media };
  }

  function lessonOf(text: string, lessonKey: string): LessonText {
    const lesson = readLessons(splitModuleText(text)).find((l) => l.key === lessonKey);
    if (!lesson) throw new NotFound('This module has no such lesson.');
    return lesson;
  }

  /** A lesson of a version, with its blocks' text and its own compiled blocks for the preview. */
  async function getLesson(courseId: string, version: number, moduleKey: string, lessonKey: string, userId: string): Promise<DraftLesson> {
    const draft = await getDraft(courseId, version, userId);
    const module = draft.modules.find((m) => m.key === moduleKey);
    if (!module) throw new NotFound('This draft has no such module.');
    const lesson = lessonOf(moduleFileOf(draft.source, moduleKey).text, lessonKey);
    const preview = await previewLesson(draft, moduleKey, lesson.title, lesson.key, lesson.text);
    return { draft, module, lesson, compiled: preview.lesson, problems: preview.problems };
  }

  /**
   * Compiles one lesson's text on its own, with the draft's media: the preview of the edit page (also for text
   * not saved yet). Problems name the lesson's own lines.
   */
  async function previewLesson(
    draft: Pick<Draft, 'source'>,
    moduleKey: string,
    title: string,
    lessonKey: string,
    text: string,
  ): Promise<{ lesson: Lesson | null; problems: ContentProblem[] }> {
    const sectionText = `${lessonHeadingFor(title, lessonKey)}\n\n${text}`;
    const body = parseModuleBody(moduleKey, sectionText.split('\n'), 1);
    const problems: ContentProblem[] = body.problems.map((p) => ({ file: 'this lesson', line: p.line, message: p.message }));
    const mediaByPath = new Map(draft.source.media.map((m) => [m.path, m]));
    const uses: Array<{ entry: SourceMedia; target: { assetId: string; mimeType: string; sizeBytes: number; fileName: string } }> = [];
    for (const use of body.media) {
      const entry = mediaByPath.get(path.posix.normalize(use.src));
      if (!entry || !entry.mimeType) {
        problems.push({ file: 'this lesson', line: use.line, message: `${use.src}: the draft has no usable file with this name; upload it first` });
        continue;
      }
      use.target.mimeType = entry.mimeType;
      use.target.sizeBytes = entry.sizeBytes;
      use.target.fileName = path.posix.basename(entry.path);
      uses.push({ entry, target: use.target });
    }
    await resolveAssets(uses);
    return { lesson: body.lessons[0] ?? null, problems };
  }

  function lessonHeadingFor(title: string, key: string): string {
    const clean = title.replace(/\s+/g, ' ').trim() || 'Untitled lesson';
    return slugify(clean) === key ? `## ${clean}` : `## ${clean} {#${key}}`;
  }

  /**
   * Saves a lesson's title and text. Refused (a conflict with what is saved now) when the lesson changed since
   * `baseHash`, the hash of the text the person started from.
   */
  async function saveLesson(
    courseId: string,
    version: number,
    moduleKey: string,
    lessonKey: string,
    input: { title: string; text: string; baseHash: string },
    byUserId: string,
  ): Promise<LessonSaveResult> {
    const title = input.title.replace(/\s+/g, ' ').trim();
    if (!title) throw new Invalid({ title: 'Give the lesson a title.' });
    const saved = await changeSource<LessonText | LessonConflictResult>(courseId, version, byUserId, (source) => {
      const file = moduleFileOf(source, moduleKey);
      const current = lessonOf(file.text, lessonKey);
      if (current.hash !== input.baseHash) return { stop: { conflict: true, current } };
      const text = joinModuleText(replaceLesson(splitModuleText(file.text), lessonKey, title, input.text));
      return { source: setFile(source, file.path, text), result: lessonOf(text, lessonKey) };
    });
    if ('conflict' in saved) return saved;
    return { conflict: false, lesson: saved, draft: await getDraft(courseId, version, byUserId) };
  }

  async function addLesson(courseId: string, version: number, moduleKey: string, title: string, byUserId: string): Promise<{ lessonKey: string }> {
    const clean = title.replace(/\s+/g, ' ').trim();
    if (!clean) throw new Invalid({ title: 'Give the lesson a title.' });
    return changeSource(courseId, version, byUserId, (source) => {
      const file = moduleFileOf(source, moduleKey);
      const module = splitModuleText(file.text);
      const taken = new Set(readLessons(module).map((l) => l.key));
      const base = slugify(clean) || 'lesson';
      let key = base;
      for (let n = 2; taken.has(key); n += 1) key = `${base}-${n}`;
      return { source: setFile(source, file.path, joinModuleText(addLessonText(module, key, clean, ''))), result: { lessonKey: key } };
    });
  }

  async function removeLesson(courseId: string, version: number, moduleKey: string, lessonKey: string, byUserId: string): Promise<void> {
    await changeSource(courseId, version, byUserId, (source) => {
      const file = moduleFileOf(source, moduleKey);
      lessonOf(file.text, lessonKey);
      return { source: setFile(source, file.path, joinModuleText(removeLessonText(splitModuleText(file.text), lessonKey))), result: undefined };
    });
  }

  async function moveLesson(courseId: string, version: number, moduleKey: string, lessonKey: string, direction: -1 | 1, byUserId: string): Promise<void> {
    await changeSource(courseId, version, byUserId, (source) => {
      const file = moduleFileOf(source, moduleKey);
      lessonOf(file.text, lessonKey);
      return { source: setFile(source, file.path, joinModuleText(moveLessonText(splitModuleText(file.text), lessonKey, direction))), result: undefined };
    });
  }

  /**
   * Changes one lesson's list of blocks (add, replace, remove, move), refused as a conflict when the lesson changed
   * since `baseHash` (when given).
   */
  async function changeBlocks(
    courseId: string,
    version: number,
    moduleKey: string,
    lessonKey: string,
    byUserId: string,
    baseHash: string | undefined,
    edit: (blocks: string[]) => string[],
  ): Promise<LessonSaveResult> {
    const saved = await changeSource<LessonText | LessonConflictResult>(courseId, version, byUserId, (source) => {
      const file = moduleFileOf(source, moduleKey);
      const current = lessonOf(file.text, lessonKey);
      if (baseHash !== undefined && current.hash !== baseHash) return { stop: { conflict: true, current } };
      const text = joinModuleText(replaceLesson(splitModuleText(file.text), lessonKey, current.title, lessonTextOfBlocks(edit([...current.blocks]))));
      return { source: setFile(source, file.path, text), result: lessonOf(text, lessonKey) };
    });
    if ('conflict' in saved) return saved;
    return { conflict: false, lesson: saved, draft: await getDraft(courseId, version, byUserId) };
  }

  function blockIndex(blocks: string[], index: number): number {
    if (!Number.isInteger(index) || index < 0 || index >= blocks.length) throw new NotFound('This lesson has no such block (it may have been moved or removed).');
    return index;
  }

  /** Adds a block (its `:::kind{...}` text, or Markdown for a text block) at the end of a lesson, or at `at`. */
  async function addBlock(
    courseId: string,
    version: number,
    moduleKey: string,
    lessonKey: string,
    blockSource: string,
    byUserId: string,
    options: { at?: number; baseHash?: string } = {},
  ): Promise<LessonSaveResult> {
    if (!blockSource.trim()) throw new Invalid({ block: 'The block is empty.' });
    return changeBlocks(courseId, version, moduleKey, lessonKey, byUserId, options.baseHash, (blocks) => {
      const at = options.at === undefined ? blocks.length : Math.max(0, Math.min(blocks.length, options.at));
      blocks.splice(at, 0, blockSource);
      return blocks;
    });
  }

  async function replaceBlock(
    courseId: string,
    version: number,
    moduleKey: string,
    lessonKey: string,
    index: number,
    blockSource: string,
    byUserId: string,
    baseHash: string,
  ): Promise<LessonSaveResult> {
    if (!blockSource.trim()) throw new Invalid({ block: 'The block is empty. To take it out, use Remove.' });
    return changeBlocks(courseId, version, moduleKey, lessonKey, byUserId, baseHash, (blocks) => {
      blocks[blockIndex(blocks, index)] = blockSource;
      return blocks;
    });
  }

  async function removeBlock(courseId: string, version: number, moduleKey: string, lessonKey: string, index: number, byUserId: string, baseHash: string) {
    return changeBlocks(courseId, version, moduleKey, lessonKey, byUserId, baseHash, (blocks) => {
      blocks.splice(blockIndex(blocks, index), 1);
      return blocks;
    });
  }

  async function moveBlock(courseId: string, version: number, moduleKey: string, lessonKey: string, index: number, direction: -1 | 1, byUserId: string, baseHash: string) {
    return changeBlocks(courseId, version, moduleKey, lessonKey, byUserId, baseHash, (blocks) => {
      const from = blockIndex(blocks, index);
      const to = from + direction;
      if (to < 0 || to >= blocks.length) return blocks;
      [blocks[from], blocks[to]] = [blocks[to] ?? '', blocks[from] ?? ''];
      return blocks;
    });
  }

  /** A new module file at the end of the course: NN-key.md with its settings and one empty lesson. */
  async function addModule(
    courseId: string,
    version: number,
    input: { title: string; summary: string; coProductionLevel: CoProductionLevel },
    byUserId: string,
  ): Promise<{ moduleKey: string }> {
    const title = input.title.replace(/\s+/g, ' ').trim();
    if (!title) throw new Invalid({ title: 'Give the module a title.' });
    return changeSource(courseId, version, byUserId, (source) => {
      const existing = moduleFiles(source);
      const next = existing.reduce((max, m) => Math.max(max, Number(m.number)), 0) + 1;
      if (next > 99) throw new Invalid({ title: 'A course can have at most 99 modules.' });
      const base = slugify(title) || 'module';
      let key = base;
      for (let n = 2; existing.some((m) => m.key === key); n += 1) key = `${base}-${n}`;
      const text = [
        '---',
        `title: ${JSON.stringify(title)}`,
        `summary: ${JSON.stringify(input.summary.replace(/\s+/g, ' ').trim() || title)}`,
        `coProductionLevel: ${input.coProductionLevel}`,
        'credits: []',
        '---',
        '',
        '## First lesson {#first-lesson}',
        '',
      ].join('\n');
      return { source: setFile(source, `${String(next).padStart(2, '0')}-${key}.md`, text), result: { moduleKey: key } };
    });
  }

  /** A module's settings: title, summary and co-production level (other front matter lines stay as they are). */
  async function updateModuleSettings(
    courseId: string,
    version: number,
    moduleKey: string,
    input: { title: string; summary: string; coProductionLevel: CoProductionLevel },
    byUserId: string,
  ): Promise<void> {
    await changeSource(courseId, version, byUserId, (source) => {
      const file = moduleFileOf(source, moduleKey);
      let module = splitModuleText(file.text);
      if (module.frontMatter.length < 2) module = { frontMatter: ['---', '---'], body: module.body };
      module = setFrontMatterValue(module, 'title', input.title.replace(/\s+/g, ' ').trim());
      module = setFrontMatterValue(module, 'summary', input.summary.replace(/\s+/g, ' ').trim());
      module = setFrontMatterValue(module, 'coProductionLevel', input.coProductionLevel);
      return { source: setFile(source, file.path, joinModuleText(module)), result: undefined };
    });
  }

  /**
   * Puts an uploaded file into the draft's source as media/<name> (a new name when taken by other bytes) and
   * returns its path for a block's src. Uploads are stored by media.storeUpload, which checked their bytes.
   */
  async function addUploadedMedia(courseId: string, version: number, upload: UploadedAsset, byUserId: string): Promise<{ path: string }> {
    const extension = extensionFor(upload.mimeType);
    if (!extension) throw new Invalid({ file: `${upload.fileName}: this kind of file cannot be used in a lesson yet.` });
    const base = slugify(upload.fileName.replace(/\.[^.]*$/, '')) || upload.kind;
    return changeSource<{ path: string }>(courseId, version, byUserId, (source) => {
      const same = source.media.find((m) => m.sha256 === upload.sha256 && m.mimeType === upload.mimeType);
      if (same) return { stop: { path: same.path } };
      let candidate = `media/${base}.${extension}`;
      for (let n = 2; source.media.some((m) => m.path === candidate) || source.files.some((f) => f.path === candidate); n += 1) {
        candidate = `media/${base}-${n}.${extension}`;
      }
      const entry: SourceMedia = { path: candidate, sha256: upload.sha256, mimeType: upload.mimeType, sizeBytes: upload.sizeBytes };
      return { source: { files: source.files, media: [...source.media, entry] }, result: { path: candidate } };
    });
  }

  /**
   * Saves an imported source (a ZIP, already checked, media stored, content compiled with asset ids) as a new
   * draft: of the course at `slug` when it exists (the person must be on its team; a waiting draft is archived,
   * not lost), else of a new course with the person on its team as a trainer (trainers and admins only).
   */
  async function saveImportedDraft(
    by: TeamManager,
    slug: string,
    source: CourseSource,
    content: CourseVersionContent,
  ): Promise<{ courseId: string; version: number; createdCourse: boolean }> {
    const sorted = sortSource(source);
    const contentHash = hashCourseSource(sorted);
    const now = new Date();
    const existing = await Course.findOne({ slug }, '_id latestVersion').lean<{ _id: Types.ObjectId; latestVersion: number }>();
    let courseId: Types.ObjectId;
    let createdCourse = false;
    if (existing) {
      await requireTeam(existing._id.toString(), by.id);
      courseId = existing._id;
    } else {
      requireManager(by);
      try {
        const created = await Course.create({
          slug,
          title: content.title,
          summary: content.summary,
          audience: content.audience,
          status: 'draft',
          publishedVersion: null,
          latestVersion: 0,
          estimatedMinutes: content.estimatedMinutes,
          moduleCount: content.modules.length,
          credits: content.credits,
          authoringTeam: [{ user: new Types.ObjectId(by.id), role: 'trainer', livedExperience: false, addedAt: now, addedBy: new Types.ObjectId(by.id) }],
        });
        courseId = created._id;
        createdCourse = true;
      } catch (error) {
        if (isDuplicateKey(error)) throw new Conflict('A course with this address was made a moment ago. Import the ZIP again to make it a draft of that course.');
        throw error;
      }
    }
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const latest = await CourseVersion.findOne({ course: courseId }, 'version').sort({ version: -1 }).lean<{ version: number }>();
      const version = (latest?.version ?? 0) + 1;
      try {
        await CourseVersion.create({
          course: courseId,
          version,
          status: 'draft',
          contentHash,
          content,
          changeSummary: content.changeSummary ?? '',
          importedAt: now,
          source: sorted,
          sourceProblems: [],
          createdBy: new Types.ObjectId(by.id),
          editedAt: now,
          editedBy: new Types.ObjectId(by.id),
        });
      } catch (error) {
        if (isDuplicateKey(error)) continue;
        throw error;
      }
      // One draft at a time: the older waiting drafts are archived (kept, readable), not replaced.
      await CourseVersion.updateMany({ course: courseId, status: 'draft', version: { $lt: version } }, { $set: { status: 'archived' } });
      await Course.updateOne({ _id: courseId, latestVersion: { $lt: version } }, { $set: { latestVersion: version } });
      await audit.recordAudit({
        action: 'course.draft-imported',
        actor: { id: by.id, email: by.email },
        target: { type: 'course', id: courseId.toString(), label: content.title },
        details: { version, contentHash },
      });
      return { courseId: courseId.toString(), version, createdCourse };
    }
    throw new Conflict('Several drafts of this course are being made at once. Please import again.');
  }

  // ---- notes ------------------------------------------------------------------------------------------------

  async function addNote(
    courseId: string,
    version: number,
    moduleKey: string,
    lessonKey: string,
    input: { text: string; about?: string },
    byUserId: string,
  ): Promise<void> {
    await requireTeam(courseId, byUserId);
    const text = input.text.trim();
    if (!text) return;
    if (text.length > 2000) throw new Invalid({ note: 'A note can be at most 2000 characters.' });
    await ContributionNote.create({ course: objectId(courseId), version, moduleKey, lessonKey, about: input.about ?? '', text, by: new Types.ObjectId(byUserId) });
  }

  async function listNotes(courseId: string, moduleKey: string, lessonKey: string, userId: string) {
    await requireTeam(courseId, userId);
    const rows = await ContributionNote.find({ course: objectId(courseId), moduleKey, lessonKey }).sort({ createdAt: 1 }).lean<ContributionNoteDoc[]>();
    const people = new Map((await users.getPeopleByIds([...new Set(rows.map((r) => r.by.toString()))])).map((p) => [p.id, p.name]));
    return rows.map((row) => ({ id: row._id.toString(), text: row.text, about: row.about, byName: people.get(row.by.toString()) ?? 'Someone', at: row.createdAt, version: row.version }));
  }

  return {
    isOnAuthoringTeam,
    requireTeam,
    getAuthoringCourse,
    listMyCourses,
    addTeamMember,
    removeTeamMember,
    setLivedExperience,
    createCourse,
    startDraft,
    getDraft,
    getLesson,
    previewLesson,
    saveLesson,
    addLesson,
    removeLesson,
    moveLesson,
    addBlock,
    replaceBlock,
    removeBlock,
    moveBlock,
    addModule,
    updateModuleSettings,
    addUploadedMedia,
    saveImportedDraft,
    addNote,
    listNotes,
    /** Compiles a source (for imports of ZIPs): content when valid, problems either way. */
    compile,
    hashText,
  };
}

/** The extension a file of this checked type is named with in a course folder (the parser's rules). */
function extensionFor(mimeType: string): string | null {
  const map: Record<string, string> = {
    'image/png': 'png',
    'image/jpeg': 'jpg',
    'image/webp': 'webp',
    'image/gif': 'gif',
    'audio/mpeg': 'mp3',
    'audio/mp4': 'm4a',
    'audio/ogg': 'ogg',
    'audio/wav': 'wav',
    'audio/webm': 'webm',
    'video/mp4': 'mp4',
    'video/webm': 'webm',
    'text/vtt': 'vtt',
    'application/pdf': 'pdf',
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
    'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
    'application/vnd.oasis.opendocument.text': 'odt',
    'text/plain; charset=utf-8': 'txt',
  };
  return map[mimeType] ?? null;
}

export type AuthoringService = ReturnType<typeof createAuthoringService>;
