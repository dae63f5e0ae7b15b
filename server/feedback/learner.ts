/**
 * The learner's side of the feedback loop: end-of-module feedback (optional, one per learner, module and version:
 * a second send updates it), a flag on a lesson, the module page with its "you said, we did" notes, a read view of
 * a lesson in any published version (so a learner who finished an older version can open the changed lesson),
 * and the notes on a learner's dashboard. A learner only ever reads and writes their own feedback.
 */
import { Types } from 'mongoose';
import type { PublishedVersion } from '../courses/service';
import type { Block, CourseModule } from '../courses/types';
import { Invalid, NotFound } from '../errors';
import type { Learner } from '../learning/service';
import { mediaUrl } from '../media/types';
import { isDuplicateKey } from '../db/mongo-errors';
import type { FeedbackDeps } from './deps';
import { ChangeNote, FeedbackItem, NoteDelivery, type ChangeNoteRecord, type FeedbackItemRecord, type FlagKind } from './model';
import { STATUS_LABELS } from './rules';

export interface ModuleFeedbackInput {
  rating: number | null;
  confidenceBefore: number | null;
  confidenceAfter: number | null;
  mostUseful: string;
  shouldChange: string;
  nameToTeam: boolean;
}

export interface ModuleFeedbackForm {
  courseTitle: string;
  slug: string;
  moduleKey: string;
  moduleTitle: string;
  version: number;
  /** What the learner sent before for this module and version (a second send updates it). */
  saved: ModuleFeedbackInput | null;
  modulePageHref: string;
}

export interface NoteLessonLink {
  title: string;
  href: string;
}

/** A "you said, we did" note as everyone sees it on a module page: no learner's words, only what was done. */
export interface PublicNoteView {
  id: string;
  version: number;
  publishedLabel: string;
  summary: string;
  lessons: NoteLessonLink[];
  changedCount: number;
  declined: Array<{ reason: string }>;
}

export interface ModulePageView {
  courseTitle: string;
  slug: string;
  moduleTitle: string;
  moduleSummary: string;
  version: number;
  lessons: Array<{ title: string; href: string | null }>;
  feedback: { href: string; given: boolean } | null;
  notes: PublicNoteView[];
}

export type ReadBlockView =
  | { kind: 'text'; html: string }
  | { kind: 'image'; src: string; alt: string; captionHtml: string | null }
  | { kind: 'media'; mediaKind: 'video' | 'audio'; title: string; src: string; mimeType: string; captionsSrc: string | null; transcriptHtml: string | null }
  | { kind: 'file'; href: string; label: string }
  | { kind: 'profile'; personName: string; introHtml: string | null; communication: string[]; loves: string[]; mustKnow: string[] }
  | { kind: 'check'; title: string }
  | { kind: 'reflection'; promptHtml: string };

export interface VersionLessonView {
  courseTitle: string;
  slug: string;
  version: number;
  moduleTitle: string;
  moduleHref: string;
  title: string;
  blocks: ReadBlockView[];
  /** Where the learner takes the course (their own version), for checks and reflections. */
  courseHref: string;
}

/** A note on a learner's dashboard: what was done, and the answer to each thing they said. */
export interface LearnerNoteView {
  courseTitle: string;
  version: number;
  summary: string;
  lessons: NoteLessonLink[];
  moduleHref: string;
  yourFeedback: Array<{ said: string; answer: string }>;
}

const dateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

export function modulePageHref(slug: string, moduleKey: string): string {
  return `/courses/${encodeURIComponent(slug)}/modules/${encodeURIComponent(moduleKey)}`;
}

export function moduleFeedbackHref(slug: string, moduleKey: string): string {
  return `${modulePageHref(slug, moduleKey)}/feedback`;
}

export function versionLessonHref(slug: string, version: number, moduleKey: string, lessonKey: string): string {
  return `/courses/${encodeURIComponent(slug)}/versions/${version}/${encodeURIComponent(moduleKey)}/${encodeURIComponent(lessonKey)}`;
}

