/**
 * View models for the learner's pages: plain objects with exactly what each page shows, already formatted.
 * The lesson page's check blocks carry only `checkForLearner` (no answer key) and the learner's own result.
 */
import { checkForLearner, scoreCheck, type CheckForLearner, type CheckResult } from '../assessment/scoring';
import type { Block } from '../courses/types';
import { mediaUrl } from '../media/types';
import type { AttemptRecord, ReflectionRecord } from './model';
import { blockKeyOf } from './model';
import { isCourseComplete, isReadingBlock, lessonState, progressOf, type LessonRef, type LessonState } from './progress';
import { checkOrderSeed, latestAttempt, type LessonContext, type NewerVersion } from './service';

export function formatDate(date: Date): string {
  return date.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
}

export function courseHref(slug: string): string {
  return `/courses/${encodeURIComponent(slug)}`;
}

/** One learner's reflections on a course: for the learner and the trainers of their teams. */
/** Where "Continue" goes: the course's resume point (or its overview when not started). */
export function continueHref(slug: string): string {
  return `${courseHref(slug)}/continue`;
}

/** A course's estimated time, in words. */
export function minutesLabel(minutes: number): string {
  if (minutes < 90) return `About ${minutes} minutes`;
  const hours = Math.round((minutes / 60) * 2) / 2;
  return `About ${hours} hours`;
}

export function reflectionsHref(learnerId: string, slug: string): string {
  return `/learners/${encodeURIComponent(learnerId)}/courses/${encodeURIComponent(slug)}/reflections`;
}

/** A module's page (the feedback feature's): its lessons and "you said, we did" notes. */
export function moduleHref(slug: string, moduleKey: string): string {
  return `${courseHref(slug)}/modules/${encodeURIComponent(moduleKey)}`;
}

export function lessonPath(slug: string, moduleKey: string, lessonKey: string): string {
  return `/learn/${encodeURIComponent(slug)}/${encodeURIComponent(moduleKey)}/${encodeURIComponent(lessonKey)}`;
}

export function lessonHref(slug: string, ref: Pick<LessonRef, 'moduleKey' | 'lesson'>): string {
  return lessonPath(slug, ref.moduleKey, ref.lesson.key);
}

export const STATE_LABELS: Readonly<Record<LessonState, string>> = { done: 'Done', current: 'You are here', 'to-do': 'To do' };

/** A credit as a learner sees it: resolved from the current choices by the credits feature. */
export type { CreditLine as CreditView } from '../credits/resolve';

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function fileTypeLabel(mimeType: string, fileName: string): string {
  if (mimeType === 'application/pdf') return 'PDF';
  const extension = fileName.split('.').pop();
  return extension ? extension.toUpperCase() : 'File';
}

// ---------------------------------------------------------------------------------------------------------
// The lesson page

export interface QuestionResultView {
  prompt: string;
  right: boolean;
  chosen: { text: string; feedback: string }[];
}

export interface CheckResultView {
  score: number;
  total: number;
  passMark: number;
  passed: boolean;
  questions: QuestionResultView[];
}

export type BlockView =
  | { kind: 'text'; id: string; html: string }
  | {
      kind: 'video' | 'audio';
      id: string;
      title: string;
      src: string;
      mimeType: string;
      captionsSrc: string | null;
      transcriptHtml: string | null;
    }
  | { kind: 'image'; id: string; src: string; alt: string; captionHtml: string | null }
  | { kind: 'file'; id: string; href: string; label: string; details: string }
  | {
      kind: 'profile';
      id: string;
      personName: string;
      introHtml: string | null;
      communication: string[];
      loves: string[];
      mustKnow: string[];
      imageSrc: string | null;
      imageAlt: string;
    }
  | {
      kind: 'check';
      id: string;
      blockKey: string;
      check: CheckForLearner;
      passed: boolean;
      result: CheckResultView | null;
      /** The learner's choices to keep in the form after a failed attempt or an incomplete submission. */
      chosen: Record<string, string[]>;
      errors: Record<string, string>;
    }
  | { kind: 'reflection'; id: string; blockKey: string; promptHtml: string; text: string; savedLabel: string | null; error: string | null }
  | RenderedBlockView;

/** A block that looks the same to every learner, already rendered (./lesson-fragments.ts). */
export interface RenderedBlockView {
  readonly kind: 'rendered';
  readonly html: string;
}

export interface OutlineModule {
  title: string;
  lessons: { title: string; href: string; state: LessonState; stateLabel: string }[];
}

