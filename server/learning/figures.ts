/**
 * Figures about enrolments for trainers' reports, computed by aggregation pipelines in the database (never by
 * reading enrolments into Node and counting them). The learning feature owns the Enrolment collection, so its
 * pipelines live here; `server/reports/` turns the figures into pages and exports.
 *
 * Indexes used (declared in ./model.ts): { learner, course } for a team's or a person's enrolments, and
 * { course, completedAt } for one course across learners. `explainFigures` prints the plans in `npm run bench`.
 *
 * Lesson progress (the % shown for a course in progress) follows progress.ts exactly: a lesson is done when every
 * block that finishes it is done. The pipeline receives each course version's lessons as lists of block keys
 * (a version never changes once published) and counts, per enrolment, the lessons whose keys are all done.
 */
import { Types, type PipelineStage } from 'mongoose';
import type { CourseVersionContent } from '../courses/types';
import { Enrolment, fieldKey } from './model';
import { keysThatFinish, lessonsInOrder } from './progress';

/** A published course version's lessons, each as the (stored) keys of the blocks that finish it. */
export interface VersionShape {
  courseId: string;
  /** The course's slug: the pipeline tells courses apart by it (a string compares faster than an ObjectId). */
  courseSlug: string;
  version: number;
  lessons: string[][];
}

export function versionShape(courseId: string, courseSlug: string, version: number, content: CourseVersionContent): VersionShape {
  return { courseId, courseSlug, version, lessons: lessonsInOrder(content).map((ref) => keysThatFinish(ref.lesson).map(fieldKey)) };
}

function objectIds(ids: readonly string[]): Types.ObjectId[] {
  return ids.filter((id) => Types.ObjectId.isValid(id)).map((id) => new Types.ObjectId(id));
}

/**
 * The % of lessons done, as progress.ts's progressOf rounds it (half up). Needs `doneKeys` (the keys of `blocks`)
 * on the document. A finished enrolment is 100.
 */
function percentExpression(shapes: readonly VersionShape[]): Record<string, unknown> {
  const branches = shapes
    .filter((shape) => shape.lessons.length > 0)
    .map((shape) => ({
      case: { $and: [{ $eq: ['$courseSlug', shape.courseSlug] }, { $eq: ['$version', shape.version] }] },
      then: {
        $floor: {
          $add: [
            0.5,
            {
              $multiply: [
                100 / shape.lessons.length,
                { $size: { $filter: { input: { $literal: shape.lessons }, as: 'lesson', cond: { $setIsSubset: ['$$lesson', '$doneKeys'] } } } },
              ],
            },
          ],
        },
      },
    }));
  const byVersion = branches.length > 0 ? { $switch: { branches, default: 0 } } : 0;
  return { $cond: [{ $ne: ['$completedAt', null] }, 100, byVersion] };
}

const doneKeysStage: PipelineStage = {
  $addFields: { doneKeys: { $map: { input: { $objectToArray: { $ifNull: ['$blocks', {}] } }, as: 'block', in: '$$block.k' } } },
};

const isCompleted = { $ne: [{ $ifNull: ['$completedAt', null] }, null] };

/**
 * A team's enrolments: by learner only in the first $match, so the planner scans the { learner, ... } index once
 * per person, however large the team (a $in on course in the same $match multiplies the scans: past 256 the
 * engine leaves the course to the filter anyway); the courses are kept by a second $match.
 */
function matchLearnersAndCourses(learnerIds: readonly string[], courseIds: readonly string[]): PipelineStage[] {
  return [{ $match: { learner: { $in: objectIds(learnerIds) } } }, { $match: { course: { $in: objectIds(courseIds) } } }];
}

export interface LearnerCounts {
  learnerId: string;
  started: number;
  completed: number;
  /** The courses (of those asked about) this learner has started, and those they finished. */
  startedCourseIds: string[];
  completedCourseIds: string[];
}

/** Per learner, over the given courses: how many they have started and how many finished. */
export async function countsByLearner(learnerIds: readonly string[], courseIds: readonly string[]): Promise<LearnerCounts[]> {
  if (learnerIds.length === 0 || courseIds.length === 0) return [];
  const rows = await Enrolment.aggregate<LearnerCountRow>([...matchLearnersAndCourses(learnerIds, courseIds), learnerCountsGroup]);
  return rows.map(toLearnerCounts);
}

export interface EnrolmentCell {
  learnerId: string;
  courseId: string;
  courseSlug: string;
  version: number;
  startedAt: Date;
  completedAt: Date | null;
  percent: number;
}

