/** View models for the trainer's course pages (views/manage/). Plain objects, already formatted. */
import { mediaUrl } from '../media/types';
import type { VersionChanges } from './changes';
import type { CourseSummary, PublishedVersion, VersionListing } from './service';
import { LEVEL_LABELS, type Block, type CheckBlock, type CreditEntry } from './types';

const dateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC' });

function formatDate(date: Date | null | undefined): string {
  return date ? `${dateFormat.format(new Date(date))} (UTC)` : '';
}

const statusLabels: Record<VersionListing['status'], string> = {
  draft: 'Draft: learners do not see it yet',
  published: 'Published: new learners start this one',
  archived: 'Earlier version: learners who started it can finish it',
};

export interface CourseListItem {
  title: string;
  href: string;
  published: string;
  waiting: string | null;
}

export function courseListPage(items: Array<{ course: CourseSummary; versions: VersionListing[] }>): { title: string; courses: CourseListItem[] } {
  return {
    title: 'Courses to manage',
    courses: items.map(({ course, versions }) => {
      const draft = versions.find((v) => v.status === 'draft');
      return {
        title: course.title,
        href: `/manage/courses/${course.slug}`,
        published: course.publishedVersion ? `Version ${course.publishedVersion}` : 'Not published yet',
        waiting: draft ? `Version ${draft.version} is a draft in review` : null,
      };
    }),
  };
}

export interface ChangeList {
  summary: string;
  items: string[];
}

function changeItems(changes: VersionChanges): string[] {
  const items: string[] = [];
  for (const title of changes.modulesAdded) items.push(`New module: ${title}`);
  for (const title of changes.modulesRemoved) items.push(`Module removed: ${title}`);
  for (const lesson of changes.lessonsAdded) items.push(`New lesson: ${lesson.moduleTitle}, ${lesson.lessonTitle}`);
  for (const lesson of changes.lessonsRemoved) items.push(`Lesson removed: ${lesson.moduleTitle}, ${lesson.lessonTitle}`);
  for (const lesson of changes.lessonsChanged) items.push(`Lesson changed: ${lesson.moduleTitle}, ${lesson.lessonTitle}`);
  if (changes.detailsChanged) items.push('Course or module details changed (title, summary, time or credits)');
  if (items.length === 0) items.push('Nothing a learner sees is different.');
  return items;
}

export interface CoursePage {
  title: string;
  course: { title: string; summary: string; slug: string; href: string };
  versions: Array<{ version: number; status: string; imported: string; published: string }>;
  draft: null | {
    version: number;
    contentHash: string;
    imported: string;
    againstVersion: number | null;
    changes: ChangeList;
  };
  /** The draft's review (submit, comments, approvals, publish) and every version's history. */
  reviewHref: string;
  historyHref: string;
}

export function coursePage(input: {
  course: CourseSummary;
  versions: VersionListing[];
  draftChanges: VersionChanges | null;
}): CoursePage {
  const draft = input.versions.find((v) => v.status === 'draft') ?? null;
  return {
    title: input.course.title,
    course: { title: input.course.title, summary: input.course.summary, slug: input.course.slug, href: `/manage/courses/${input.course.slug}` },
    versions: input.versions.map((v) => ({
      version: v.version,
      status: statusLabels[v.status],
      imported: formatDate(v.importedAt),
      published: formatDate(v.publishedAt) || 'Not published',
    })),
    draft: draft
      ? {
          version: draft.version,
          contentHash: draft.contentHash,
          imported: formatDate(draft.importedAt),
          againstVersion: input.course.publishedVersion,
          changes: input.draftChanges
            ? { summary: input.draftChanges.changeSummary, items: changeItems(input.draftChanges) }
            : { summary: draft.changeSummary, items: ['This will be the first published version.'] },
        }
      : null,
    reviewHref: `/manage/courses/${input.course.slug}/review`,
    historyHref: `/manage/courses/${input.course.slug}/history`,
  };
}

