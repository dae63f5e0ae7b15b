/**
 * Review of a course's draft: submitting it, comments per lesson (threaded, resolved and reopened), approvals by
 * the two keys (a trainer and a co-facilitator with lived experience on the authoring team, each of exactly the
 * draft's content hash), the publish check, and publishing once both keys are valid and nothing is missing.
 * Also the history of every version and the difference between two versions of a lesson.
 * Made once by the composition root (../services.ts).
 */
import { Types } from 'mongoose';
import type { AuditService } from '../audit/service';
import type { ApprovalKey, AuthoringSettings, ReviewRecords, VersionRecord } from '../courses/review-records';
import type { CourseSummary, CoursesService, PublishedVersion } from '../courses/service';
import { compareVersions, type VersionChanges } from '../courses/changes';
import type { CourseVersionContent, Lesson } from '../courses/types';
import { Conflict, Forbidden, Invalid, NotFound } from '../errors';
import type { Role } from '../people';
import type { UsersService } from '../users/service';
import { compareLessonTexts, lessonText, type LessonDiff } from './diff';
import { ReviewComment, type ReviewCommentDoc } from './model';
import { evaluateApprovals, keyOf, KEY_LABELS, missingAccessibility, sourceProblemItems, type Approver, type KeysState, type MissingItem } from './rules';

/** The person acting, as the route knows them (req.user). */
export interface Reviewer {
  id: string;
  email: string;
  roles: readonly Role[];
}

export interface ReviewBy {
  user: Reviewer;
  ip?: string;
}

/** What a person may do on a course's review. */
export interface ReviewAccess {
  onTeam: boolean;
  /** Read the review, comment, submit (the authoring team and trainers). */
  canTakePart: boolean;
  /** The key this person turns on this course, if any. */
  key: ApprovalKey | null;
  /** Admins change the organisation setting of two-key publish per course. */
  canChangeSetting: boolean;
}

export interface CommentView {
  id: string;
  authorId: string;
  body: string;
  at: Date;
}

export interface CommentThread extends CommentView {
  lesson: string;
  resolvedAt: Date | null;
  resolvedBy: string | null;
  replies: CommentView[];
}

export interface ReviewState {
  course: CourseSummary;
  settings: AuthoringSettings;
  access: ReviewAccess;
  draft: VersionRecord | null;
  keys: KeysState | null;
  missing: MissingItem[];
  threads: CommentThread[];
  /** Names of everyone the page mentions, by id. */
  names: Map<string, string>;
  /** What the draft changes since the published version (null before the first publish). */
  changes: VersionChanges | null;
}

export interface LessonChoice {
  id: string;
  title: string;
}

export interface LessonComparison {
  lessons: LessonChoice[];
  versions: number[];
  lesson: string;
  from: number;
  to: number;
  fromTitle: string | null;
  toTitle: string | null;
  diff: LessonDiff;
}

export interface HistoryEntry {
  version: number;
  status: VersionRecord['status'];
  importedAt: Date;
  createdBy: string | null;
  /** The last person who saved it on the authoring pages. */
  editedBy: string | null;
  /** As credited in the version's content (course and modules). */
  contributors: string[];
  submittedAt: Date | null;
  submittedBy: string | null;
  publishedAt: Date | null;
  publishedBy: string | null;
  approvals: KeysState['approvals'];
  /** For a published or archived version: it went out without a co-facilitator's approval. */
  withoutCoFacilitator: boolean;
}

export interface ReviewServiceDeps {
  courses: Pick<CoursesService, 'getCourseById' | 'getCourseBySlug' | 'getCourseVersion' | 'publishVersion'>;
  records: ReviewRecords;
  users: Pick<UsersService, 'getPeopleByIds'>;
  audit: Pick<AuditService, 'recordAudit'>;
  now?: () => Date;
}

const lessonIdsOf = (content: CourseVersionContent): string[] => content.modules.flatMap((m) => m.lessons.map((l) => `${m.key}/${l.key}`));

function findLesson(content: CourseVersionContent, lessonId: string): Lesson | null {
  const [moduleKey, lessonKey] = lessonId.split('/');
  return content.modules.find((m) => m.key === moduleKey)?.lessons.find((l) => l.key === lessonKey) ?? null;
}