export interface CourseCounts {
  courseId: string;
  started: number;
  completed: number;
}

export interface MatrixFigures {
  /** The enrolments of the people on the page. */
  cells: EnrolmentCell[];
  /** Per course, over every person shown (all pages). */
  byCourse: CourseCounts[];
  /** When sorting by one course: that course's enrolment of every person shown. */
  sortCells: EnrolmentCell[];
  /** When asked for (withLearnerCounts): countsByLearner's figures from the same pass. */
  byLearner: LearnerCounts[];
}

interface CellRow {
  learner: Types.ObjectId;
  course: Types.ObjectId;
  courseSlug: string;
  version: number;
  startedAt: Date;
  completedAt: Date | null;
  percent: number;
}

function toCell(row: CellRow): EnrolmentCell {
  return {
    learnerId: String(row.learner),
    courseId: String(row.course),
    courseSlug: row.courseSlug,
    version: row.version,
    startedAt: row.startedAt,
    completedAt: row.completedAt ?? null,
    percent: row.percent,
  };
}

export interface MatrixQuery {
  /** Everyone the matrix shows (after its filters), on every page. */
  learnerIds: readonly string[];
  /** The people on this page. */
  pageLearnerIds: readonly string[];
  courseIds: readonly string[];
  shapes: readonly VersionShape[];
  sortCourseId?: string;
  /** Also count per learner in the same pass (when the page's people are known without those counts). */
  withLearnerCounts?: boolean;
}

interface LearnerCountRow {
  _id: Types.ObjectId;
  started: number;
  completed: number;
  startedCourses: Types.ObjectId[];
  completedCourses: (Types.ObjectId | null)[];
}

const learnerCountsGroup: PipelineStage.Group = {
  $group: {
    _id: '$learner',
    started: { $sum: 1 },
    completed: { $sum: { $cond: [isCompleted, 1, 0] } },
    startedCourses: { $push: '$course' },
    completedCourses: { $push: { $cond: [isCompleted, '$course', null] } },
  },
};

function toLearnerCounts(row: LearnerCountRow): LearnerCounts {
  return {
    learnerId: String(row._id),
    started: row.started,
    completed: row.completed,
    startedCourseIds: row.startedCourses.map(String),
    completedCourseIds: row.completedCourses.filter((id): id is Types.ObjectId => id !== null).map(String),
  };
}

/** One pipeline for a matrix page: the page's cells, the column totals, and the cells a column sort needs. */
export async function matrixFigures(query: MatrixQuery): Promise<MatrixFigures> {
  if (query.learnerIds.length === 0 || query.courseIds.length === 0) return { cells: [], byCourse: [], sortCells: [], byLearner: [] };
  const cellFields = { learner: 1, course: 1, courseSlug: 1, version: 1, startedAt: 1, completedAt: 1, percent: 1 };
  const withPercent: PipelineStage.FacetPipelineStage[] = [doneKeysStage as PipelineStage.FacetPipelineStage, { $project: { ...cellFields, percent: percentExpression(query.shapes) } }];
  const sortCourse = query.sortCourseId && Types.ObjectId.isValid(query.sortCourseId) ? new Types.ObjectId(query.sortCourseId) : null;
  const [result] = await Enrolment.aggregate<{ cells: CellRow[]; byCourse: { _id: Types.ObjectId; started: number; completed: number }[]; sortCells: CellRow[]; byLearner: LearnerCountRow[] }>([
    ...matchLearnersAndCourses(query.learnerIds, query.courseIds),
    { $project: { learner: 1, course: 1, courseSlug: 1, version: 1, startedAt: 1, completedAt: 1, blocks: 1 } },
    {
      $facet: {
        cells: [{ $match: { learner: { $in: objectIds(query.pageLearnerIds) } } }, ...withPercent],
        byCourse: [{ $group: { _id: '$course', started: { $sum: 1 }, completed: { $sum: { $cond: [isCompleted, 1, 0] } } } }],
        sortCells: sortCourse ? [{ $match: { course: sortCourse } }, ...withPercent] : [{ $limit: 0 }],
        byLearner: query.withLearnerCounts ? [learnerCountsGroup as PipelineStage.FacetPipelineStage] : [{ $limit: 0 }],
      },
    },
  ]);
  return {
    cells: (result?.cells ?? []).map(toCell),
    byCourse: (result?.byCourse ?? []).map((row) => ({ courseId: String(row._id), started: row.started, completed: row.completed })),
    sortCells: (result?.sortCells ?? []).map(toCell),
    byLearner: (result?.byLearner ?? []).map(toLearnerCounts),
  };
}

