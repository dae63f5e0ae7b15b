/** View models for the review, history and lesson-difference pages (views/review/). Plain objects, already formatted. */
import type { ApprovalKey } from '../courses/review-records';
import { reviewPage, type ReviewBlock } from '../courses/views';
import { ROLE_LABELS } from '../people';
import type { DiffRow } from './diff';
import { KEY_LABELS, type MissingItem } from './rules';
import type { CommentThread, HistoryEntry, LessonComparison, ReviewState } from './service';

const dateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC' });

function formatDate(date: Date | null | undefined): string {
  return date ? `${dateFormat.format(new Date(date))} (UTC)` : '';
}

const manageHref = (slug: string): string => `/manage/courses/${slug}`;
export const reviewHref = (slug: string): string => `${manageHref(slug)}/review`;
export const historyHref = (slug: string): string => `${manageHref(slug)}/history`;
const lessonAnchor = (lessonId: string): string => `lesson-${lessonId.replace('/', '-')}`;

/** The one comment form on the page that failed, with what was typed and what to fix. */
export interface CommentFormError {
  /** "lesson:<module/lesson>" for a new thread, "reply:<comment id>" for a reply. */
  form: string;
  body: string;
  message: string;
}

interface CommentItem {
  author: string;
  at: string;
  body: string;
}

interface ThreadView extends CommentItem {
  id: string;
  resolved: string | null;
  replies: CommentItem[];
  resolveAction: string;
  reopenAction: string;
  replyFieldId: string;
  replyValue: string;
  replyError: string | null;
}

/**
 * Where to fix what the publish check found: for the authoring team, the lesson's editor (or the module's page,
 * or the course's, at /author: server/authoring/routes.ts); for others, who cannot edit, the lesson on this page.
 */
function fixHref(slug: string, version: number, item: MissingItem, canEdit: boolean): string {
  if (canEdit) {
    const draftHref = `/author/${slug}/v/${version}`;
    if (item.moduleKey && item.lessonKey) return `${draftHref}/m/${item.moduleKey}/l/${item.lessonKey}`;
    if (item.moduleKey) return `${draftHref}/m/${item.moduleKey}`;
    return `/author/${slug}`;
  }
  if (item.moduleKey && item.lessonKey) return `${reviewHref(slug)}#${lessonAnchor(`${item.moduleKey}/${item.lessonKey}`)}`;
  if (item.moduleKey) return `${reviewHref(slug)}#module-${item.moduleKey}`;
  return reviewHref(slug);
}

export interface ReviewPageModel {
  title: string;
  course: { title: string; href: string };
  reviewHref: string;
  historyHref: string;
  errors: Record<string, string>;
  team: Array<{ name: string; role: string }>;
  setting: { twoKeyPublish: boolean; text: string; canChange: boolean; action: string };
  draft: null | {
    version: number;
    contentHash: string;
    imported: string;
    createdBy: string | null;
    submitted: string | null;
    canSubmit: boolean;
    submitAction: string;
    keys: Array<{ who: string; as: string; when: string; valid: boolean; voidReason: string | null }>;
    needed: string[];
    approve: null | { as: ApprovalKey; label: string; action: string };
    approveNote: string | null;
    missing: Array<{ message: string; where: string; href: string }>;
    publish: { possible: boolean; action: string; blockedBy: string[] };
    canComment: boolean;
    commentAction: string;
    openThreads: number;
    /** The source has problems: the lessons shown are the draft as last saved without them. */
    staleContent: boolean;
    /** Threads on lessons the draft no longer has (removed or renamed), so nothing said is lost. */
    elsewhere: ThreadView[];
    modules: Array<{
      title: string;
      anchor: string;
      lessons: Array<{
        id: string;
        anchor: string;
        title: string;
        change: 'new' | 'changed' | null;
        blocks: ReviewBlock[];
        threads: ThreadView[];
        newFieldId: string;
        newValue: string;
        newError: string | null;
        diffHref: string | null;
      }>;
    }>;
  };
}

function nameOf(names: Map<string, string>, id: string | null): string {
  if (!id) return 'Someone';
  return names.get(id) ?? 'A person who no longer has an account';
}

function threadView(slug: string, thread: CommentThread, names: Map<string, string>, formError: CommentFormError | null): ThreadView {
  const own = formError?.form === `reply:${thread.id}` ? formError : null;
  return {
    id: thread.id,
    author: nameOf(names, thread.authorId),
    at: formatDate(thread.at),
    body: thread.body,
    resolved: thread.resolvedAt ? `Resolved by ${nameOf(names, thread.resolvedBy)}, ${formatDate(thread.resolvedAt)}` : null,
    replies: thread.replies.map((r) => ({ author: nameOf(names, r.authorId), at: formatDate(r.at), body: r.body })),
    resolveAction: `${reviewHref(slug)}/comments/${thread.id}/resolve`,
    reopenAction: `${reviewHref(slug)}/comments/${thread.id}/reopen`,
    replyFieldId: `reply-${thread.id}`,
    replyValue: own?.body ?? '',
    replyError: own?.message ?? null,
  };
}