function isObjectId(id: string): boolean {
  return Types.ObjectId.isValid(id) && String(new Types.ObjectId(id)) === id;
}

export function createReviewService({ courses, records, users, audit, now = () => new Date() }: ReviewServiceDeps) {
  /** Published versions never change, so whether one went out without a co-facilitator's key is kept once known. */
  const publishedNotes = new Map<string, boolean>();

  async function approversOf(ids: string[]): Promise<Map<string, Approver & { name: string }>> {
    const people = await users.getPeopleByIds([...new Set(ids)]);
    return new Map(people.map((p) => [p.id, { id: p.id, roles: p.roles, active: p.status === 'active', name: p.name }]));
  }

  function accessOf(user: Reviewer, settings: AuthoringSettings): ReviewAccess {
    const onTeam = settings.team.some((m) => m.userId === user.id);
    return {
      onTeam,
      canTakePart: onTeam || user.roles.includes('trainer'),
      key: keyOf(user, settings.team),
      canChangeSetting: user.roles.includes('admin'),
    };
  }

  async function courseAndSettings(courseId: string): Promise<{ course: CourseSummary; settings: AuthoringSettings }> {
    const [course, settings] = await Promise.all([courses.getCourseById(courseId), records.authoringSettings(courseId)]);
    if (!course || !settings) throw new NotFound('There is no such course.');
    return { course, settings };
  }

  /** The course and what this person may do; refuses anyone who may not take part (admins may read). */
  async function open(courseId: string, user: Reviewer, purpose: 'read' | 'act') {
    const { course, settings } = await courseAndSettings(courseId);
    const access = accessOf(user, settings);
    const allowed = purpose === 'read' ? access.canTakePart || access.canChangeSetting : access.canTakePart;
    if (!allowed) throw new Forbidden('Only the course\'s authoring team and trainers take part in its review.');
    return { course, settings, access };
  }

  async function keysOf(record: Pick<VersionRecord, 'contentHash' | 'approvals'>, settings: AuthoringSettings): Promise<KeysState> {
    const people = await approversOf(record.approvals.map((a) => a.userId));
    return evaluateApprovals({ contentHash: record.contentHash, approvals: record.approvals, team: settings.team, people, twoKeyPublish: settings.twoKeyPublish });
  }

  /**
   * What the publish check finds missing in a version: problems in its source first (then its content is the last
   * that compiled, so the rest may be out of date), then pictures without alt text and clips without captions or
   * a transcript.
   */
  function publishCheck(record: Pick<VersionRecord, 'content' | 'sourceProblems'>): MissingItem[] {
    return [...sourceProblemItems(record.sourceProblems), ...missingAccessibility(record.content)];
  }

  async function draftOf(courseId: string, version: number): Promise<VersionRecord> {
    const record = await records.versionRecord(courseId, version);
    if (!record) throw new NotFound('This course has no such version.');
    if (record.status !== 'draft') throw new Conflict(`Version ${version} is ${record.status}: only a draft is reviewed.`);
    return record;
  }

  async function commentThreads(courseId: string, version: number): Promise<CommentThread[]> {
    const docs = await ReviewComment.find({ course: courseId, version }).sort({ createdAt: 1, _id: 1 }).lean<ReviewCommentDoc[]>();
    const threads = new Map<string, CommentThread>();
    for (const doc of docs) {
      const view: CommentView = { id: doc._id.toString(), authorId: doc.author.toString(), body: doc.body, at: doc.createdAt };
      if (!doc.parent) {
        threads.set(view.id, { ...view, lesson: doc.lesson, resolvedAt: doc.resolvedAt ?? null, resolvedBy: doc.resolvedBy?.toString() ?? null, replies: [] });
      } else {
        threads.get(doc.parent.toString())?.replies.push(view);
      }
    }
    return [...threads.values()];
  }

  /** Everything the review page shows about a course's newest draft. */
  async function reviewState(courseId: string, user: Reviewer): Promise<ReviewState> {
    const { course, settings, access } = await open(courseId, user, 'read');
    const draft = await records.latestDraftRecord(courseId);
    const keys = draft ? await keysOf(draft, settings) : null;
    const threads = draft ? await commentThreads(courseId, draft.version) : [];
    const ids = [
      ...settings.team.map((m) => m.userId),
      ...(draft ? [draft.createdBy, draft.submittedBy, ...draft.approvals.map((a) => a.userId)] : []),
      ...threads.flatMap((t) => [t.authorId, t.resolvedBy, ...t.replies.map((r) => r.authorId)]),
    ].filter((id): id is string => typeof id === 'string');
    const names = new Map((await users.getPeopleByIds([...new Set(ids)])).map((p) => [p.id, p.name]));
    const published = draft && course.publishedVersion ? await courses.getCourseVersion(courseId, course.publishedVersion) : null;
    const changes = draft && published ? compareVersions(published, draft.content) : null;
    return { course, settings, access, draft, keys, missing: draft ? publishCheck(draft) : [], threads, names, changes };
  }

  /** Any member of the authoring team, or a trainer, submits the draft for review. */
  async function submitDraft(by: ReviewBy, courseId: string, version: number): Promise<void> {
    const { course } = await open(courseId, by.user, 'act');
    await draftOf(courseId, version);
    if (!(await records.markSubmitted(courseId, version, by.user.id, now()))) throw new Conflict('This draft is no longer waiting for review.');
    await audit.recordAudit({
      action: 'review.submitted',
      actor: { id: by.user.id, email: by.user.email },
      target: { type: 'course', id: courseId, label: course.title },
      details: { version },
      ip: by.ip,
    });
  }

  async function addComment(by: ReviewBy, courseId: string, input: { version: number; lesson: string; body: string; replyTo?: string }): Promise<string> {
    const { course } = await open(courseId, by.user, 'act');
    const draft = await draftOf(courseId, input.version);
    let parent: Types.ObjectId | null = null;
    let lesson = input.lesson;
    if (input.replyTo) {
      if (!isObjectId(input.replyTo)) throw new NotFound('There is no such comment.');
      const replied = await ReviewComment.findOne({ _id: input.replyTo, course: courseId, version: input.version }, 'parent lesson').lean<Pick<ReviewCommentDoc, '_id' | 'parent' | 'lesson'>>();
      if (!replied) throw new NotFound('There is no such comment.');
      // A reply to a reply joins the same thread.
      parent = replied.parent ?? replied._id;
      lesson = replied.lesson;
    }
    if (!findLesson(draft.content, lesson)) throw new Invalid({ lesson: 'Choose a lesson of this draft to comment on.' });
    const created = await ReviewComment.create({ course: courseId, version: input.version, lesson, parent, author: by.user.id, body: input.body });
    await audit.recordAudit({
      action: parent ? 'review.replied' : 'review.commented',
      actor: { id: by.user.id, email: by.user.email },
      target: { type: 'course', id: courseId, label: course.title },
      details: { version: input.version, lesson, comment: created._id.toString() },
      ip: by.ip,
    });
    return created._id.toString();
  }

  /** Marks a thread resolved, or opens it again. */
  async function setThreadResolved(by: ReviewBy, courseId: string, commentId: string, resolved: boolean): Promise<void> {
    const { course } = await open(courseId, by.user, 'act');
    if (!isObjectId(commentId)) throw new NotFound('There is no such comment.');
    const result = await ReviewComment.updateOne(
      { _id: commentId, course: courseId, parent: null },
      resolved ? { $set: { resolvedAt: now(), resolvedBy: new Types.ObjectId(by.user.id) } } : { $set: { resolvedAt: null, resolvedBy: null } },
    );
    if (result.matchedCount !== 1) throw new NotFound('There is no such comment thread.');
    await audit.recordAudit({
      action: resolved ? 'review.comment-resolved' : 'review.comment-reopened',
      actor: { id: by.user.id, email: by.user.email },
      target: { type: 'course', id: courseId, label: course.title },
      details: { comment: commentId },
      ip: by.ip,
    });
  }

  /**
   * Approves exactly the content the person read (`contentHash` from the page), as the key they hold. Refused when
   * the draft has changed since, when it was not submitted, or when the person does not hold that key.
   */
  async function approveDraft(by: ReviewBy, courseId: string, input: { version: number; contentHash: string; as: ApprovalKey }): Promise<void> {
    const { course, access } = await open(courseId, by.user, 'act');
    if (access.key !== input.as) {
      throw new Forbidden(
        access.key
          ? `You approve this course as: ${KEY_LABELS[access.key].toLowerCase()}.`
          : 'Only a trainer on the authoring team, or a co-facilitator with lived experience on it, approves a draft.',
      );
    }
    const draft = await draftOf(courseId, input.version);
    if (!draft.submittedAt) throw new Conflict('This draft has not been submitted for review yet. Submit it first.');
    if (draft.contentHash !== input.contentHash) throw new Conflict('The draft changed after you opened this page. Read it again, then approve.');
    const added = await records.addApproval(courseId, input.version, { userId: by.user.id, as: input.as, contentHash: input.contentHash, at: now() });
    if (!added) {
      const again = await records.versionRecord(courseId, input.version);
      if (again?.contentHash !== input.contentHash || again.status !== 'draft') throw new Conflict('The draft changed after you opened this page. Read it again, then approve.');
      throw new Conflict('You have approved this draft already.');
    }
    await audit.recordAudit({
      action: 'review.approved',
      actor: { id: by.user.id, email: by.user.email },
      target: { type: 'course', id: courseId, label: course.title },
      details: { version: input.version, as: input.as, contentHash: input.contentHash },
      ip: by.ip,
    });
  }

  /**
   * Publishes the draft once its keys are valid and the publish check finds nothing missing. Atomic on the content:
   * `publishVersion` claims the version only while its hash is still the one approved and checked, so a change
   * made at the same moment is never published unapproved.
   */
  async function publishDraft(by: ReviewBy, courseId: string, input: { version: number; contentHash: string }): Promise<PublishedVersion> {
    const { course, settings } = await open(courseId, by.user, 'act');
    const draft = await draftOf(courseId, input.version);
    if (draft.contentHash !== input.contentHash) throw new Conflict('The draft changed after you opened this page. Its approvals need to be given again.');
    const missing = publishCheck(draft);
    if (missing.length > 0) throw new Conflict(`This draft cannot be published yet: ${missing.length} ${missing.length === 1 ? 'thing is' : 'things are'} missing. See the publish check.`);
    const keys = await keysOf(draft, settings);
    if (!keys.ready) throw new Conflict(`This draft cannot be published yet. Still needed: ${keys.missing.join(' ')}`);
    const published = await courses.publishVersion(courseId, input.version, by.user.id, draft.contentHash);
    await audit.recordAudit({
      action: 'course.published',
      actor: { id: by.user.id, email: by.user.email },
      target: { type: 'course', id: courseId, label: course.title },
      details: {
        version: published.version,
        trainer: keys.trainer?.userId ?? null,
        livedExperience: keys.livedExperience?.userId ?? null,
        twoKeyPublish: settings.twoKeyPublish,
      },
      ip: by.ip,
    });
    return published;
  }

  /** The organisation setting, per course: an admin relaxes two-key publish (a trainer's approval suffices) or restores it. */
  async function setTwoKeyPublish(by: ReviewBy, courseId: string, value: boolean): Promise<void> {
    if (!by.user.roles.includes('admin')) throw new Forbidden('Only an admin changes how a course is published.');
    const course = await courses.getCourseById(courseId);
    if (!course) throw new NotFound('There is no such course.');
    const before = await records.setTwoKeyPublish(courseId, value);
    if (before === null) throw new NotFound('There is no such course.');
    if (before === value) return;
    await audit.recordAudit({
      action: value ? 'course.two-key-publish-required' : 'course.two-key-publish-relaxed',
      actor: { id: by.user.id, email: by.user.email },
      target: { type: 'course', id: courseId, label: course.title },
      details: { twoKeyPublish: value },
      ip: by.ip,
    });
  }

  /** True when this published (or archived) version went out without a co-facilitator's approval of its content. */
  async function publishedWithoutCoFacilitator(courseId: string, version: number): Promise<boolean> {
    const cacheKey = `${courseId}:${version}`;
    const known = publishedNotes.get(cacheKey);
    if (known !== undefined) return known;
    const record = await records.versionRecord(courseId, version);
    if (!record || record.status === 'draft') return false;
    const result = withoutCoFacilitator(record);
    publishedNotes.set(cacheKey, result);
    return result;
  }

  /**
   * A version published through review with a trainer's key and no lived-experience key of its content. A first
   * import (published at once, with no approvals, as content/README.md says) is not a review and is not marked.
   */
  function withoutCoFacilitator(record: Pick<VersionRecord, 'status' | 'approvals' | 'contentHash'>): boolean {
    if (record.status === 'draft') return false;
    const ofContent = record.approvals.filter((a) => a.contentHash === record.contentHash);
    return ofContent.some((a) => a.as === 'trainer') && !ofContent.some((a) => a.as === 'lived-experience');
  }

  /** Every version: who made it, who is credited, who submitted, approved and published it, and when. */
  async function history(courseId: string, user: Reviewer): Promise<{ course: CourseSummary; entries: HistoryEntry[]; names: Map<string, string> }> {
    const { course, settings } = await open(courseId, user, 'read');
    const versions = await records.versionHistory(courseId);
    const people = await approversOf(
      versions.flatMap((v) => [v.createdBy, v.editedBy, v.submittedBy, v.publishedBy, ...v.approvals.map((a) => a.userId)]).filter((id): id is string => typeof id === 'string'),
    );
    const entries = versions.map((v): HistoryEntry => {
      const keys = evaluateApprovals({ contentHash: v.contentHash, approvals: v.approvals, team: settings.team, people, twoKeyPublish: settings.twoKeyPublish });
      // For versions already published, what counted was the hash at the time; team changes since do not void them.
      const approvals = v.status === 'draft' ? keys.approvals : keys.approvals.map((a) => (a.contentHash === v.contentHash ? { ...a, valid: true, voidReason: null } : a));
      const contributors = [...new Set([...v.credits, ...v.moduleCredits].map((c) => `${c.displayName} (${c.role})`))];
      return {
        version: v.version,
        status: v.status,
        importedAt: v.importedAt,
        createdBy: v.createdBy,
        editedBy: v.editedBy,
        contributors,
        submittedAt: v.submittedAt,
        submittedBy: v.submittedBy,
        publishedAt: v.publishedAt,
        publishedBy: v.publishedBy,
        approvals,
        withoutCoFacilitator: withoutCoFacilitator(v),
      };
    });
    return { course, entries, names: new Map([...people].map(([id, p]) => [id, p.name])) };
  }

  /** The difference between two versions of one lesson (either may lack it: then it was added or removed). */
  async function compareLesson(courseId: string, user: Reviewer, input: { lesson?: string; from?: number; to?: number }): Promise<LessonComparison> {
    await open(courseId, user, 'read');
    const versions = (await records.versionHistory(courseId)).map((v) => v.version);
    const newest = versions[0];
    if (newest === undefined) throw new NotFound('This course has no versions.');
    const to = input.to ?? newest;
    const from = input.from ?? versions.find((v) => v < to) ?? to;
    const [before, after] = await Promise.all([courses.getCourseVersion(courseId, from), courses.getCourseVersion(courseId, to)]);
    if (!before || !after) throw new NotFound('This course has no such version.');
    const lessons: LessonChoice[] = [];
    for (const content of [after, before]) {
      for (const module of content.modules) {
        for (const l of module.lessons) {
          const id = `${module.key}/${l.key}`;
          if (!lessons.some((c) => c.id === id)) lessons.push({ id, title: `${module.title}: ${l.title}` });
        }
      }
    }
    const lesson = input.lesson ?? lessonIdsOf(after)[0] ?? lessons[0]?.id ?? '';
    if (!lessons.some((c) => c.id === lesson)) throw new NotFound('Neither version has this lesson.');
    const fromLesson = findLesson(before, lesson);
    const toLesson = findLesson(after, lesson);
    return {
      lessons,
      versions,
      lesson,
      from,
      to,
      fromTitle: fromLesson?.title ?? null,
      toTitle: toLesson?.title ?? null,
      diff: compareLessonTexts(lessonText(fromLesson), lessonText(toLesson)),
    };
  }

  return {
    accessOf,
    reviewState,
    publishCheck,
    submitDraft,
    addComment,
    setThreadResolved,
    approveDraft,
    publishDraft,
    setTwoKeyPublish,
    publishedWithoutCoFacilitator,
    history,
    compareLesson,
  };
}

export type ReviewService = ReturnType<typeof createReviewService>;