export interface CheckSummary {
  courseId: string;
  blockKey: string;
  attempts: number;
  firstScore: number;
  bestScore: number;
  total: number;
  passed: boolean;
  lastAt: Date;
}

export interface LearnerFigures {
  enrolments: (EnrolmentCell & { certificateNumber: string | null; hasReflections: boolean })[];
  checks: CheckSummary[];
}

/** One person's enrolments with progress, and their knowledge-check attempts summed up per check. */
export async function learnerFigures(learnerId: string, shapes: readonly VersionShape[]): Promise<LearnerFigures> {
  const [learner] = objectIds([learnerId]);
  if (!learner) return { enrolments: [], checks: [] };
  const [result] = await Enrolment.aggregate<{
    enrolments: (CellRow & { certificateNumber: string | null; reflectionCount: number })[];
    checks: { _id: { course: Types.ObjectId; block: string }; attempts: number; firstScore: number; bestScore: number; total: number; passed: boolean; lastAt: Date }[];
  }>([
    { $match: { learner } },
    {
      $facet: {
        enrolments: [
          doneKeysStage as PipelineStage.FacetPipelineStage,
          {
            $project: {
              learner: 1,
              course: 1,
              courseSlug: 1,
              version: 1,
              startedAt: 1,
              completedAt: 1,
              certificateNumber: 1,
              percent: percentExpression(shapes),
              reflectionCount: { $size: { $objectToArray: { $ifNull: ['$reflections', {}] } } },
            },
          },
        ],
        checks: [
          { $unwind: '$attempts' },
          {
            $group: {
              _id: { course: '$course', block: '$attempts.block' },
              attempts: { $sum: 1 },
              // Attempts are pushed in the order they were made, and $unwind keeps that order.
              firstScore: { $first: '$attempts.score' },
              bestScore: { $max: '$attempts.score' },
              total: { $last: '$attempts.total' },
              passed: { $max: '$attempts.passed' },
              lastAt: { $max: '$attempts.at' },
            },
          },
        ],
      },
    },
  ]);
  return {
    enrolments: (result?.enrolments ?? []).map((row) => ({ ...toCell(row), certificateNumber: row.certificateNumber ?? null, hasReflections: row.reflectionCount > 0 })),
    checks: (result?.checks ?? []).map((row) => ({
      courseId: String(row._id.course),
      blockKey: row._id.block,
      attempts: row.attempts,
      firstScore: row.firstScore,
      bestScore: row.bestScore,
      total: row.total,
      passed: Boolean(row.passed),
      lastAt: row.lastAt,
    })),
  };
}

/** A knowledge-check question with its right answers, so the database can tell which first answers were wrong. */
export interface QuestionKey {
  blockKey: string;
  questionKey: string;
  correct: string[];
}

export interface CourseFigures {
  started: number;
  completed: number;
  /** Days from starting to finishing, over those who finished. */
  medianDays: number | null;
  meanDays: number | null;
  /** Completions per calendar month (UTC), oldest first. */
  completionsByMonth: { month: Date; count: number }[];
  /** How long finishing took, in buckets of days (lower bound of each bucket). */
  daysTaken: { fromDays: number; count: number }[];
  /** Questions by how many learners got them wrong at their first attempt at the check, most first. */
  questions: { blockKey: string; questionKey: string; firstAttempts: number; wrong: number }[];
}

/** Bucket edges (in days) for "how long did it take": under a day, a week, two weeks, a month, two, three, more. */
export const DAYS_TAKEN_EDGES = [0, 1, 7, 14, 30, 60, 90] as const;
const DAY_MS = 86_400_000;

/**
 * One course's figures over the given learners (every learner when `learnerIds` is undefined: an admin's view).
 * A trainer's scope is the members of the teams they train.
 */
