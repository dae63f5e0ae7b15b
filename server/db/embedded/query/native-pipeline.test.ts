/**
 * The native aggregation path gives mingo's results, in mingo's order and field order (the engine's answers must
 * not depend on which path ran), except for $median and $bucket, where it follows MongoDB (tested on their own).
 */
import { ObjectId } from 'bson';
import { Aggregator, Query } from '../bson/mingo-context';
import type { Doc } from '../bson/values';
import { compileFilter } from './filter';
import { compileProjection } from './projection';
import { compileNativePipeline } from './native-pipeline';

const DAY = 86_400_000;
const courses = [new ObjectId(), new ObjectId(), new ObjectId()];
const learners = Array.from({ length: 12 }, () => new ObjectId());

/** Enrolment-like documents with the variety the reports meet: missing and null fields, arrays, attempts. */
function enrolments(): Doc[] {
  const docs: Doc[] = [];
  learners.forEach((learner, l) => {
    courses.forEach((course, c) => {
      if ((l + c) % 5 === 4) return;
      const startedAt = new Date(Date.UTC(2026, (l * 3 + c) % 12, 1 + ((l * 7 + c) % 27), 10));
      const finished = (l + c) % 3 !== 0;
      const doc: Doc = {
        _id: new ObjectId(),
        learner,
        course,
        courseSlug: `course-${c}`,
        version: 1 + (l % 2),
        startedAt,
        completedAt: finished ? new Date(startedAt.getTime() + ((l * 5 + c) % 40) * DAY + 3_600_000) : null,
        blocks: Object.fromEntries(['a', 'b', 'c', 'd'].slice(0, (l + c) % 5).map((key) => [key, startedAt])),
        attempts: Array.from({ length: (l + c) % 3 }, (_, i) => ({ block: i % 2 === 0 ? 'check' : 'other', answers: { q1: i === 0 && l % 2 === 0 ? ['b'] : ['a'], q2: ['a', 'b'] }, score: i + (l % 3), total: 3, passed: i > 0, at: new Date(startedAt.getTime() + i * DAY) })),
        reflections: l % 4 === 0 ? { r1: 'text' } : {},
        tags: l % 2 === 0 ? ['x', 'y'] : [],
      };
      if (l === 3) delete doc.completedAt;
      if (l === 5) delete doc.attempts;
      docs.push(doc);
    });
  });
  return docs;
}

/** A deep copy (structuredClone would make Dates of another realm under Jest, which `instanceof Date` refuses). */
function copy<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copy) as T;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copy(v)])) as T;
  }
  return value;
}

function viaMingo(pipeline: Doc[], docs: Doc[], variables?: Doc): string {
  return JSON.stringify(new Aggregator(pipeline, variables ? { variables } : {}).run(copy(docs)));
}

function natively(pipeline: Doc[], docs: Doc[], variables?: Doc): string {
  const run = compileNativePipeline(pipeline, variables);
  if (!run) throw new Error(`not compiled: ${JSON.stringify(pipeline)}`);
  const input = copy(docs);
  const before = JSON.stringify(input);
  const result = JSON.stringify(run(input));
  expect(JSON.stringify(input)).toBe(before); // the input documents are not changed
  return result;
}

const isCompleted = { $ne: [{ $ifNull: ['$completedAt', null] }, null] };
const lessons = [['a', 'b'], ['c'], ['d']];
const percent = {
  $cond: [
    { $ne: ['$completedAt', null] },
    100,
    {
      $switch: {
        branches: [
          {
            case: { $and: [{ $eq: ['$courseSlug', 'course-0'] }, { $eq: ['$version', 1] }] },
            then: { $floor: { $add: [0.5, { $multiply: [100 / 3, { $size: { $filter: { input: { $literal: lessons }, as: 'lesson', cond: { $setIsSubset: ['$$lesson', '$doneKeys'] } } } }] }] } },
          },
        ],
        default: 0,
      },
    },
  ],
};
const doneKeys = { $addFields: { doneKeys: { $map: { input: { $objectToArray: { $ifNull: ['$blocks', {}] } }, as: 'block', in: '$$block.k' } } } };
const firstWrong = {
  $let: {
    vars: { first: { $arrayElemAt: [{ $filter: { input: { $ifNull: ['$attempts', []] }, as: 'attempt', cond: { $eq: ['$$attempt.block', 'check'] }, limit: 1 } }, 0] } },
    in: {
      $cond: [
        { $eq: [{ $type: '$$first' }, 'missing'] },
        '$$REMOVE',
        { $cond: [{ $setEquals: [{ $ifNull: [{ $getField: { field: { $literal: 'q1' }, input: '$$first.answers' } }, []] }, { $literal: ['a'] }] }, 0, 1] },
      ],
    },
  },
};

