/**
 * Courses and their versions: what the catalogue lists, the content of each version, publishing.
 * Made once by the composition root (../services.ts) with the caches it owns.
 */
import { Types } from 'mongoose';
import type { AuditActor, AuditService } from '../audit/service';
import { RecentReads } from '../db/recent-reads';
import { Conflict, NotFound } from '../errors';
import { Course, CourseVersion, type CourseVersionDoc, type VersionStatus } from './model';
import { compareVersions, type VersionChanges } from './changes';
import type { CourseVersionContent, CreditEntry } from './types';

/** What the catalogue, the dashboard and the trainer's list show about a course. */
export interface CourseSummary {
  id: string;
  slug: string;
  title: string;
  summary: string;
  audience: string;
  estimatedMinutes: number;
  /** null while a course has never been published. */
  publishedVersion: number | null;
  moduleCount: number;
  credits: CreditEntry[];
}

/** One version's full content with where it belongs. Immutable once published. */
export type PublishedVersion = CourseVersionContent & {
  courseId: string;
  slug: string;
  version: number;
  publishedAt: Date | null;
  status: VersionStatus;
};

/** A version as listed for trainers: everything but the content. */
export interface VersionListing {
  version: number;
  status: VersionStatus;
  title: string;
  importedAt: Date;
  publishedAt: Date | null;
  changeSummary: string;
  /** Identifies exactly this content: a Publish form carries it, so a draft replaced since is not published unseen. */
  contentHash: string;
}

/** A course as read for a summary: the summary's fields as stored, plus what only the service needs. */
type CourseRow = Omit<CourseSummary, 'id'> & { _id: Types.ObjectId; latestVersion: number; status: string };

const summaryFields = 'slug title summary audience estimatedMinutes publishedVersion latestVersion moduleCount credits status';

function toSummary(row: CourseRow): CourseSummary {
  return {
    id: row._id.toString(),
    slug: row.slug,
    title: row.title,
    summary: row.summary,
    audience: row.audience,
    estimatedMinutes: row.estimatedMinutes,
    publishedVersion: row.publishedVersion ?? null,
    moduleCount: row.moduleCount,
    credits: (row.credits ?? []).map((c) => ({ ...c })),
  };
}

/**
 * Published and archived versions never change, so they are kept in memory once read (`versions`): a lesson page
 * then needs no database read for the course at all. Drafts are read fresh, since an import may replace them.
 * The cache is bounded by the number of versions ever published, which is small.
 *
 * Which version of each course is published is remembered for a few seconds (`publishedNumbers`,
 * ../db/recent-reads.ts): every lesson page asks, to tell a learner part-way through an older version that a new
 * one is ready. Publishing in this process forgets it at once; another process's publish shows here up to
 * PUBLISHED_NUMBER_MS late. Both are owned by the composition root (../services.ts), one per app.
 */
export interface CourseCaches {
  versions: Map<string, PublishedVersion>;
  publishedNumbers: RecentReads<number | null>;
}

const PUBLISHED_NUMBER_MS = 5_000;

export function createCourseCaches(): CourseCaches {
  return { versions: new Map(), publishedNumbers: new RecentReads<number | null>({ ttlMs: PUBLISHED_NUMBER_MS, limit: 1_000 }) };
}

const cacheKey = (courseId: string, version: number): string => `${courseId}:${version}`;

/** Cached versions are shared by every request: freezing them makes an accidental change fail loudly. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

function toPublishedVersion(doc: CourseVersionDoc, slug: string): PublishedVersion {
  return {
    ...doc.content,
    changeSummary: doc.changeSummary || doc.content.changeSummary,
    courseId: doc.course.toString(),
    slug,
    version: doc.version,
    publishedAt: doc.publishedAt ?? null,
    status: doc.status,
  };
}

function isObjectId(id: string): boolean {
  return Types.ObjectId.isValid(id) && String(new Types.ObjectId(id)) === id;
}

export interface CoursesServiceDeps {
  caches: CourseCaches;
  /** Where a trainer's publish is recorded. */
  audit: Pick<AuditService, 'recordAudit'>;
}