export interface LessonView {
  courseTitle: string;
  courseSlug: string;
  version: number;
  moduleTitle: string;
  /** The module's page: how it was made and who shaped it. */
  moduleHref: string;
  title: string;
  position: string;
  actionBase: string;
  blocks: BlockView[];
  /** "Mark as done" for the lesson's reading, when it has any. */
  markDone: { needed: boolean; done: boolean } | null;
  previous: { href: string; title: string } | null;
  next: { href: string; title: string } | null;
  outline: OutlineModule[];
  progress: { done: number; total: number };
  certificateHref: string | null;
  courseComplete: boolean;
  /** A newer version of the course is published: where the learner can see what changed and choose. */
  newerVersion: { version: number; href: string } | null;
  /** On the last lesson of a module: where the learner may give feedback on the module (optional). */
  moduleFeedbackHref: string | null;
  /** The outline (with its progress bar) already rendered (./lesson-fragments.ts); drawn from `outline` when absent. */
  outlineHtml?: string;
}

export interface LessonViewOptions {
  /** Show the result of the learner's latest attempt at this check. */
  resultFor?: string;
  /** A check submitted with questions left unanswered: the choices made and the errors. */
  incomplete?: { blockKey: string; chosen: Record<string, string[]>; errors: Record<string, string> };
  /** A reflection that could not be saved: what the learner typed and why. */
  reflectionError?: { blockKey: string; text: string; error: string };
}

/** The chosen options in the order the attempt showed them. */
function inShownOrder<T extends { optionKey: string }>(chosen: T[], shown: { key: string }[]): T[] {
  const place = new Map(shown.map((option, index) => [option.key, index]));
  return [...chosen].sort((a, b) => (place.get(a.optionKey) ?? 0) - (place.get(b.optionKey) ?? 0));
}

function resultView(attempt: AttemptRecord, result: CheckResult, check: CheckForLearner): CheckResultView {
  return {
    score: attempt.score,
    total: attempt.total,
    passMark: result.passMark,
    passed: attempt.passed,
    questions: result.questions.map((question) => ({
      prompt: check.questions.find((candidate) => candidate.key === question.questionKey)?.prompt ?? '',
      right: question.right,
      chosen: inShownOrder(question.chosen, check.questions.find((candidate) => candidate.key === question.questionKey)?.options ?? []).map(
        (option) => ({ text: option.text, feedback: option.feedback }),
      ),
    })),
  };
}

function blockView(
  block: Block,
  id: string,
  context: LessonContext,
  options: LessonViewOptions,
): BlockView {
  switch (block.kind) {
    case 'text':
      return { kind: 'text', id, html: block.html };
    case 'video':
    case 'audio':
      return {
        kind: block.kind,
        id,
        title: block.title,
        src: mediaUrl(block.media),
        mimeType: block.media.mimeType,
        captionsSrc: block.captions ? mediaUrl(block.captions) : null,
        transcriptHtml: block.transcriptHtml ?? null,
      };
    case 'image':
      return { kind: 'image', id, src: mediaUrl(block.image), alt: block.alt, captionHtml: block.captionHtml ?? null };
    case 'file':
      return {
        kind: 'file',
        id,
        href: mediaUrl(block.file),
        label: block.label,
        details: `${fileTypeLabel(block.file.mimeType, block.file.fileName)}, ${formatSize(block.file.sizeBytes)}`,
      };
    case 'profile':
      return {
        kind: 'profile',
        id,
        personName: block.personName,
        introHtml: block.introHtml ?? null,
        communication: block.communication,
        loves: block.loves,
        mustKnow: block.mustKnow,
        imageSrc: block.image ? mediaUrl(block.image) : null,
        imageAlt: block.imageAlt ?? '',
      };
    case 'check': {
      // The form shows the order of the learner's next attempt; a result shows the order of the attempt it scores.
      const check = checkForLearner(block, checkOrderSeed(context.enrolment, block.key));
      const attempt = options.resultFor === block.key ? latestAttempt(context.enrolment.attempts, block.key) : undefined;
      const incomplete = options.incomplete?.blockKey === block.key ? options.incomplete : undefined;
      return {
        kind: 'check',
        id,
        blockKey: block.key,
        check,
        passed: context.done.has(block.key),
        result: attempt ? resultView(attempt, scoreCheck(block, attempt.answers), checkForLearner(block, attempt.seed ?? null)) : null,
        chosen: incomplete?.chosen ?? (attempt && !attempt.passed ? attempt.answers : {}),
        errors: incomplete?.errors ?? {},
      };
    }
    case 'reflection': {
      const saved: ReflectionRecord | undefined = findReflection(context.enrolment.reflections, block.key);
      const failed = options.reflectionError?.blockKey === block.key ? options.reflectionError : undefined;
      return {
        kind: 'reflection',
        id,
        blockKey: block.key,
        promptHtml: block.promptHtml,
        text: failed?.text ?? saved?.text ?? '',
        savedLabel: saved && !failed ? `Saved on ${formatDate(saved.savedAt)} at ${formatTime(saved.savedAt)}` : null,
        error: failed?.error ?? null,
      };
    }
  }
}

function formatTime(date: Date): string {
  return date.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', timeZone: 'UTC' });
}

function findReflection(reflections: Record<string, ReflectionRecord> | undefined, blockKey: string): ReflectionRecord | undefined {
  if (!reflections) return undefined;
  for (const [field, reflection] of Object.entries(reflections)) if (blockKeyOf(field) === blockKey) return reflection;
  return undefined;
}