/** What a learner said, in one line, for their own dashboard. */
export function saidLine(item: Pick<FeedbackItemRecord, 'kind' | 'flag' | 'note' | 'shouldChange' | 'rating'>): string {
  if (item.kind === 'lesson') {
    const what = item.flag === 'wrong' ? 'You said a lesson was wrong' : 'You said a lesson was unclear';
    return item.note ? `${what}: "${item.note}"` : `${what}.`;
  }
  if (item.shouldChange) return `You said this should change: "${item.shouldChange}"`;
  return item.rating ? `You rated the module ${item.rating} out of 5.` : 'You gave feedback on the module.';
}

export function answerLine(item: Pick<FeedbackItemRecord, 'status' | 'decision'>): string {
  const reason = item.decision?.reason ?? '';
  if (item.status === 'declined') return `Not changed, because: ${reason}`;
  if (item.status === 'actioned') return reason || STATUS_LABELS.actioned;
  return reason ? `${STATUS_LABELS[item.status]}: ${reason}` : STATUS_LABELS[item.status];
}

function noteLessons(slug: string, note: Pick<ChangeNoteRecord, 'lessons' | 'version'>): NoteLessonLink[] {
  return note.lessons.map((lesson) => ({ title: lesson.title, href: versionLessonHref(slug, note.version, lesson.moduleKey, lesson.lessonKey) }));
}

function readBlock(block: Block): ReadBlockView {
  switch (block.kind) {
    case 'text':
      return { kind: 'text', html: block.html };
    case 'image':
      return { kind: 'image', src: mediaUrl(block.image), alt: block.alt, captionHtml: block.captionHtml ?? null };
    case 'video':
    case 'audio':
      return {
        kind: 'media',
        mediaKind: block.kind,
        title: block.title,
        src: mediaUrl(block.media),
        mimeType: block.media.mimeType,
        captionsSrc: block.captions ? mediaUrl(block.captions) : null,
        transcriptHtml: block.transcriptHtml ?? null,
      };
    case 'file':
      return { kind: 'file', href: mediaUrl(block.file), label: block.label };
    case 'profile':
      return { kind: 'profile', personName: block.personName, introHtml: block.introHtml ?? null, communication: block.communication, loves: block.loves, mustKnow: block.mustKnow };
    case 'check':
      return { kind: 'check', title: block.title };
    case 'reflection':
      return { kind: 'reflection', promptHtml: block.promptHtml };
  }
}