/** A block as the review page shows it: the content with media addresses, and for checks the answer key. */
export type ReviewBlock =
  | { kind: 'text'; key: string; required: boolean; html: string }
  | { kind: 'video' | 'audio'; key: string; required: boolean; title: string; src: string; mimeType: string; captionsSrc?: string; transcriptHtml?: string }
  | { kind: 'image'; key: string; required: boolean; src: string; alt: string; captionHtml?: string }
  | { kind: 'file'; key: string; required: boolean; href: string; label: string; fileName: string }
  | { kind: 'check'; key: string; required: boolean; title: string; passMark: number; questions: CheckBlock['questions'] }
  | { kind: 'reflection'; key: string; required: boolean; promptHtml: string }
  | {
      kind: 'profile';
      key: string;
      required: boolean;
      personName: string;
      introHtml?: string;
      communication: string[];
      loves: string[];
      mustKnow: string[];
      imageSrc?: string;
      imageAlt?: string;
    };

function reviewBlock(block: Block): ReviewBlock {
  const base = { key: block.key, required: block.required };
  switch (block.kind) {
    case 'text':
      return { ...base, kind: 'text', html: block.html };
    case 'video':
    case 'audio':
      return {
        ...base,
        kind: block.kind,
        title: block.title,
        src: mediaUrl(block.media),
        mimeType: block.media.mimeType,
        ...(block.captions ? { captionsSrc: mediaUrl(block.captions) } : {}),
        ...(block.transcriptHtml ? { transcriptHtml: block.transcriptHtml } : {}),
      };
    case 'image':
      return { ...base, kind: 'image', src: mediaUrl(block.image), alt: block.alt, ...(block.captionHtml ? { captionHtml: block.captionHtml } : {}) };
    case 'file':
      return { ...base, kind: 'file', href: mediaUrl(block.file), label: block.label, fileName: block.file.fileName };
    case 'check':
      return { ...base, kind: 'check', title: block.title, passMark: block.passMark, questions: block.questions };
    case 'reflection':
      return { ...base, kind: 'reflection', promptHtml: block.promptHtml };
    case 'profile':
      return {
        ...base,
        kind: 'profile',
        personName: block.personName,
        ...(block.introHtml ? { introHtml: block.introHtml } : {}),
        communication: block.communication,
        loves: block.loves,
        mustKnow: block.mustKnow,
        ...(block.image ? { imageSrc: mediaUrl(block.image), imageAlt: block.imageAlt ?? '' } : {}),
      };
  }
}

export interface ReviewPage {
  title: string;
  course: { title: string; href: string };
  version: number;
  status: string;
  summary: string;
  audience: string;
  estimatedMinutes: number;
  changeSummary: string;
  credits: string[];
  modules: Array<{
    title: string;
    summary: string;
    level: string;
    credits: string[];
    lessons: Array<{ id: string; title: string; change: 'new' | 'changed' | null; blocks: ReviewBlock[] }>;
  }>;
}

function creditLine(credit: CreditEntry): string {
  return `${credit.displayName}: ${credit.role} (${credit.contribution})${credit.sample ? ' [sample]' : ''}`;
}

/** A whole version, read-only, for the people who review it; lessons new or changed since `changes` are marked. */
export function reviewPage(courseSlug: string, version: PublishedVersion, changes: VersionChanges | null): ReviewPage {
  const added = new Set((changes?.lessonsAdded ?? []).map((l) => `${l.moduleKey}/${l.lessonKey}`));
  const changed = new Set((changes?.lessonsChanged ?? []).map((l) => `${l.moduleKey}/${l.lessonKey}`));
  return {
    title: `${version.title}: version ${version.version}`,
    course: { title: version.title, href: `/manage/courses/${courseSlug}` },
    version: version.version,
    status: statusLabels[version.status],
    summary: version.summary,
    audience: version.audience,
    estimatedMinutes: version.estimatedMinutes,
    changeSummary: version.changeSummary ?? '',
    credits: version.credits.map(creditLine),
    modules: version.modules.map((module) => ({
      title: module.title,
      summary: module.summary,
      level: LEVEL_LABELS[module.coProductionLevel],
      credits: module.credits.map(creditLine),
      lessons: module.lessons.map((lesson) => {
        const id = `${module.key}/${lesson.key}`;
        return {
          id: `lesson-${module.key}-${lesson.key}`,
          title: lesson.title,
          change: added.has(id) ? 'new' : changed.has(id) ? 'changed' : null,
          blocks: lesson.blocks.map(reviewBlock),
        };
      }),
    })),
  };
}
