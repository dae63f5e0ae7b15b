/**
 * What changed between two versions of a course, by the stable keys of modules, lessons and blocks: the one
 * comparison behind the trainer's review page, the learner's "a new version is ready" notice, and the block
 * keys on which a learner's progress carries over.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Block, CourseVersionContent, Lesson } from './types';

/** A lesson named for people: which module it sits in and its title. */
export interface LessonRef {
  moduleKey: string;
  moduleTitle: string;
  lessonKey: string;
  lessonTitle: string;
}

/** What a learner or trainer would notice between two versions, compared by the stable keys. */
export interface VersionChanges {
  /** The authors' own words on what changed ("you said, we did"), from the newer version. */
  changeSummary: string;
  modulesAdded: string[];
  modulesRemoved: string[];
  lessonsAdded: LessonRef[];
  lessonsRemoved: LessonRef[];
  lessonsChanged: LessonRef[];
  /** Course title, summary, audience, time or credits differ. */
  detailsChanged: boolean;
  /** True when nothing a learner sees is different. */
  unchanged: boolean;
  /** Block keys, in course order: progress on kept and changed blocks carries over to the newer version. */
  blocks: BlockChanges;
}

export interface BlockChanges {
  added: string[];
  removed: string[];
  changed: string[];
  kept: string[];
}

function blocksOf(content: CourseVersionContent): Block[] {
  return content.modules.flatMap((mod) => mod.lessons.flatMap((lesson) => lesson.blocks));
}

function blockChanges(from: CourseVersionContent, to: CourseVersionContent): BlockChanges {
  const before = new Map(blocksOf(from).map((block) => [block.key, block]));
  const changes: BlockChanges = { added: [], removed: [], changed: [], kept: [] };
  const seen = new Set<string>();
  for (const block of blocksOf(to)) {
    seen.add(block.key);
    const previous = before.get(block.key);
    if (previous === undefined) changes.added.push(block.key);
    else if (isDeepStrictEqual(previous, block)) changes.kept.push(block.key);
    else changes.changed.push(block.key);
  }
  changes.removed = [...before.keys()].filter((key) => !seen.has(key));
  return changes;
}

function lessonsByKey(content: CourseVersionContent): Map<string, { ref: LessonRef; lesson: Lesson }> {
  const map = new Map<string, { ref: LessonRef; lesson: Lesson }>();
  for (const mod of content.modules) {
    for (const lesson of mod.lessons) {
      map.set(`${mod.key}/${lesson.key}`, {
        ref: { moduleKey: mod.key, moduleTitle: mod.title, lessonKey: lesson.key, lessonTitle: lesson.title },
        lesson,
      });
    }
  }
  return map;
}

export function compareVersions(from: CourseVersionContent, to: CourseVersionContent): VersionChanges {
  const fromModules = new Map(from.modules.map((m) => [m.key, m]));
  const toModules = new Map(to.modules.map((m) => [m.key, m]));
  const modulesAdded = to.modules.filter((m) => !fromModules.has(m.key)).map((m) => m.title);
  const modulesRemoved = from.modules.filter((m) => !toModules.has(m.key)).map((m) => m.title);

  const before = lessonsByKey(from);
  const after = lessonsByKey(to);
  const lessonsAdded: LessonRef[] = [];
  const lessonsChanged: LessonRef[] = [];
  for (const [key, { ref, lesson }] of after) {
    const old = before.get(key);
    if (!old) lessonsAdded.push(ref);
    else if (old.lesson.title !== lesson.title || !isDeepStrictEqual(old.lesson.blocks, lesson.blocks)) lessonsChanged.push(ref);
  }
  const lessonsRemoved = [...before].filter(([key]) => !after.has(key)).map(([, { ref }]) => ref);

  const detailsChanged =
    from.title !== to.title ||
    from.summary !== to.summary ||
    from.audience !== to.audience ||
    from.estimatedMinutes !== to.estimatedMinutes ||
    !isDeepStrictEqual(from.credits, to.credits) ||
    from.modules.some((m) => {
      const next = toModules.get(m.key);
      return next !== undefined && (next.title !== m.title || next.summary !== m.summary || !isDeepStrictEqual(next.credits, m.credits));
    });

  const blocks = blockChanges(from, to);
  return {
    changeSummary: to.changeSummary ?? '',
    modulesAdded,
    modulesRemoved,
    lessonsAdded,
    lessonsRemoved,
    lessonsChanged,
    detailsChanged,
    unchanged:
      !detailsChanged && modulesAdded.length === 0 && modulesRemoved.length === 0 && lessonsAdded.length === 0 &&
      lessonsRemoved.length === 0 && lessonsChanged.length === 0,
    blocks,
  };
}
