/** View models for the trainer's course pages (views/manage/). Plain objects, already formatted. */
import type { VersionChanges } from './changes';
import type { CourseSummary, VersionListing } from './service';

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
        waiting: draft ? `Version ${draft.version} is waiting to be published` : null,
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
  canPublish: boolean;
}

export function coursePage(input: {
  course: CourseSummary;
  versions: VersionListing[];
  draftChanges: VersionChanges | null;
  canPublish: boolean;
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
    canPublish: input.canPublish,
  };
}