const PIPELINES: Record<string, Doc[]> = {
  'the team matrix': [
    { $match: { learner: { $in: learners.slice(0, 8) } } },
    { $match: { course: { $in: courses.slice(0, 2) } } },
    { $project: { learner: 1, course: 1, courseSlug: 1, version: 1, startedAt: 1, completedAt: 1, blocks: 1 } },
    {
      $facet: {
        cells: [{ $match: { learner: { $in: learners.slice(0, 4) } } }, doneKeys, { $project: { learner: 1, course: 1, courseSlug: 1, version: 1, startedAt: 1, completedAt: 1, percent } }],
        byCourse: [{ $group: { _id: '$course', started: { $sum: 1 }, completed: { $sum: { $cond: [isCompleted, 1, 0] } } } }],
        sortCells: [{ $match: { course: courses[0] } }, doneKeys, { $project: { learner: 1, percent } }],
        byLearner: [{ $group: { _id: '$learner', started: { $sum: 1 }, completed: { $sum: { $cond: [isCompleted, 1, 0] } }, startedCourses: { $push: '$course' }, completedCourses: { $push: { $cond: [isCompleted, '$course', null] } } } }],
        none: [{ $limit: 0 }],
      },
    },
  ],
  "a learner's figures": [
    { $match: { learner: learners[1] } },
    {
      $facet: {
        enrolments: [doneKeys, { $project: { learner: 1, course: 1, percent, reflectionCount: { $size: { $objectToArray: { $ifNull: ['$reflections', {}] } } } } }],
        checks: [
          { $unwind: '$attempts' },
          { $group: { _id: { course: '$course', block: '$attempts.block' }, attempts: { $sum: 1 }, firstScore: { $first: '$attempts.score' }, bestScore: { $max: '$attempts.score' }, total: { $last: '$attempts.total' }, passed: { $max: '$attempts.passed' }, lastAt: { $max: '$attempts.at' } } },
        ],
      },
    },
  ],
  'a course report': [
    { $match: { course: courses[1] } },
    { $project: { completedAt: 1, daysTaken: { $cond: [isCompleted, { $divide: [{ $subtract: ['$completedAt', '$startedAt'] }, DAY] }, null] }, w0: firstWrong } },
    {
      $facet: {
        summary: [{ $group: { _id: null, started: { $sum: 1 }, completed: { $sum: { $cond: [isCompleted, 1, 0] } }, meanDays: { $avg: '$daysTaken' }, tried0: { $sum: { $cond: [{ $eq: [{ $type: '$w0' }, 'missing'] }, 0, 1] } }, wrong0: { $sum: { $ifNull: ['$w0', 0] } } } }],
        byMonth: [{ $match: { completedAt: { $ne: null } } }, { $group: { _id: { $dateTrunc: { date: '$completedAt', unit: 'month' } }, count: { $sum: 1 } } }, { $sort: { _id: 1 } }],
      },
    },
  ],
  'sort, skip, limit, min, unwind of an empty array, $set, $$ROOT and let variables': [
    { $set: { started: '$startedAt', removed: '$$REMOVE', course: '$$ROOT.courseSlug', wanted: '$$minimum' } },
    { $unwind: { path: '$tags', preserveNullAndEmptyArrays: true } },
    { $sort: { courseSlug: -1, startedAt: 1 } },
    { $skip: 2 },
    { $limit: 20 },
    { $group: { _id: '$tags', first: { $min: '$startedAt' }, n: { $sum: 2 }, mean: { $avg: '$version' }, pairs: { $push: ['$version', '$$minimum'] } } },
  ],
  'booleans, $or, $not, exclusion of _id': [
    { $project: { _id: 0, learner: 1, either: { $or: [{ $eq: ['$version', 2] }, { $not: [isCompleted] }] }, tagged: { $eq: ['$tags', 'x'] } } },
  ],
};