export function createLearnerFeedback(deps: FeedbackDeps) {
  const { courses, learning } = deps;

  /** The module in the version the learner is taking: feedback is always about what they took. */
  async function learnerModule(learner: Learner, slug: string, moduleKey: string): Promise<{ content: PublishedVersion; module: CourseModule; courseId: string }> {
    const enrolment = await learning.findEnrolment(learner, slug);
    if (!enrolment) throw new NotFound('Start the course before giving feedback on it.');
    const courseId = enrolment.course.toString();
    const content = await courses.getCourseVersion(courseId, enrolment.version);
    const module = content?.modules.find((candidate) => candidate.key === moduleKey);
    if (!content || !module) throw new NotFound('There is no such module in the version of the course you are taking.');
    return { content, module, courseId };
  }

  async function moduleFeedbackFor(learner: Learner, slug: string, moduleKey: string): Promise<ModuleFeedbackForm> {
    const { content, module, courseId } = await learnerModule(learner, slug, moduleKey);
    const saved = await FeedbackItem.findOne(
      { kind: 'module', learner: new Types.ObjectId(learner.id), course: new Types.ObjectId(courseId), moduleKey, version: content.version },
      { rating: 1, confidenceBefore: 1, confidenceAfter: 1, mostUseful: 1, shouldChange: 1, nameToTeam: 1 },
    ).lean<ModuleFeedbackInput>();
    return {
      courseTitle: content.title,
      slug: content.slug,
      moduleKey,
      moduleTitle: module.title,
      version: content.version,
      saved: saved
        ? {
            rating: saved.rating ?? null,
            confidenceBefore: saved.confidenceBefore ?? null,
            confidenceAfter: saved.confidenceAfter ?? null,
            mostUseful: saved.mostUseful ?? '',
            shouldChange: saved.shouldChange ?? '',
            nameToTeam: Boolean(saved.nameToTeam),
          }
        : null,
      modulePageHref: modulePageHref(content.slug, moduleKey),
    };
  }

  /**
   * Saves end-of-module feedback: every question is optional, but an empty form is not feedback. One document
   * per learner, module and version (a unique index); sending again updates it and keeps its triage.
   */
  async function saveModuleFeedback(learner: Learner, slug: string, moduleKey: string, input: ModuleFeedbackInput): Promise<{ created: boolean }> {
    const answered =
      input.rating !== null || input.confidenceBefore !== null || input.confidenceAfter !== null || input.mostUseful.trim() !== '' || input.shouldChange.trim() !== '';
    if (!answered) throw new Invalid({ rating: 'Answer at least one question, or choose "Skip" to leave without giving feedback' });
    const { content, courseId } = await learnerModule(learner, slug, moduleKey);
    const key = { kind: 'module' as const, learner: new Types.ObjectId(learner.id), course: new Types.ObjectId(courseId), moduleKey, version: content.version };
    const fields = {
      rating: input.rating,
      confidenceBefore: input.confidenceBefore,
      confidenceAfter: input.confidenceAfter,
      mostUseful: input.mostUseful.trim(),
      shouldChange: input.shouldChange.trim(),
      nameToTeam: input.nameToTeam,
    };
    const write = () =>
      FeedbackItem.updateOne(key, { $set: fields, $setOnInsert: { status: 'new' } }, { upsert: true, runValidators: true });
    try {
      const result = await write();
      return { created: result.upsertedCount === 1 };
    } catch (error) {
      // Two sends at once: the unique index let one insert; the other now updates it.
      if (!isDuplicateKey(error)) throw error;
      await write();
      return { created: false };
    }
  }

  /** "This was unclear" / "This is wrong" on a lesson of the version the learner is taking. */
  async function flagLesson(learner: Learner, address: { slug: string; moduleKey: string; lessonKey: string }, input: { flag: FlagKind; note: string }): Promise<void> {
    const { content, module, courseId } = await learnerModule(learner, address.slug, address.moduleKey);
    if (!module.lessons.some((lesson) => lesson.key === address.lessonKey)) throw new NotFound('There is no such lesson in the version of the course you are taking.');
    await FeedbackItem.create({
      kind: 'lesson',
      course: new Types.ObjectId(courseId),
      version: content.version,
      moduleKey: address.moduleKey,
      lessonKey: address.lessonKey,
      learner: new Types.ObjectId(learner.id),
      nameToTeam: false,
      flag: input.flag,
      note: input.note.trim(),
      status: 'new',
    });
  }

  async function publicNotes(courseId: string, slug: string, moduleKey: string): Promise<PublicNoteView[]> {
    const notes = await ChangeNote.find({ course: new Types.ObjectId(courseId), moduleKeys: moduleKey }).sort({ publishedAt: -1 }).limit(20).lean<ChangeNoteRecord[]>();
    if (notes.length === 0) return [];
    const items = await FeedbackItem.find({ answeredBy: { $in: notes.map((note) => note._id) } }, { answeredBy: 1, status: 1, 'decision.reason': 1 }).lean<
      Array<Pick<FeedbackItemRecord, 'answeredBy' | 'status' | 'decision'>>
    >();
    return notes.map((note) => {
      const answered = items.filter((item) => String(item.answeredBy) === String(note._id));
      const declinedReasons = [...new Set(answered.filter((item) => item.status === 'declined').map((item) => item.decision?.reason ?? ''))].filter(Boolean);
      return {
        id: String(note._id),
        version: note.version,
        publishedLabel: dateFormat.format(note.publishedAt),
        summary: note.summary,
        lessons: noteLessons(slug, note),
        changedCount: answered.filter((item) => item.status === 'actioned').length,
        declined: declinedReasons.map((reason) => ({ reason })),
      };
    });
  }

  /** A module's page, for every signed-in person: its lessons, the feedback form for learners who took it, its notes. */
  async function modulePage(viewer: Learner, slug: string, moduleKey: string): Promise<ModulePageView> {
    const course = await courses.getCourseBySlug(slug);
    if (!course) throw new NotFound('There is no course at this address.');
    const enrolment = await learning.findEnrolment(viewer, course.slug);
    const version = enrolment?.version ?? course.publishedVersion;
    if (version === null) throw new NotFound('There is no course at this address.');
    const content = await courses.getCourseVersion(course.id, version);
    const module = content?.modules.find((candidate) => candidate.key === moduleKey);
    if (!content || !module) throw new NotFound('There is no such module in this course.');
    const given = enrolment
      ? (await FeedbackItem.countDocuments({ kind: 'module', learner: new Types.ObjectId(viewer.id), course: new Types.ObjectId(course.id), moduleKey, version })) > 0
      : false;
    return {
      courseTitle: content.title,
      slug: course.slug,
      moduleTitle: module.title,
      moduleSummary: module.summary,
      version,
      lessons: module.lessons.map((lesson) => ({
        title: lesson.title,
        href: enrolment ? `/learn/${encodeURIComponent(course.slug)}/${encodeURIComponent(module.key)}/${encodeURIComponent(lesson.key)}` : null,
      })),
      feedback: enrolment ? { href: moduleFeedbackHref(course.slug, moduleKey), given } : null,
      notes: await publicNotes(course.id, course.slug, moduleKey),
    };
  }

  /**
   * A lesson as it is in a published (or archived) version, to read: the link in a note opens the changed lesson
   * for every learner, also one who finished an older version (whose enrolment stays on it). Drafts never show.
   * Checks and reflections are only named here: they are taken in the learner's own course.
   */
  async function versionLesson(slug: string, version: number, moduleKey: string, lessonKey: string): Promise<VersionLessonView> {
    const course = await courses.getCourseBySlug(slug);
    const content = course ? await courses.getCourseVersion(course.id, version) : null;
    if (!course || !content || content.status === 'draft') throw new NotFound('There is no such version of this course.');
    const module = content.modules.find((candidate) => candidate.key === moduleKey);
    const lesson = module?.lessons.find((candidate) => candidate.key === lessonKey);
    if (!module || !lesson) throw new NotFound('There is no such lesson in this version of the course.');
    return {
      courseTitle: content.title,
      slug: course.slug,
      version,
      moduleTitle: module.title,
      moduleHref: modulePageHref(course.slug, moduleKey),
      title: lesson.title,
      blocks: lesson.blocks.map(readBlock),
      courseHref: `/courses/${encodeURIComponent(course.slug)}`,
    };
  }

  /** The notes that answer this learner's feedback (exactly theirs: one delivery per learner answered), newest first. */
  async function notesForLearner(learnerId: string): Promise<LearnerNoteView[]> {
    if (!Types.ObjectId.isValid(learnerId)) return [];
    const learner = new Types.ObjectId(learnerId);
    const deliveries = await NoteDelivery.find({ learner }, { note: 1 }).sort({ createdAt: -1 }).limit(10).lean<Array<{ note: Types.ObjectId }>>();
    if (deliveries.length === 0) return [];
    const notes = await ChangeNote.find({ _id: { $in: deliveries.map((delivery) => delivery.note) } }).lean<ChangeNoteRecord[]>();
    const own = await FeedbackItem.find(
      { learner, answeredBy: { $in: notes.map((note) => note._id) } },
      { kind: 1, flag: 1, note: 1, shouldChange: 1, rating: 1, status: 1, decision: 1, answeredBy: 1, moduleKey: 1 },
    ).lean<FeedbackItemRecord[]>();
    const views: LearnerNoteView[] = [];
    for (const delivery of deliveries) {
      const note = notes.find((candidate) => String(candidate._id) === String(delivery.note));
      if (!note) continue;
      const course = await courses.getCourseById(String(note.course));
      if (!course) continue;
      const mine = own.filter((item) => String(item.answeredBy) === String(note._id));
      views.push({
        courseTitle: course.title,
        version: note.version,
        summary: note.summary,
        lessons: noteLessons(course.slug, note),
        moduleHref: modulePageHref(course.slug, mine[0]?.moduleKey ?? note.moduleKeys[0] ?? ''),
        yourFeedback: mine.map((item) => ({ said: saidLine(item), answer: answerLine(item) })),
      });
    }
    return views;
  }

  return { moduleFeedbackFor, saveModuleFeedback, flagLesson, modulePage, versionLesson, notesForLearner };
}