export async function courseFigures(courseId: string, learnerIds: readonly string[] | undefined, questionKeys: readonly QuestionKey[]): Promise<CourseFigures> {
  const empty: CourseFigures = { started: 0, completed: 0, medianDays: null, meanDays: null, completionsByMonth: [], daysTaken: [], questions: [] };
  const [course] = objectIds([courseId]);
  if (!course || (learnerIds && learnerIds.length === 0)) return empty;
  const match: Record<string, unknown> = { course };
  if (learnerIds) match.learner = { $in: objectIds(learnerIds) };
  const days = { $divide: [{ $subtract: ['$completedAt', '$startedAt'] }, DAY_MS] };
  // Each question's first answer is judged inside one document (no $unwind, no grouping by enrolment): for
  // question i, w<i> is 1 when the learner's first attempt at that check answered it wrongly, 0 when rightly,
  // and absent when they have not tried the check. One $group then sums them.
  const judged: Record<string, unknown> = {};
  const sums: Record<string, unknown> = {};
  questionKeys.forEach((key, index) => {
    const firstAttempt = { $filter: { input: { $ifNull: ['$attempts', []] }, as: 'attempt', cond: { $eq: ['$$attempt.block', key.blockKey] }, limit: 1 } };
    judged[`w${index}`] = {
      $let: {
        vars: { first: { $arrayElemAt: [firstAttempt, 0] } },
        in: {
          $cond: [
            { $eq: [{ $type: '$$first' }, 'missing'] },
            '$$REMOVE',
            { $cond: [{ $setEquals: [{ $ifNull: [{ $getField: { field: { $literal: key.questionKey }, input: '$$first.answers' } }, []] }, { $literal: [...key.correct].sort() }] }, 0, 1] },
          ],
        },
      },
    };
    sums[`tried${index}`] = { $sum: { $cond: [{ $eq: [{ $type: `$w${index}` }, 'missing'] }, 0, 1] } };
    sums[`wrong${index}`] = { $sum: { $ifNull: [`$w${index}`, 0] } };
  });
  const [result] = await Enrolment.aggregate<{
    summary: ({ started: number; completed: number; medianDays: number | null; meanDays: number | null } & Record<string, number | null>)[];
    byMonth: { _id: Date; count: number }[];
    daysTaken: { _id: number; count: number }[];
  }>([
    { $match: match },
    // Days taken as a field first: mingo's $median reads a field path more reliably than an expression.
    { $project: { completedAt: 1, daysTaken: { $cond: [isCompleted, days, null] }, ...judged } },
    {
      $facet: {
        summary: [
          {
            $group: {
              _id: null,
              started: { $sum: 1 },
              completed: { $sum: { $cond: [isCompleted, 1, 0] } },
              meanDays: { $avg: '$daysTaken' },
              medianDays: { $median: { input: '$daysTaken', method: 'approximate' } },
              ...sums,
            },
          },
        ],
        byMonth: [
          { $match: { completedAt: { $ne: null } } },
          { $group: { _id: { $dateTrunc: { date: '$completedAt', unit: 'month' } }, count: { $sum: 1 } } },
          { $sort: { _id: 1 } },
        ],
        daysTaken: [
          { $match: { completedAt: { $ne: null } } },
          { $bucket: { groupBy: '$daysTaken', boundaries: [...DAYS_TAKEN_EDGES, Number.MAX_SAFE_INTEGER], default: -1, output: { count: { $sum: 1 } } } },
        ],
      },
    },
  ]);
  const summary = result?.summary[0];
  const questions = questionKeys
    .map((key, index) => ({ blockKey: key.blockKey, questionKey: key.questionKey, firstAttempts: Number(summary?.[`tried${index}`] ?? 0), wrong: Number(summary?.[`wrong${index}`] ?? 0) }))
    .filter((question) => question.firstAttempts > 0)
    .sort((a, b) => b.wrong - a.wrong || a.blockKey.localeCompare(b.blockKey) || a.questionKey.localeCompare(b.questionKey));
  return {
    started: summary?.started ?? 0,
    completed: summary?.completed ?? 0,
    medianDays: summary?.medianDays ?? null,
    meanDays: summary?.meanDays ?? null,
    completionsByMonth: (result?.byMonth ?? []).map((row) => ({ month: row._id, count: row.count })),
    daysTaken: (result?.daysTaken ?? []).map((row) => ({ fromDays: row._id, count: row.count })),
    questions,
  };
}

/** The plans of the reports' queries, for `npm run bench` (which index each one uses). */
export async function explainFigures(sample: { learnerIds: readonly string[]; courseIds: readonly string[]; courseId: string }): Promise<Record<string, unknown>> {
  const plan = async (pipeline: PipelineStage[]): Promise<unknown> => {
    const explained = (await Enrolment.aggregate(pipeline).explain('executionStats')) as unknown as { queryPlanner?: { winningPlan?: unknown }; stages?: unknown };
    return explained.queryPlanner?.winningPlan ?? explained.stages ?? explained;
  };
  return {
    teamMatrix: await plan(matchLearnersAndCourses(sample.learnerIds, sample.courseIds)),
    courseReport: await plan([{ $match: { course: new Types.ObjectId(sample.courseId) } }]),
  };
}
