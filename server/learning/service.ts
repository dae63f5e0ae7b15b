/**
 * The learner's journey: enrol, take lessons, complete blocks, answer checks, write reflections, finish.
 * Every progress change is one atomic update of the learner's own enrolment, found by the learner's id
 * (never by an id from the request), so one learner can never touch another's progress.
 * Made once by the composition root (../services.ts) with the courses and certificates services and the cache of
 * lesson enrolments it owns. The pages around the lessons (dashboard, catalogue, overview, reflections) are in
 * ./pages.ts.
 */
import { Types } from 'mongoose';
import { RecentReads } from '../db/recent-reads';
import { scoreCheck, type CheckAnswers, type CheckResult } from '../assessment/scoring';
import { defaultOrderSeed, newOrderSeed } from '../assessment/order';
import type { CertificatesService } from '../certificates/service';
import type { CourseSummary, CoursesService, PublishedVersion } from '../courses/service';
import type { Block, CheckBlock, CourseVersionContent } from '../courses/types';
import { Conflict, Invalid, NotFound } from '../errors';
import { Enrolment, doneKeys, fieldKey, type AttemptRecord, type EnrolmentRecord } from './model';
import { allBlocks, isCourseComplete, isReadingBlock, lessonsInOrder, type LessonRef } from './progress';
import { isDuplicateKey } from '../db/mongo-errors';

/** Who is learning: the signed-in person. Their name goes on the certificate. */
export interface Learner {
  id: string;
  name: string;
}

export const MAX_REFLECTION_LENGTH = 10_000;

function learnerObjectId(learner: Learner): Types.ObjectId {
  return new Types.ObjectId(learner.id);
}

export type LessonEnrolment = ProgressRecord & Partial<Pick<EnrolmentRecord, 'reflections' | 'attempts' | 'checkOrders'>>;

/**
 * The lesson page reads the learner's enrolment on every visit; through the embedded engine that one read cost
 * more than rendering the whole page (bench/lesson.ts). So this process remembers each enrolment as the lesson
 * page read it for a few seconds (../db/recent-reads.ts), and every change below forgets it once written.
 * With several app processes, another process may show a change up to LESSON_READ_MS late; progress itself is
 * never decided from this copy (every update works on the document in the database).
 */
const LESSON_READ_MS = 5_000;

export type LessonReadCache = RecentReads<LessonEnrolment | null>;

export function createLessonReadCache(): LessonReadCache {
  return new RecentReads<LessonEnrolment | null>({ ttlMs: LESSON_READ_MS, limit: 10_000 });
}

export interface LearningServiceDeps {
  courses: CoursesService;
  certificates: Pick<CertificatesService, 'issueCertificate'>;
  /** The enrolments lesson pages read, remembered for a few seconds; owned by the composition root. */
  lessonReads: LessonReadCache;
}

function lessonReadKey(learnerId: string, slug: string): string {
  return `${learnerId}\u0000${slug}`;
}

export interface EnrolResult {
  enrolmentId: string;
  created: boolean;
}

export interface LessonContext {
  /** Shared with other requests for a few seconds: read it, never change it. */
  enrolment: LessonEnrolment;
  content: PublishedVersion;
  lessons: readonly LessonRef[];
  lesson: LessonRef;
  done: Set<string>;
  /** The published version's number when it is newer than the one the learner is part-way through. */
  newerVersion: number | null;
}

export interface ProgressOutcome {
  /** True when this change finished the course (the certificate has been issued). */
  courseCompleted: boolean;
  certificateNumber: string | null;
}

export interface CheckOutcome extends ProgressOutcome {
  result: CheckResult;
}

export interface NewerVersion {
  version: number;
  changeSummary: string;
  /** Lessons added, changed or removed, named for people ("Module: Lesson"). */
  lessonsAdded: string[];
  lessonsChanged: string[];
  lessonsRemoved: string[];
}

type ProgressRecord = Pick<
  EnrolmentRecord,
  '_id' | 'course' | 'courseSlug' | 'version' | 'blocks' | 'lastLesson' | 'completedAt' | 'certificateNumber' | 'startedAt'
