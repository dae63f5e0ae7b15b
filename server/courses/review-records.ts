/**
 * The review fields of courses and versions (the authoring contract of issue #13: `Course.authoringTeam`,
 * `Course.twoKeyPublish`, `CourseVersion.submittedAt/By`, `approvals`, `createdBy`), read and written for the
 * review feature (../review/service.ts), which receives these operations from the composition root. They live
 * here, beside the models, so that no other feature touches the courses' models. A version's content and status
 * are never changed here: publishing stays `CoursesService.publishVersion`.
 */
import { Types } from 'mongoose';
import { Course, CourseVersion, type CourseSource, type CourseVersionDoc, type VersionApproval, type VersionStatus } from './model';
import type { CourseVersionContent } from './types';

export type ApprovalKey = VersionApproval['as'];

export interface TeamMember {
  userId: string;
  role: 'trainer' | 'co-facilitator';
  livedExperience: boolean;
}

export interface AuthoringSettings {
  courseId: string;
  team: TeamMember[];
  twoKeyPublish: boolean;
}

export interface ApprovalRecord {
  userId: string;
  as: ApprovalKey;
  contentHash: string;
  at: Date;
}

/** One version as the review and history pages need it. */
export interface VersionRecord {
  version: number;
  status: VersionStatus;
  contentHash: string;
  content: CourseVersionContent;
  source: CourseSource | null;
  importedAt: Date;
  createdBy: string | null;
  /** What is wrong with a draft's source when it was saved with problems (authoring); empty when it compiles. */
  sourceProblems: Array<{ file: string; line?: number; message: string }>;
  /** The last person who saved the draft on the authoring pages. */
  editedBy: string | null;
  submittedAt: Date | null;
  submittedBy: string | null;
  publishedAt: Date | null;
  publishedBy: string | null;
  approvals: ApprovalRecord[];
}

const idOf = (value: Types.ObjectId | null | undefined): string | null => (value ? value.toString() : null);

function isObjectId(id: string): boolean {
  return Types.ObjectId.isValid(id) && String(new Types.ObjectId(id)) === id;
}

function toRecord(doc: CourseVersionDoc): VersionRecord {
  return {
    version: doc.version,
    status: doc.status,
    contentHash: doc.contentHash,
    content: doc.content,
    source: doc.source ?? null,
    importedAt: doc.importedAt,
    createdBy: idOf(doc.createdBy),
    sourceProblems: doc.sourceProblems ?? [],
    editedBy: idOf(doc.editedBy),
    submittedAt: doc.submittedAt ?? null,
    submittedBy: idOf(doc.submittedBy),
    publishedAt: doc.publishedAt ?? null,
    publishedBy: idOf(doc.publishedBy),
    approvals: (doc.approvals ?? []).map((a) => ({ userId: a.user.toString(), as: a.as, contentHash: a.contentHash, at: a.at })),
  };
}