/** Published versions are immutable and kept in memory: each lesson's address is worked out once. */
const lessonAddresses = new WeakMap<LessonRef, string>();

function addressOf(slug: string, ref: LessonRef): string {
  const known = lessonAddresses.get(ref);
  if (known) return known;
  const href = lessonHref(slug, ref);
  lessonAddresses.set(ref, href);
  return href;
}

/** Blocks that look the same for every learner (all but checks and reflections), built once per block. */
const sharedBlockViews = new WeakMap<Block, BlockView>();

export function buildLessonView(context: LessonContext, options: LessonViewOptions = {}): LessonView {
  const { content, lessons, lesson, done, enrolment } = context;
  const slug = enrolment.courseSlug;
  const previous = lessons[lesson.index - 1];
  const next = lessons[lesson.index + 1];
  const reading = lesson.lesson.blocks.filter(isReadingBlock);
  const outlineItem = (ref: LessonRef): OutlineModule['lessons'][number] => {
    const state = lessonState(ref, done, lesson.id);
    return { title: ref.lesson.title, href: addressOf(slug, ref), state, stateLabel: STATE_LABELS[state] };
  };
  const outline: OutlineModule[] = content.modules.map((module) => ({
    title: module.title,
    lessons: lessons.filter((ref) => ref.moduleKey === module.key).map(outlineItem),
  }));
  const progress = progressOf(content, done);
  return {
    courseTitle: content.title,
    courseSlug: slug,
    version: enrolment.version,
    moduleTitle: lesson.moduleTitle,
    moduleHref: `${courseHref(slug)}/modules/${encodeURIComponent(lesson.moduleKey)}`,
    title: lesson.lesson.title,
    position: `Lesson ${lesson.index + 1} of ${lessons.length}`,
    actionBase: addressOf(slug, lesson),
    blocks: lesson.lesson.blocks.map((block, index) => {
      if (block.kind === 'check' || block.kind === 'reflection') return blockView(block, `block-${index + 1}`, context, options);
      const shared = sharedBlockViews.get(block);
      if (shared) return shared;
      // Shared by every learner's page: frozen, so an accidental change fails loudly instead of leaking.
      const view = Object.freeze(blockView(block, `block-${index + 1}`, context, options));
      sharedBlockViews.set(block, view);
      return view;
    }),
    markDone: reading.length > 0 ? { needed: reading.some((block) => block.required), done: reading.every((block) => done.has(block.key)) } : null,
    previous: previous ? { href: addressOf(slug, previous), title: previous.lesson.title } : null,
    next: next ? { href: addressOf(slug, next), title: next.lesson.title } : null,
    outline,
    progress: { done: progress.lessonsDone, total: progress.lessonCount },
    certificateHref: enrolment.certificateNumber ? certificateHref(enrolment.certificateNumber) : null,
    courseComplete: Boolean(enrolment.completedAt) || isCourseComplete(content, done),
    newerVersion: context.newerVersion === null ? null : { version: context.newerVersion, href: courseHref(slug) },
    moduleFeedbackHref: !next || next.moduleKey !== lesson.moduleKey ? `${moduleHref(slug, lesson.moduleKey)}/feedback` : null,
  };
}

export function certificateHref(number: string): string {
  return `/certificates/${encodeURIComponent(number)}.pdf`;
}

export interface NoticeView {
  version: number;
  changeSummary: string;
  changes: { label: string; lessons: string[] }[];
  action: string;
}

export function newerVersionNotice(slug: string, newer: NewerVersion | null): NoticeView | null {
  if (!newer) return null;
  const changes = [
    { label: 'New lessons', lessons: newer.lessonsAdded },
    { label: 'Lessons that changed', lessons: newer.lessonsChanged },
    { label: 'Lessons taken out', lessons: newer.lessonsRemoved },
  ].filter((group) => group.lessons.length > 0);
  return { version: newer.version, changeSummary: newer.changeSummary, changes, action: `${courseHref(slug)}/switch-version` };
}

/**
 * A lesson's blocks as a learner who has not started sees them, for the authoring preview: the same views the
 * lesson page renders (checks in their written order, with no answers; reflections empty).
 */
export function previewBlockViews(blocks: Block[]): BlockView[] {
  return blocks.map((block, index) => {
    const id = `block-${index + 1}`;
    if (block.kind === 'check') {
      return { kind: 'check', id, blockKey: block.key, check: checkForLearner(block, null), passed: false, result: null, chosen: {}, errors: {} };
    }
    if (block.kind === 'reflection') {
      return { kind: 'reflection', id, blockKey: block.key, promptHtml: block.promptHtml, text: '', savedLabel: null, error: null };
    }
    // Only checks and reflections (above) read the learner's context; the other kinds never look at it.
    return blockView(block, id, { enrolment: {}, done: new Set() } as unknown as LessonContext, {});
  });
}