>;

interface ProgressTarget {
  enrolment: Pick<EnrolmentRecord, '_id' | 'course' | 'courseSlug' | 'version' | 'checkOrders'>;
  content: PublishedVersion;
}

const progressFields = { course: 1, courseSlug: 1, version: 1, blocks: 1, lastLesson: 1, completedAt: 1, certificateNumber: 1, startedAt: 1 } as const;

/** Where a lesson is: its course, module and lesson keys, as in its address `/learn/:slug/:moduleKey/:lessonKey`. */
export interface LessonAddress {
  slug: string;
  moduleKey: string;
  lessonKey: string;
}

/**
 * A block of the lesson at `address`, and only of that lesson: a block key sent through another lesson's address
 * (where the person is not) finds nothing.
 */
function findBlock(content: CourseVersionContent, address: LessonAddress, blockKey: string): { block: Block; lesson: LessonRef } | undefined {
  const lesson = lessonsInOrder(content).find((ref) => ref.moduleKey === address.moduleKey && ref.lesson.key === address.lessonKey);
  const block = lesson?.lesson.blocks.find((candidate) => candidate.key === blockKey);
  return lesson && block ? { block, lesson } : undefined;
}

/** The seed of the option order the learner is shown for their next attempt at a check (../assessment/order.ts). */
export function checkOrderSeed(enrolment: Pick<EnrolmentRecord, '_id' | 'checkOrders'>, blockKey: string): number {
  return enrolment.checkOrders?.[fieldKey(blockKey)] ?? defaultOrderSeed(enrolment._id.toString(), blockKey);
}

/** The latest attempt at a check, for showing its feedback after submitting. */
export function latestAttempt(attempts: AttemptRecord[] | undefined, blockKey: string): AttemptRecord | undefined {
  return (attempts ?? []).filter((attempt) => attempt.block === blockKey).at(-1);
}