export function reviewPageModel(state: ReviewState, viewerId: string, formError: CommentFormError | null = null): ReviewPageModel {
  const { course, settings, access, draft, keys, names } = state;
  const slug = course.slug;
  const errors: Record<string, string> = {};
  let model: ReviewPageModel['draft'] = null;
  if (draft && keys) {
    const published = course.publishedVersion;
    const page = reviewPage(slug, { ...draft.content, courseId: course.id, slug, version: draft.version, publishedAt: null, status: draft.status }, state.changes);
    const mine = keys.approvals.find((a) => a.userId === viewerId && a.valid);
    const blockedBy = [...(state.missing.length > 0 ? ['The publish check lists what is missing.'] : []), ...keys.missing];
    if (!draft.submittedAt) blockedBy.unshift('The draft has not been submitted for review.');
    model = {
      version: draft.version,
      contentHash: draft.contentHash,
      imported: formatDate(draft.importedAt),
      createdBy: draft.createdBy ? nameOf(names, draft.createdBy) : null,
      submitted: draft.submittedAt ? `Submitted for review by ${nameOf(names, draft.submittedBy)}, ${formatDate(draft.submittedAt)}.` : null,
      canSubmit: access.canTakePart && !draft.submittedAt,
      submitAction: `${reviewHref(slug)}/submit`,
      keys: keys.approvals.map((a) => ({ who: nameOf(names, a.userId), as: KEY_LABELS[a.as], when: formatDate(a.at), valid: a.valid, voidReason: a.voidReason })),
      needed: keys.missing,
      approve:
        access.key && access.canTakePart && draft.submittedAt && !mine
          ? { as: access.key, label: `Approve version ${draft.version} as ${KEY_LABELS[access.key].toLowerCase()}`, action: `${reviewHref(slug)}/approve` }
          : null,
      approveNote: mine
        ? 'You have approved this draft as it is now.'
        : !access.key
          ? 'You do not hold a key for this course. A trainer on the authoring team and a co-facilitator with lived experience on it approve.'
          : !draft.submittedAt
            ? 'You can approve once the draft is submitted for review.'
            : null,
      missing: state.missing.map((item) => ({
        message: item.message,
        where: item.lessonTitle ?? draft.content.modules.find((m) => m.key === item.moduleKey)?.title ?? 'The course file',
        href: fixHref(slug, draft.version, item, access.onTeam),
      })),
      publish: { possible: access.canTakePart && blockedBy.length === 0, action: `${reviewHref(slug)}/publish`, blockedBy },
      canComment: access.canTakePart,
      commentAction: `${reviewHref(slug)}/comments`,
      openThreads: state.threads.filter((t) => !t.resolvedAt).length,
      staleContent: draft.sourceProblems.length > 0,
      elsewhere: state.threads
        .filter((t) => !draft.content.modules.some((m) => m.lessons.some((l) => `${m.key}/${l.key}` === t.lesson)))
        .map((t) => threadView(slug, t, names, formError)),
      modules: page.modules.map((module, moduleIndex) => {
        const contentModule = draft.content.modules[moduleIndex];
        return {
          title: module.title,
          anchor: `module-${contentModule?.key ?? moduleIndex}`,
          lessons: module.lessons.map((lesson, lessonIndex) => {
            const id = `${contentModule?.key ?? ''}/${contentModule?.lessons[lessonIndex]?.key ?? ''}`;
            const newForm = formError?.form === `lesson:${id}` ? formError : null;
            const newFieldId = `comment-${lessonAnchor(id)}`;
            if (formError && newForm) errors[newFieldId] = formError.message;
            const threads = state.threads.filter((t) => t.lesson === id).map((t) => threadView(slug, t, names, formError));
            for (const t of threads) if (t.replyError) errors[t.replyFieldId] = t.replyError;
            return {
              id,
              anchor: lessonAnchor(id),
              title: lesson.title,
              change: lesson.change,
              blocks: lesson.blocks,
              threads,
              newFieldId,
              newValue: newForm?.body ?? '',
              newError: newForm?.message ?? null,
              diffHref: published ? `${historyHref(slug)}/lessons?lesson=${encodeURIComponent(id)}&from=${published}&to=${draft.version}` : null,
            };
          }),
        };
      }),
    };
  }
  return {
    title: `Review: ${course.title}`,
    course: { title: course.title, href: manageHref(slug) },
    reviewHref: reviewHref(slug),
    historyHref: historyHref(slug),
    errors,
    team: settings.team.map((m) => ({
      name: nameOf(names, m.userId),
      role: m.role === 'trainer' ? ROLE_LABELS.trainer : m.livedExperience ? `${ROLE_LABELS['co-facilitator']}, lived experience` : ROLE_LABELS['co-facilitator'],
    })),
    setting: {
      twoKeyPublish: settings.twoKeyPublish,
      text: settings.twoKeyPublish
        ? 'Two keys: a trainer and a co-facilitator with lived experience, both on the authoring team, approve before this course is published.'
        : 'Relaxed by an admin: a trainer\'s approval is enough to publish this course. Learners are told it was published without a co-facilitator\'s approval.',
      canChange: access.canChangeSetting,
      action: `${reviewHref(slug)}/two-key`,
    },
    draft: model,
  };
}