export function createCoursesService({ caches: { versions, publishedNumbers }, audit }: CoursesServiceDeps) {
  /** The number of the course's published version (null when none is). */
  async function publishedVersionNumber(courseId: string): Promise<number | null> {
    if (!isObjectId(courseId)) return null;
    return publishedNumbers.get(courseId, async () => {
      const course = await Course.findById(courseId, 'publishedVersion').lean<{ publishedVersion?: number | null }>();
      return course?.publishedVersion ?? null;
    });
  }

  async function listPublishedCourses(): Promise<CourseSummary[]> {
    const rows = await Course.find({ status: 'published' }, summaryFields).sort({ title: 1 }).lean<CourseRow[]>();
    return rows.map(toSummary);
  }

  /** Every course, published or not, for the trainer's list. */
  async function listAllCourses(): Promise<CourseSummary[]> {
    const rows = await Course.find({}, summaryFields).sort({ title: 1 }).lean<CourseRow[]>();
    return rows.map(toSummary);
  }

  async function getCourseBySlug(slug: string): Promise<CourseSummary | null> {
    const row = await Course.findOne({ slug: String(slug) }, summaryFields).lean<CourseRow>();
    return row ? toSummary(row) : null;
  }

  async function getCourseById(courseId: string): Promise<CourseSummary | null> {
    if (!isObjectId(courseId)) return null;
    const row = await Course.findById(courseId, summaryFields).lean<CourseRow>();
    return row ? toSummary(row) : null;
  }

  /** Course titles by course id, for pages that name a few courses. */
  async function courseTitlesByIds(courseIds: string[]): Promise<Map<string, string>> {
    const ids = [...new Set(courseIds)].filter(isObjectId);
    if (ids.length === 0) return new Map();
    const rows = await Course.find({ _id: { $in: ids } }, 'title').lean<Array<{ _id: Types.ObjectId; title: string }>>();
    return new Map(rows.map((row) => [row._id.toString(), row.title]));
  }

  async function getCourseVersion(courseId: string, version: number): Promise<PublishedVersion | null> {
    if (!isObjectId(courseId) || !Number.isInteger(version)) return null;
    const cached = versions.get(cacheKey(courseId, version));
    if (cached) return cached;
    const doc = await CourseVersion.findOne({ course: courseId, version }).lean<CourseVersionDoc>();
    if (!doc) return null;
    const course = await Course.findById(courseId, 'slug').lean<{ slug: string }>();
    if (!course) return null;
    const result = toPublishedVersion(doc, course.slug);
    if (doc.status !== 'draft') versions.set(cacheKey(courseId, version), deepFreeze(result));
    return result;
  }

  async function getPublishedVersion(courseId: string): Promise<PublishedVersion | null> {
    if (!isObjectId(courseId)) return null;
    const course = await Course.findById(courseId, 'publishedVersion').lean<{ publishedVersion: number | null }>();
    if (!course || course.publishedVersion == null) return null;
    return getCourseVersion(courseId, course.publishedVersion);
  }

  /** The versions of a course, newest first, without their content. */
  async function listVersions(courseId: string): Promise<VersionListing[]> {
    if (!isObjectId(courseId)) return [];
    const rows = await CourseVersion.find({ course: courseId }, 'version status importedAt publishedAt changeSummary contentHash content.title')
      .sort({ version: -1 })
      .lean<
        Array<Pick<CourseVersionDoc, 'version' | 'status' | 'importedAt' | 'publishedAt' | 'changeSummary' | 'contentHash'> & { content: { title: string } }>
      >();
    return rows.map((r) => ({
      version: r.version,
      status: r.status,
      title: r.content.title,
      importedAt: r.importedAt,
      publishedAt: r.publishedAt ?? null,
      changeSummary: r.changeSummary ?? '',
      contentHash: r.contentHash,
    }));
  }

  /** The newest draft of a course that is newer than its published version, if there is one. */
  async function getLatestDraft(courseId: string): Promise<PublishedVersion | null> {
    if (!isObjectId(courseId)) return null;
    const draft = await CourseVersion.findOne({ course: courseId, status: 'draft' }, 'version')
      .sort({ version: -1 })
      .lean<{ version: number }>();
    return draft ? getCourseVersion(courseId, draft.version) : null;
  }

  /** What a learner or trainer would notice between two versions of a course. */
  async function describeChanges(courseId: string, fromVersion: number, toVersion: number): Promise<VersionChanges | null> {
    const [from, to] = await Promise.all([getCourseVersion(courseId, fromVersion), getCourseVersion(courseId, toVersion)]);
    if (!from || !to) return null;
    return compareVersions(from, to);
  }

  /**
   * Make a version the one new learners start. Learners already part-way keep the version they started
   * (their enrolment is pinned to it); older published versions become archived but stay readable.
   * There are no multi-document transactions on a standalone server, so the steps are ordered so that a crash
   * between them leaves a state the next publish repairs: claim the version, move the course pointer forward
   * (never backwards), then archive the older ones.
   */
  async function publishVersion(
    courseId: string,
    version: number,
    byUserId?: string,
    expectedContentHash?: string,
  ): Promise<PublishedVersion> {
    if (!isObjectId(courseId)) throw new NotFound('There is no such course.');
    const now = new Date();
    const publishedBy = byUserId && isObjectId(byUserId) ? new Types.ObjectId(byUserId) : null;
    const claimed = await CourseVersion.findOneAndUpdate(
      // A draft saved with problems in its source is never published: its content is not what its source says.
      { course: courseId, version, status: 'draft', 'sourceProblems.0': { $exists: false }, ...(expectedContentHash ? { contentHash: String(expectedContentHash) } : {}) },
      { $set: { status: 'published', publishedAt: now, publishedBy } },
      { returnDocument: 'after' },
    ).lean<CourseVersionDoc>();
    if (!claimed) {
      const existing = await CourseVersion.findOne({ course: courseId, version }, 'status sourceProblems').lean<{
        status: VersionStatus;
        sourceProblems?: unknown[];
      }>();
      if (!existing) throw new NotFound('There is no such version of this course.');
      if (existing.status === 'draft' && (existing.sourceProblems?.length ?? 0) > 0) {
        throw new Conflict(`Version ${version} has problems in its text. Fix them on the draft's pages before publishing.`);
      }
      if (existing.status === 'draft') throw new Conflict(`Version ${version} was changed by a newer import. Please review it again before publishing.`);
      throw new Conflict(`Version ${version} is already ${existing.status}.`);
    }
    const content = claimed.content;
    await Course.updateOne(
      { _id: courseId, $or: [{ publishedVersion: null }, { publishedVersion: { $lt: version } }] },
      {
        $set: {
          status: 'published',
          publishedVersion: version,
          title: content.title,
          summary: content.summary,
          audience: content.audience,
          estimatedMinutes: content.estimatedMinutes,
          moduleCount: content.modules.length,
          credits: content.credits,
        },
      },
    );
    await CourseVersion.updateMany(
      { course: courseId, status: 'published', version: { $lt: version } },
      { $set: { status: 'archived' } },
    );
    // Drafts older than the published version can never be published in a sensible order: archive them too.
    await CourseVersion.updateMany({ course: courseId, status: 'draft', version: { $lt: version } }, { $set: { status: 'archived' } });
    for (const key of versions.keys()) if (key.startsWith(`${courseId}:`)) versions.delete(key);
    publishedNumbers.forget(courseId);
    const result = await getCourseVersion(courseId, version);
    if (!result) throw new NotFound('There is no such course.');
    return result;
  }

  /** A trainer's Publish on the review page: publishes exactly the content they reviewed, and records who did. */
  async function publishReviewedVersion(
    by: { actor: AuditActor; ip?: string },
    course: Pick<CourseSummary, 'id' | 'title'>,
    version: number,
    contentHash: string,
  ): Promise<PublishedVersion> {
    const published = await publishVersion(course.id, version, by.actor.id, contentHash);
    await audit.recordAudit({
      action: 'course.published',
      actor: by.actor,
      target: { type: 'course', id: course.id, label: course.title },
      details: { version: published.version },
      ip: by.ip,
    });
    return published;
  }

  /** The trainer's Publish button and `content:import --publish`. */
  async function publishLatestDraft(courseId: string, byUserId?: string): Promise<PublishedVersion> {
    const draft = await getLatestDraft(courseId);
    if (!draft) throw new Conflict('This course has no draft waiting to be published.');
    return publishVersion(courseId, draft.version, byUserId);
  }

  /** Forget cached versions (tests that drop the database between cases call this). */
  function clearCache(): void {
    versions.clear();
    publishedNumbers.forgetAll();
  }

  return {
    publishedVersionNumber,
    listPublishedCourses,
    listAllCourses,
    getCourseBySlug,
    getCourseById,
    courseTitlesByIds,
    getCourseVersion,
    getPublishedVersion,
    listVersions,
    getLatestDraft,
    describeChanges,
    publishVersion,
    publishReviewedVersion,
    publishLatestDraft,
    clearCache,
  };
}

export type CoursesService = ReturnType<typeof createCoursesService>;