export function createReviewRecords() {
  async function authoringSettings(courseId: string): Promise<AuthoringSettings | null> {
    if (!isObjectId(courseId)) return null;
    const row = await Course.findById(courseId, 'authoringTeam twoKeyPublish').lean<{
      _id: Types.ObjectId;
      authoringTeam?: Array<{ user: Types.ObjectId; role: TeamMember['role']; livedExperience: boolean }>;
      twoKeyPublish?: boolean;
    }>();
    if (!row) return null;
    return {
      courseId,
      team: (row.authoringTeam ?? []).map((m) => ({ userId: m.user.toString(), role: m.role, livedExperience: m.livedExperience === true })),
      // Absent on courses stored before the field existed: the default is the strict rule.
      twoKeyPublish: row.twoKeyPublish !== false,
    };
  }

  async function versionRecord(courseId: string, version: number): Promise<VersionRecord | null> {
    if (!isObjectId(courseId) || !Number.isInteger(version)) return null;
    const doc = await CourseVersion.findOne({ course: courseId, version }).lean<CourseVersionDoc>();
    return doc ? toRecord(doc) : null;
  }

  /** The newest draft of a course (the one under review), if there is one. */
  async function latestDraftRecord(courseId: string): Promise<VersionRecord | null> {
    if (!isObjectId(courseId)) return null;
    const doc = await CourseVersion.findOne({ course: courseId, status: 'draft' }).sort({ version: -1 }).lean<CourseVersionDoc>();
    return doc ? toRecord(doc) : null;
  }

  /** Every version without content or source, newest first, for the history page. */
  async function versionHistory(courseId: string): Promise<Array<Omit<VersionRecord, 'content' | 'source'> & { credits: CourseVersionContent['credits']; moduleCredits: CourseVersionContent['credits'] }>> {
    if (!isObjectId(courseId)) return [];
    const docs = await CourseVersion.find(
      { course: courseId },
      'version status contentHash importedAt createdBy editedBy submittedAt submittedBy publishedAt publishedBy approvals content.credits content.modules.credits',
    )
      .sort({ version: -1 })
      .lean<CourseVersionDoc[]>();
    return docs.map((doc) => {
      const { content, source: _source, ...rest } = toRecord({ ...doc, content: doc.content, source: null });
      return { ...rest, credits: content.credits ?? [], moduleCredits: (content.modules ?? []).flatMap((m) => m.credits ?? []) };
    });
  }

  /** Marks a draft submitted for review; false when it is no longer a draft. */
  async function markSubmitted(courseId: string, version: number, byUserId: string, at: Date): Promise<boolean> {
    const result = await CourseVersion.updateOne(
      { course: courseId, version, status: 'draft' },
      { $set: { submittedAt: at, submittedBy: new Types.ObjectId(byUserId) } },
    );
    return result.matchedCount === 1;
  }

  /**
   * Adds an approval of exactly `contentHash`, in one conditional update: only while the version is a draft with
   * that hash and this person has not approved that hash already. False when the condition did not hold.
   */
  async function addApproval(courseId: string, version: number, approval: ApprovalRecord): Promise<boolean> {
    const user = new Types.ObjectId(approval.userId);
    const result = await CourseVersion.updateOne(
      {
        course: courseId,
        version,
        status: 'draft',
        contentHash: approval.contentHash,
        approvals: { $not: { $elemMatch: { user, contentHash: approval.contentHash } } },
      },
      { $push: { approvals: { user, as: approval.as, contentHash: approval.contentHash, at: approval.at } } },
    );
    return result.matchedCount === 1;
  }

  /** Sets whether a course needs two keys to publish; returns the value before, or null when there is no course. */
  async function setTwoKeyPublish(courseId: string, value: boolean): Promise<boolean | null> {
    if (!isObjectId(courseId)) return null;
    const before = await Course.findOneAndUpdate({ _id: courseId }, { $set: { twoKeyPublish: value } }, { returnDocument: 'before', projection: { twoKeyPublish: 1 } }).lean<{
      twoKeyPublish?: boolean;
    }>();
    return before ? before.twoKeyPublish !== false : null;
  }

  /**
   * Puts a person on a course's authoring team unless they are on it already (one conditional update, so two
   * callers at once add them once). For the demo seed; editing the team is the authoring feature's.
   */
  async function addTeamMemberIfAbsent(courseId: string, member: TeamMember, addedBy: string | null, at: Date): Promise<boolean> {
    if (!isObjectId(courseId) || !isObjectId(member.userId)) return false;
    const user = new Types.ObjectId(member.userId);
    const result = await Course.updateOne(
      { _id: courseId, 'authoringTeam.user': { $ne: user } },
      { $push: { authoringTeam: { user, role: member.role, livedExperience: member.livedExperience, addedAt: at, addedBy: addedBy ? new Types.ObjectId(addedBy) : null } } },
    );
    return result.modifiedCount === 1;
  }

  return { addTeamMemberIfAbsent, authoringSettings, versionRecord, latestDraftRecord, versionHistory, markSubmitted, addApproval, setTwoKeyPublish };
}

export type ReviewRecords = ReturnType<typeof createReviewRecords>;