const statusWords: Record<HistoryEntry['status'], string> = {
  draft: 'Draft',
  published: 'Published: new learners start this one',
  archived: 'Earlier version',
};

export interface HistoryPageModel {
  title: string;
  course: { title: string; href: string };
  compareHref: string;
  versions: Array<{
    version: number;
    status: string;
    imported: string;
    createdBy: string;
    lastSavedBy: string | null;
    contributors: string[];
    submitted: string | null;
    approvals: Array<{ text: string; valid: boolean; voidReason: string | null }>;
    published: string | null;
    withoutCoFacilitator: boolean;
    compareHref: string | null;
  }>;
}

export function historyPageModel(input: { course: { title: string; slug: string }; entries: HistoryEntry[]; names: Map<string, string> }): HistoryPageModel {
  const { course, entries, names } = input;
  return {
    title: `History: ${course.title}`,
    course: { title: course.title, href: manageHref(course.slug) },
    compareHref: `${historyHref(course.slug)}/lessons`,
    versions: entries.map((entry, index) => {
      const older = entries[index + 1];
      return {
        version: entry.version,
        status: statusWords[entry.status],
        imported: formatDate(entry.importedAt),
        createdBy: entry.createdBy ? nameOf(names, entry.createdBy) : 'Imported from the content folder',
        lastSavedBy: entry.editedBy ? nameOf(names, entry.editedBy) : null,
        contributors: entry.contributors,
        submitted: entry.submittedAt ? `${nameOf(names, entry.submittedBy)}, ${formatDate(entry.submittedAt)}` : null,
        approvals: entry.approvals.map((a) => ({
          text: `${nameOf(names, a.userId)} as ${KEY_LABELS[a.as].toLowerCase()}, ${formatDate(a.at)}`,
          valid: a.valid,
          voidReason: a.voidReason,
        })),
        published: entry.publishedAt ? `${entry.publishedBy ? nameOf(names, entry.publishedBy) : 'The content import'}, ${formatDate(entry.publishedAt)}` : null,
        withoutCoFacilitator: entry.withoutCoFacilitator,
        compareHref: older ? `${historyHref(course.slug)}/lessons?from=${older.version}&to=${entry.version}` : null,
      };
    }),
  };
}

export interface LessonDiffPageModel {
  title: string;
  course: { title: string; href: string };
  historyHref: string;
  action: string;
  lessons: Array<{ value: string; text: string }>;
  versions: Array<{ value: string; text: string }>;
  values: { lesson: string; from: string; to: string };
  heading: string;
  note: string | null;
  rows: DiffRow[];
  added: number;
  removed: number;
}

export function lessonDiffPageModel(course: { title: string; slug: string }, comparison: LessonComparison): LessonDiffPageModel {
  const chosen = comparison.lessons.find((l) => l.id === comparison.lesson);
  let note: string | null = null;
  if (comparison.from === comparison.to) note = 'You chose the same version twice, so nothing differs. Choose two different versions.';
  else if (!comparison.fromTitle) note = `This lesson is new in version ${comparison.to}.`;
  else if (!comparison.toTitle) note = `This lesson was removed in version ${comparison.to}.`;
  else if (comparison.diff.unchanged) note = 'This lesson is the same in both versions.';
  return {
    title: `Compare a lesson: ${course.title}`,
    course: { title: course.title, href: manageHref(course.slug) },
    historyHref: historyHref(course.slug),
    action: `${historyHref(course.slug)}/lessons`,
    lessons: comparison.lessons.map((l) => ({ value: l.id, text: l.title })),
    versions: comparison.versions.map((v) => ({ value: String(v), text: `Version ${v}` })),
    values: { lesson: comparison.lesson, from: String(comparison.from), to: String(comparison.to) },
    heading: `${chosen?.title ?? 'Lesson'}: version ${comparison.from} and version ${comparison.to}`,
    note,
    rows: comparison.diff.unchanged ? [] : comparison.diff.rows,
    added: comparison.diff.added,
    removed: comparison.diff.removed,
  };
}