export function createLearningService({ courses, certificates, lessonReads }: LearningServiceDeps) {
  function forgetLessonRead(learnerId: string, slug: string): void {
    lessonReads.forget(lessonReadKey(learnerId, slug));
  }

  async function publishedCourse(slug: string): Promise<CourseSummary & { publishedVersion: number }> {
    const course = await courses.getCourseBySlug(slug);
    if (!course || course.publishedVersion === null) throw new NotFound('There is no course at this address.');
    return { ...course, publishedVersion: course.publishedVersion };
  }

  async function pinnedContent(enrolment: Pick<EnrolmentRecord, 'course' | 'version'>): Promise<PublishedVersion> {
    const content = await courses.getCourseVersion(enrolment.course.toString(), enrolment.version);
    if (!content) throw new NotFound('This version of the course is no longer available.');
    return content;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Enrolment

  /** Starts the course at its published version; enrolling again is harmless and returns the same enrolment. */
  async function enrol(learner: Learner, slug: string): Promise<EnrolResult> {
    const course = await publishedCourse(slug);
    try {
      const created = await Enrolment.create({
        learner: learnerObjectId(learner),
        course: new Types.ObjectId(course.id),
        courseSlug: course.slug,
        version: course.publishedVersion,
        startedAt: new Date(),
      });
      forgetLessonRead(learner.id, course.slug);
      return { enrolmentId: created._id.toString(), created: true };
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const existing = await Enrolment.findOne({ learner: learnerObjectId(learner), courseSlug: course.slug }, { _id: 1 }).lean();
      if (!existing) throw new Conflict();
      return { enrolmentId: existing._id.toString(), created: false };
    }
  }

  async function findEnrolment(learner: Learner, slug: string): Promise<ProgressRecord | null> {
    return Enrolment.findOne({ learner: learnerObjectId(learner), courseSlug: String(slug) }, progressFields).lean<ProgressRecord>();
  }

  // ---------------------------------------------------------------------------------------------------------
  // The lesson page

  /**
   * One read of the learner's enrolment for a lesson page: everything but the attempts (the one part that grows
   * without bound), unless the page shows a check's result. An exclusion, which the embedded engine applies
   * faster than the equivalent list of fields to include.
   */
  async function readLessonEnrolment(learner: Learner, slug: string, withAttempts: boolean): Promise<LessonEnrolment | null> {
    const projection = withAttempts ? {} : { attempts: 0 as const };
    return Enrolment.findOne({ learner: learnerObjectId(learner), courseSlug: String(slug) }, projection).lean<LessonEnrolment>();
  }

  async function rememberedLessonEnrolment(learner: Learner, slug: string): Promise<LessonEnrolment | null> {
    return lessonReads.get(lessonReadKey(learner.id, String(slug)), () => readLessonEnrolment(learner, slug, false));
  }

  /**
   * Everything a lesson page shows, from one read of the enrolment (remembered for a few seconds) plus the pinned course
   * version from the courses service's in-memory cache. Returns null when the learner has not started the course.
   * The check attempts are read only when the page shows the result of one.
   */
  async function loadLesson(
    learner: Learner,
    slug: string,
    moduleKey: string,
    lessonKey: string,
    options: { withAttempts?: boolean } = {},
  ): Promise<LessonContext | null> {
    const enrolment = options.withAttempts ? await readLessonEnrolment(learner, slug, true) : await rememberedLessonEnrolment(learner, slug);
    if (!enrolment) return null;
    const content = await pinnedContent(enrolment);
    const lessons = lessonsInOrder(content);
    const lesson = lessons.find((ref) => ref.moduleKey === moduleKey && ref.lesson.key === lessonKey);
    if (!lesson) throw new NotFound('There is no lesson at this address in the version of the course you are taking.');
    if (enrolment.lastLesson !== lesson.id) {
      // Written only when the learner moves to another lesson, so reading a lesson again costs no write.
      await Enrolment.updateOne({ _id: enrolment._id }, { $set: { lastLesson: lesson.id } });
      forgetLessonRead(learner.id, enrolment.courseSlug);
    }
    return { enrolment, content, lessons, lesson, done: doneKeys(enrolment), newerVersion: await newerVersionNumber(enrolment) };
  }

  // ---------------------------------------------------------------------------------------------------------
  // Progress: each change is one atomic update, then the completion rules are applied on the server.

  async function progressTarget(learner: Learner, slug: string): Promise<ProgressTarget> {
    const enrolment = await Enrolment.findOne(
      { learner: learnerObjectId(learner), courseSlug: String(slug) },
      { course: 1, courseSlug: 1, version: 1, checkOrders: 1 },
    ).lean<ProgressTarget['enrolment']>();
    if (!enrolment) throw new NotFound('You have not started this course yet.');
    return { enrolment, content: await pinnedContent(enrolment) };
  }

  /**
   * Applies one update to the learner's enrolment and then the completion rules. The filter pins the version,
   * so progress can never be written against a version the learner has just switched away from.
   */
  async function applyProgress(
    learner: Learner,
    target: ProgressTarget,
    update: { $set?: Record<string, unknown>; $unset?: Record<string, ''>; $push?: Record<string, unknown> },
  ): Promise<ProgressOutcome> {
    const after = await Enrolment.findOneAndUpdate(
      { _id: target.enrolment._id, learner: learnerObjectId(learner), version: target.enrolment.version },
      update,
      { returnDocument: 'after', projection: progressFields },
    ).lean<ProgressRecord>();
    forgetLessonRead(learner.id, target.enrolment.courseSlug);
    if (!after) throw new Conflict('Your course changed while you were working. Please open the lesson again.');
    return finishIfComplete(learner, after, target.content);
  }

  /**
   * The completion rules, on the server: all required blocks done and every check passed. The certificate is
   * issued (once per enrolment, by its unique index), then completedAt is set by a conditional update that only
   * the first request can make.
   */
  async function finishIfComplete(learner: Learner, enrolment: ProgressRecord, content: PublishedVersion): Promise<ProgressOutcome> {
    if (enrolment.completedAt) return { courseCompleted: false, certificateNumber: enrolment.certificateNumber };
    if (!isCourseComplete(content, doneKeys(enrolment))) return { courseCompleted: false, certificateNumber: null };
    // The round this completion ends: 1, or one more than the rounds kept from before retakes.
    const rounds = await Enrolment.findById(enrolment._id, { previousCompletions: 1 }).lean<Pick<EnrolmentRecord, 'previousCompletions'>>();
    const certificate = await certificates.issueCertificate({
      enrolmentId: enrolment._id.toString(),
      round: (rounds?.previousCompletions?.length ?? 0) + 1,
      learnerId: learner.id,
      learnerName: learner.name,
      courseId: enrolment.course.toString(),
      courseSlug: enrolment.courseSlug,
      courseTitle: content.title,
      version: enrolment.version,
      completedAt: new Date(),
    });
    const marked = await Enrolment.updateOne(
      { _id: enrolment._id, completedAt: null },
      { $set: { completedAt: certificate.completedAt, certificateNumber: certificate.number } },
    );
    forgetLessonRead(learner.id, enrolment.courseSlug);
    return { courseCompleted: marked.modifiedCount === 1, certificateNumber: certificate.number };
  }

  /** "Mark as done" for one reading block (text, media, image, file or profile). */
  async function completeBlock(learner: Learner, address: LessonAddress, blockKey: string): Promise<ProgressOutcome> {
    const target = await progressTarget(learner, address.slug);
    const found = findBlock(target.content, address, blockKey);
    if (!found) throw new NotFound('There is no such part in this lesson.');
    if (!isReadingBlock(found.block)) throw new Invalid({ block: 'Answer the check or write the reflection to complete this part.' });
    return applyProgress(learner, target, { $set: { [`blocks.${fieldKey(blockKey)}`]: new Date(), lastLesson: found.lesson.id } });
  }

  /** "Mark as done" for a lesson: every reading block in it, in one update. */
  async function completeLessonReading(
    learner: Learner,
    slug: string,
    moduleKey: string,
    lessonKey: string,
  ): Promise<ProgressOutcome & { next: LessonRef | null }> {
    const target = await progressTarget(learner, slug);
    const lessons = lessonsInOrder(target.content);
    const lesson = lessons.find((ref) => ref.moduleKey === moduleKey && ref.lesson.key === lessonKey);
    if (!lesson) throw new NotFound('There is no lesson at this address.');
    const now = new Date();
    const set: Record<string, unknown> = { lastLesson: lesson.id };
    for (const block of lesson.lesson.blocks) if (isReadingBlock(block)) set[`blocks.${fieldKey(block.key)}`] = now;
    const outcome = await applyProgress(learner, target, { $set: set });
    return { ...outcome, next: lessons[lesson.index + 1] ?? null };
  }

  /**
   * Scores a check on the server, records the attempt with the option order it was shown in, gives the next
   * attempt a new order, and marks the check done when it is passed.
   */
  async function submitCheck(learner: Learner, address: LessonAddress, blockKey: string, answers: CheckAnswers): Promise<CheckOutcome> {
    const target = await progressTarget(learner, address.slug);
    const found = findBlock(target.content, address, blockKey);
    if (!found || found.block.kind !== 'check') throw new NotFound('There is no such check in this lesson.');
    const check: CheckBlock = found.block;
    const unanswered = check.questions.filter((question) => (answers[question.key] ?? []).length === 0);
    if (unanswered.length > 0) {
      throw new Invalid(Object.fromEntries(unanswered.map((question) => [`q-${question.key}`, 'Choose an answer to this question'])));
    }
    const result = scoreCheck(check, answers);
    const now = new Date();
    const seed = checkOrderSeed(target.enrolment, blockKey);
    const attempt: AttemptRecord = { block: blockKey, answers, score: result.score, total: result.total, passed: result.passed, at: now, seed };
    const set: Record<string, unknown> = { lastLesson: found.lesson.id, [`checkOrders.${fieldKey(blockKey)}`]: newOrderSeed() };
    if (result.passed) set[`blocks.${fieldKey(blockKey)}`] = now;
    const outcome = await applyProgress(learner, target, { $set: set, $push: { attempts: attempt } });
    return { ...outcome, result };
  }

  /** Saves a reflection (as the learner types, or from the plain form). Writing something completes it. */
  async function saveReflection(
    learner: Learner,
    address: LessonAddress,
    blockKey: string,
    text: string,
  ): Promise<ProgressOutcome & { savedAt: Date }> {
    if (text.length > MAX_REFLECTION_LENGTH) {
      throw new Invalid({ reflection: `Your reflection is too long to save. Please keep it under ${MAX_REFLECTION_LENGTH.toLocaleString('en-GB')} characters.` });
    }
    const target = await progressTarget(learner, address.slug);
    const found = findBlock(target.content, address, blockKey);
    if (!found || found.block.kind !== 'reflection') throw new NotFound('There is no such reflection in this lesson.');
    const savedAt = new Date();
    const field = fieldKey(blockKey);
    const update: { $set: Record<string, unknown>; $unset?: Record<string, ''> } = {
      $set: { [`reflections.${field}`]: { text, savedAt }, lastLesson: found.lesson.id },
    };
    if (text.trim() !== '') update.$set[`blocks.${field}`] = savedAt;
    else update.$unset = { [`blocks.${field}`]: '' };
    const outcome = await applyProgress(learner, target, update);
    return { ...outcome, savedAt };
  }

  // ---------------------------------------------------------------------------------------------------------
  // Versions

  async function newerVersionNumber(enrolment: Pick<EnrolmentRecord, 'course' | 'version' | 'completedAt'>): Promise<number | null> {
    if (enrolment.completedAt) return null;
    const published = await courses.publishedVersionNumber(enrolment.course.toString());
    return published !== null && published > enrolment.version ? published : null;
  }

  /** The published version, when it is newer than the one the learner is taking and they have not finished. */
  async function newerVersionFor(enrolment: Pick<EnrolmentRecord, 'course' | 'version' | 'completedAt'>): Promise<NewerVersion | null> {
    const newer = await newerVersionNumber(enrolment);
    if (newer === null) return null;
    const courseId = enrolment.course.toString();
    const published = await courses.getCourseVersion(courseId, newer);
    if (!published) return null;
    const changes = await courses.describeChanges(courseId, enrolment.version, published.version);
    const named = (refs: { moduleTitle: string; lessonTitle: string }[] | undefined): string[] =>
      (refs ?? []).map((ref) => `${ref.moduleTitle}: ${ref.lessonTitle}`);
    return {
      version: published.version,
      changeSummary: published.changeSummary ?? '',
      lessonsAdded: named(changes?.lessonsAdded),
      lessonsChanged: named(changes?.lessonsChanged),
      lessonsRemoved: named(changes?.lessonsRemoved),
    };
  }

  /**
   * Moves a learner part-way through onto the published version. Progress on blocks whose keys still exist
   * is kept; progress on blocks that are gone is dropped. One conditional update, pinned to the old version.
   */
  async function switchToPublishedVersion(learner: Learner, slug: string): Promise<ProgressOutcome & { version: number }> {
    const enrolment = await findEnrolment(learner, slug);
    if (!enrolment) throw new NotFound('You have not started this course yet.');
    if (enrolment.completedAt) throw new Conflict('You have already finished this course.');
    const published = await courses.getPublishedVersion(enrolment.course.toString());
    if (!published || published.version <= enrolment.version) throw new Conflict('You are already taking the newest version.');
    const stillThere = new Set(allBlocks(published).map((block) => block.key));
    const gone = [...doneKeys(enrolment)].filter((key) => !stillThere.has(key));
    const lessonIds = new Set(lessonsInOrder(published).map((ref) => ref.id));
    const update: { $set: Record<string, unknown>; $unset?: Record<string, ''> } = { $set: { version: published.version } };
    if (enrolment.lastLesson && !lessonIds.has(enrolment.lastLesson)) update.$set.lastLesson = null;
    if (gone.length > 0) update.$unset = Object.fromEntries(gone.map((key) => [`blocks.${fieldKey(key)}`, '']));
    const after = await Enrolment.findOneAndUpdate(
      { _id: enrolment._id, learner: learnerObjectId(learner), version: enrolment.version, completedAt: null },
      update,
      { returnDocument: 'after', projection: progressFields },
    ).lean<ProgressRecord>();
    forgetLessonRead(learner.id, enrolment.courseSlug);
    if (!after) throw new Conflict('Your course changed while you were working. Please try again.');
    const outcome = await finishIfComplete(learner, after, published);
    return { ...outcome, version: published.version };
  }

  /**
   * Takes a finished course again (a recertification round; the caller has checked that the learner may: see
   * assignments' retakeAllowed). The finished round moves to `previousCompletions` with its certificate, which
   * stays valid to download and verify; the new round starts now on the course's published version with no
   * blocks done. Check attempts and reflections are kept (the learner's history and writing): a check is done
   * again only when passed again, a reflection when saved again. One conditional update: two clicks start one round.
   */
  async function startNewRound(learner: Learner, slug: string): Promise<{ version: number }> {
    const course = await publishedCourse(slug);
    const enrolment = await findEnrolment(learner, course.slug);
    if (!enrolment) throw new NotFound('You have not started this course yet.');
    if (!enrolment.completedAt) throw new Conflict('You are already taking this course again.');
    const restartedAt = new Date();
    const result = await Enrolment.updateOne(
      { _id: enrolment._id, learner: learnerObjectId(learner), completedAt: enrolment.completedAt },
      {
        $push: {
          previousCompletions: {
            version: enrolment.version,
            startedAt: enrolment.startedAt,
            completedAt: enrolment.completedAt,
            certificateNumber: enrolment.certificateNumber,
            restartedAt,
          },
        },
        $set: { version: course.publishedVersion, blocks: {}, lastLesson: null, startedAt: restartedAt, completedAt: null, certificateNumber: null },
      },
    );
    forgetLessonRead(learner.id, course.slug);
    if (result.modifiedCount !== 1) throw new Conflict('You are already taking this course again.');
    return { version: course.publishedVersion };
  }

  return {
    enrol,
    startNewRound,
    findEnrolment,
    loadLesson,
    completeBlock,
    completeLessonReading,
    submitCheck,
    saveReflection,
    newerVersionFor,
    switchToPublishedVersion,
    enrolmentFacts,
  };
}

// ---------------------------------------------------------------------------------------------------------
// For the assignments feature (passed to it by the composition root, so assignments never imports learning)

export interface EnrolmentFact {
  learnerId: string;
  courseId: string;
  /** The latest completion of any round (the current one, or one finished before a retake), or null. */
  lastCompletedAt: Date | null;
  /** The current round is started and not finished. */
  inProgress: boolean;
}

/** What these learners have done on these courses (all their courses when none are given): one indexed read. */
async function enrolmentFacts(learnerIds: string[], courseIds?: string[]): Promise<EnrolmentFact[]> {
  const learners = learnerIds.filter((id) => Types.ObjectId.isValid(id)).map((id) => new Types.ObjectId(id));
  if (learners.length === 0) return [];
  const filter: Record<string, unknown> = { learner: { $in: learners } };
  if (courseIds) filter.course = { $in: courseIds.filter((id) => Types.ObjectId.isValid(id)).map((id) => new Types.ObjectId(id)) };
  const rows = await Enrolment.find(filter, { learner: 1, course: 1, completedAt: 1, previousCompletions: 1 }).lean<
    Pick<EnrolmentRecord, 'learner' | 'course' | 'completedAt' | 'previousCompletions'>[]
  >();
  return rows.map((row) => {
    let last = row.completedAt ?? null;
    for (const previous of row.previousCompletions ?? []) if (!last || previous.completedAt > last) last = previous.completedAt;
    return { learnerId: String(row.learner), courseId: String(row.course), lastCompletedAt: last, inProgress: !row.completedAt };
  });
}

export type LearningService = ReturnType<typeof createLearningService>;
