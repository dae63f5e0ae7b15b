/**
 * Progress and completion rules: pure functions over a course version's content and the set of
 * block keys a learner has done. The service applies them on the server; nothing here touches a database.
 *
 * - A block "counts" towards completing the course when it is required or it is a knowledge check
 *   (every check must be passed, required or not). A check is done when it has been passed.
 * - A lesson is done when its counted blocks are done. A lesson with nothing counted (only optional
 *   reading: text, media, image, file, profile) is done when its reading has been marked with "Mark as done".
 */
import type { Block, CourseVersionContent, Lesson } from '../courses/types';

export type LessonState = 'done' | 'current' | 'to-do';

/** Blocks the learner finishes by reading, watching or downloading, marked together by "Mark as done". */
export function isReadingBlock(block: Block): boolean {
  return block.kind !== 'check' && block.kind !== 'reflection';
}

export function countsForCompletion(block: Block): boolean {
  return block.required || block.kind === 'check';
}

export interface LessonRef {
  /** Unique within the course: lesson keys need only be unique within their module. */
  id: string;
  moduleKey: string;
  moduleTitle: string;
  lesson: Lesson;
  /** Position in the whole course, from 0. */
  index: number;
}

/** Published versions never change and are kept in memory, so their lesson order is worked out once. */
const lessonOrder = new WeakMap<CourseVersionContent, readonly LessonRef[]>();

export function lessonsInOrder(content: CourseVersionContent): readonly LessonRef[] {
  const known = lessonOrder.get(content);
  if (known) return known;
  const lessons: LessonRef[] = [];
  for (const module of content.modules) {
    for (const lesson of module.lessons) {
      lessons.push({ id: lessonId(module.key, lesson.key), moduleKey: module.key, moduleTitle: module.title, lesson, index: lessons.length });
    }
  }
  lessonOrder.set(content, lessons);
  return lessons;
}

export function lessonId(moduleKey: string, lessonKey: string): string {
  return `${moduleKey}/${lessonKey}`;
}

export function allBlocks(content: CourseVersionContent): Block[] {
  return content.modules.flatMap((module) => module.lessons.flatMap((lesson) => lesson.blocks));
}

/** The block keys that finish each lesson, worked out once per lesson of a (never changing) published version. */
const keysFinishingLesson = new WeakMap<Lesson, readonly string[]>();

/** The block keys whose completion finishes a lesson (reports compute lesson progress from these in the database). */
export function keysThatFinish(lesson: Lesson): readonly string[] {
  let keys = keysFinishingLesson.get(lesson);
  if (!keys) {
    const counted = lesson.blocks.filter(countsForCompletion);
    keys = (counted.length > 0 ? counted : lesson.blocks.filter(isReadingBlock)).map((block) => block.key);
    keysFinishingLesson.set(lesson, keys);
  }
  return keys;
}

export function isLessonDone(lesson: Lesson, done: ReadonlySet<string>): boolean {
  return keysThatFinish(lesson).every((key) => done.has(key));
}

/** The block keys that finish each course version, worked out once per (never changing) version. */
const keysFinishingCourse = new WeakMap<CourseVersionContent, readonly string[]>();

export function isCourseComplete(content: CourseVersionContent, done: ReadonlySet<string>): boolean {
  let keys = keysFinishingCourse.get(content);
  if (!keys) {
    keys = allBlocks(content).filter(countsForCompletion).map((block) => block.key);
    keysFinishingCourse.set(content, keys);
  }
  return keys.every((key) => done.has(key));
}

export interface Progress {
  lessonsDone: number;
  lessonCount: number;
  percent: number;
}

export function progressOf(content: CourseVersionContent, done: ReadonlySet<string>): Progress {
  const lessons = lessonsInOrder(content);
  const lessonsDone = lessons.filter((ref) => isLessonDone(ref.lesson, done)).length;
  const percent = lessons.length === 0 ? 0 : Math.round((lessonsDone / lessons.length) * 100);
  return { lessonsDone, lessonCount: lessons.length, percent };
}

export function lessonState(ref: LessonRef, done: ReadonlySet<string>, currentLessonId: string | undefined): LessonState {
  if (ref.id === currentLessonId) return 'current';
  return isLessonDone(ref.lesson, done) ? 'done' : 'to-do';
}

/**
 * Where "Continue" goes: the lesson the learner was last on, unless it is done and a later one is not;
 * then the first lesson not done; else the first lesson.
 */
export function resumeLesson(content: CourseVersionContent, done: ReadonlySet<string>, lastLessonId?: string): LessonRef | undefined {
  const lessons = lessonsInOrder(content);
  const last = lessons.find((ref) => ref.id === lastLessonId);
  if (last && !isLessonDone(last.lesson, done)) return last;
  const after = last ? lessons.slice(last.index + 1).find((ref) => !isLessonDone(ref.lesson, done)) : undefined;
  return after ?? lessons.find((ref) => !isLessonDone(ref.lesson, done)) ?? last ?? lessons[0];
}