describe('the native aggregation path', () => {
  const docs = enrolments();
  for (const [name, pipeline] of Object.entries(PIPELINES)) {
    it(`gives mingo's result for ${name}`, () => {
      expect(natively(pipeline, docs, { minimum: 2 })).toBe(viaMingo(pipeline, docs, { minimum: 2 }));
    });
  }

  it('declines what it does not compile, so that mingo runs it', () => {
    expect(compileNativePipeline([{ $lookup: { from: 'x', localField: 'a', foreignField: 'b', as: 'c' } }])).toBeUndefined();
    expect(compileNativePipeline([{ $project: { total: { $sum: '$items' } } }])).toBeUndefined();
    expect(compileNativePipeline([{ $project: { 'a.b': 1 } }])).toBeUndefined();
    expect(compileNativePipeline([{ $group: { _id: null, all: { $addToSet: '$a' } } }])).toBeUndefined();
    expect(compileNativePipeline([{ $project: { a: 1, b: 1 } }])).toBeDefined();
  });

  it('takes the median of the numbers in numeric order, as MongoDB does', () => {
    const run = compileNativePipeline([{ $group: { _id: null, approximate: { $median: { input: '$n', method: 'approximate' } }, exact: { $median: { input: '$n', method: 'approximate' } } } }]);
    const values = [9, 10, 2, 40, 1, 11, 3];
    expect(run?.(values.map((n) => ({ n })))).toEqual([{ _id: null, approximate: 9, exact: 9 }]);
    expect(run?.([1, 2, 3, 4].map((n) => ({ n })))).toEqual([{ _id: null, approximate: 2, exact: 2 }]);
  });

  it('puts a boundary value in the bucket it opens and leaves empty buckets out, as MongoDB does', () => {
    const run = compileNativePipeline([{ $bucket: { groupBy: '$n', boundaries: [0, 1, 7, 14], default: -1, output: { count: { $sum: 1 } } } }]);
    expect(run?.([0.5, 1, 6.9, 7, 20, null].map((n) => ({ n })))).toEqual([
      { count: 1, _id: 0 },
      { count: 2, _id: 1 },
      { count: 1, _id: 7 },
      { count: 2, _id: -1 },
    ]);
  });
});

describe('filters tested without mingo', () => {
  const id = new ObjectId();
  const docs: Doc[] = [
    { a: 1, b: id, c: null, d: [1, 2], e: { f: 'x' }, g: [{ f: 'x' }, { f: 'y' }] },
    { a: 2, b: new ObjectId(), d: [], e: { f: 'y' }, g: [{ f: null }] },
    { a: 1.0, b: id.toHexString(), c: 3, d: [[1]], e: null, g: [] },
    { a: '1', c: [null, 1], d: 2, e: { f: ['x'] } },
    { a: true, b: [id], c: [1], d: new Date(5), e: { f: new Date(5) } },
  ];
  const filters: Doc[] = [
    { a: 1 },
    { a: { $eq: 1 } },
    { a: { $in: [2, '1', true] } },
    { b: id },
    { b: { $in: [id, new ObjectId()] } },
    { c: { $ne: null } },
    { d: 1 },
    { d: { $in: [2, new Date(5)] } },
    { 'e.f': 'x' },
    { 'g.f': { $in: ['y'] } },
    { a: 1, b: id },
  ];
  for (const filter of filters) {
    it(`matches what mingo matches for ${JSON.stringify(filter)}`, () => {
      const native = compileFilter(filter);
      const query = new Query(filter);
      expect(docs.map((doc) => native.test(doc))).toEqual(docs.map((doc) => query.test(doc)));
    });
  }
});

describe('projections done without mingo', () => {
  const doc: Doc = { _id: 7, b: 2, a: { x: 1 }, c: [1, 2], d: null };
  const projections: Doc[] = [{ b: 1, a: 1 }, { a: 1, _id: 0 }, { c: 0, d: 0 }, { _id: 0 }, { missing: 1, d: 1 }, { _id: 1, b: true }];
  for (const projection of projections) {
    it(`gives mingo's result, in its field order, for ${JSON.stringify(projection)}`, () => {
      const viaMingo = new Query({}).find<Doc>([copy(doc)], projection).next();
      expect(JSON.stringify(compileProjection(projection)(copy(doc)))).toBe(JSON.stringify(viaMingo));
    });
  }
});
