/**
 * Loop-closure figures of a course, computed by aggregation in the database (never by loading the feedback into
 * Node): how much feedback has an answer (a published "you said, we did" note answered it), the median days from
 * feedback to its answer, and per version (and per module and version) the average rating and confidence change
 * of the end-of-module feedback, to see whether revisions helped.
 */
import { Types, type PipelineStage } from 'mongoose';
import { FeedbackItem } from './model';

const DAY_MS = 86_400_000;

export interface VersionFigures {
  version: number;
  responses: number;
  /** Average rating 1-5, rounded to one decimal; null with no ratings. */
  averageRating: number | null;
  /** Averages of confidence before and after, and of (after - before), over the answers that gave both. */
  averageConfidenceBefore: number | null;
  averageConfidenceAfter: number | null;
  averageConfidenceChange: number | null;
}

export interface ModuleVersionFigures extends VersionFigures {
  moduleKey: string;
}

export interface LoopFigures {
  total: number;
  answered: number;
  /** answered / total as a whole percentage; null with no feedback. */
  answeredPercent: number | null;
  /** Median days from feedback to its answer, to one decimal; null when nothing is answered. */
  medianDaysToAnswer: number | null;
  versions: VersionFigures[];
  modules: ModuleVersionFigures[];
}

function round1(value: number | null | undefined): number | null {
  return value === null || value === undefined ? null : Math.round(value * 10) / 10;
}

/** Groups end-of-module feedback by `id` (version, or module and version): responses and averages. */
function ratingsPipeline(course: Types.ObjectId, id: Record<string, string>): PipelineStage[] {
  return [
    { $match: { course, kind: 'module' } },
    {
      $project: {
        version: 1,
        moduleKey: 1,
        rating: 1,
        both: { $and: [{ $isNumber: '$confidenceBefore' }, { $isNumber: '$confidenceAfter' }] },
        confidenceBefore: 1,
        confidenceAfter: 1,
      },
    },
    {
      $project: {
        version: 1,
        moduleKey: 1,
        rating: 1,
        before: { $cond: ['$both', '$confidenceBefore', null] },
        after: { $cond: ['$both', '$confidenceAfter', null] },
        change: { $cond: ['$both', { $subtract: ['$confidenceAfter', '$confidenceBefore'] }, null] },
      },
    },
    // $avg leaves out nulls: an answer without a rating does not count as a rating of 0.
    {
      $group: {
        _id: id,
        responses: { $sum: 1 },
        averageRating: { $avg: '$rating' },
        averageConfidenceBefore: { $avg: '$before' },
        averageConfidenceAfter: { $avg: '$after' },
        averageConfidenceChange: { $avg: '$change' },
      },
    },
  ];
}

interface RatingRow {
  responses: number;
  averageRating: number | null;
  averageConfidenceBefore: number | null;
  averageConfidenceAfter: number | null;
  averageConfidenceChange: number | null;
}

function averages(row: RatingRow): Omit<VersionFigures, 'version'> {
  return {
    responses: row.responses,
    averageRating: round1(row.averageRating),
    averageConfidenceBefore: round1(row.averageConfidenceBefore),
    averageConfidenceAfter: round1(row.averageConfidenceAfter),
    averageConfidenceChange: round1(row.averageConfidenceChange),
  };
}

export async function loopFigures(courseId: string): Promise<LoopFigures> {
  const course = new Types.ObjectId(courseId);
  const [counts] = await FeedbackItem.aggregate<{ total: number; answered: number }>([
    { $match: { course } },
    { $group: { _id: null, total: { $sum: 1 }, answered: { $sum: { $cond: [{ $ne: [{ $ifNull: ['$answeredAt', null] }, null] }, 1, 0] } } } },
  ]);
  const [middle] = await FeedbackItem.aggregate<{ median: number | null }>([
    { $match: { course, answeredAt: { $ne: null } } },
    { $project: { days: { $divide: [{ $subtract: ['$answeredAt', '$createdAt'] }, DAY_MS] } } },
    { $sort: { days: 1 } },
    { $group: { _id: null, days: { $push: '$days' } } },
    {
      $project: {
        median: {
          $let: {
            vars: { n: { $size: '$days' }, half: { $floor: { $divide: [{ $size: '$days' }, 2] } } },
            in: {
              $cond: [
                { $eq: [{ $mod: ['$$n', 2] }, 1] },
                { $arrayElemAt: ['$days', '$$half'] },
                { $avg: [{ $arrayElemAt: ['$days', { $subtract: ['$$half', 1] }] }, { $arrayElemAt: ['$days', '$$half'] }] },
              ],
            },
          },
        },
      },
    },
  ]);
  const versions = await FeedbackItem.aggregate<RatingRow & { _id: { version: number } }>([
    ...ratingsPipeline(course, { version: '$version' }),
    { $sort: { '_id.version': 1 } },
  ]);
  const modules = await FeedbackItem.aggregate<RatingRow & { _id: { moduleKey: string; version: number } }>([...ratingsPipeline(course, { moduleKey: '$moduleKey', version: '$version' }), { $sort: { '_id.moduleKey': 1, '_id.version': 1 } }]);
  const total = counts?.total ?? 0;
  const answered = counts?.answered ?? 0;
  return {
    total,
    answered,
    answeredPercent: total === 0 ? null : Math.round((answered / total) * 100),
    medianDaysToAnswer: round1(middle?.median),
    versions: versions.map((row) => ({ version: row._id.version, ...averages(row) })),
    modules: modules.map((row) => ({ moduleKey: row._id.moduleKey, version: row._id.version, ...averages(row) })),
  };
}

/** The same figures as rows for the CSV export: one line per figure, then one per version and per module version. */
export function figuresTable(courseTitle: string, figures: LoopFigures): string[][] {
  const text = (value: number | null): string => (value === null ? '' : String(value));
  return [
    ['Course', courseTitle],
    ['Feedback', String(figures.total)],
    ['Feedback with an answer', String(figures.answered)],
    ['Share with an answer (%)', text(figures.answeredPercent)],
    ['Median days to an answer', text(figures.medianDaysToAnswer)],
    [],
    ['Module', 'Version', 'Responses', 'Average rating (1-5)', 'Average confidence before', 'Average confidence after', 'Average confidence change'],
    ...[...figures.versions.map((row) => ({ ...row, moduleKey: 'All modules' })), ...figures.modules].map((row) => [
      row.moduleKey,
      String(row.version),
      String(row.responses),
      text(row.averageRating),
      text(row.averageConfidenceBefore),
      text(row.averageConfidenceAfter),
      text(row.averageConfidenceChange),
    ]),
  ];
}
