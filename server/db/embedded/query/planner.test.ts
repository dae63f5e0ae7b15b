import { Collection } from '../catalog/collection';
import { readDocuments } from './execute';
import { planQuery } from './planner';

function people(): Collection {
  const c = new Collection('db', 'people');
  c.createIndex({ key: { email: 1 }, name: 'email_1', unique: true });
  c.createIndex({ key: { team: 1, joined: -1 }, name: 'team_1_joined_-1' });
  for (let i = 0; i < 500; i++) c.insert({ email: `p${i}@example.org`, team: `t${i % 5}`, joined: 2000 + (i % 25), tags: [`g${i % 3}`] });
  return c;
}


test('uses the unique index for an equality and examines one document', () => {
  const c = people();
  const { docs, stats } = readDocuments(c, { filter: { email: 'p42@example.org' } });
  expect(docs).toHaveLength(1);
  expect(stats.plan.index?.name).toBe('email_1');
  expect(stats.docsExamined).toBe(1);
});

test('uses a compound index for equality then range, and for the sort after it', () => {
  const c = people();
  const plan = planQuery(c, { team: 't1', joined: { $gte: 2020 } }, { joined: -1 });
  expect(plan.index?.name).toBe('team_1_joined_-1');
  expect(plan.providesSort).toBe(true);
  const { docs, stats } = readDocuments(c, { filter: { team: 't1', joined: { $gte: 2020 } }, sort: { joined: -1 }, limit: 5 });
  expect(docs.map((d) => d.joined)).toEqual([2021, 2021, 2021, 2021, 2021]);
  expect(stats.docsExamined).toBe(5);
});

test('answers an _id lookup without scanning', () => {
  const c = people();
  const one = [...c.docs.values()][123]!;
  const { docs, stats } = readDocuments(c, { filter: { _id: one._id } });
  expect(docs).toEqual([one]);
  expect(stats.plan.index?.name).toBe('_id_');
  expect(stats.docsExamined).toBe(1);
});

test('scans the collection when no index fits', () => {
  const c = people();
  const { stats } = readDocuments(c, { filter: { tags: 'g1' } });
  expect(stats.plan.index).toBeUndefined();
  expect(stats.docsExamined).toBe(500);
});

test('an $in on an indexed field scans each value', () => {
  const c = people();
  const { docs, stats } = readDocuments(c, { filter: { email: { $in: ['p1@example.org', 'p2@example.org', 'nobody'] } } });
  expect(docs).toHaveLength(2);
  expect(stats.docsExamined).toBe(2);
});

test('on a multikey index, two bounds on one field are not intersected', () => {
  const c = new Collection('db', 'marks');
  c.createIndex({ key: { marks: 1 }, name: 'marks_1' });
  c.insert({ _id: 'spread', marks: [1, 10] });
  c.insert({ _id: 'middle', marks: [4] });
  // [1, 10] has an element above 5 and another below 3, so it matches, as in MongoDB.
  const { docs, stats } = readDocuments(c, { filter: { marks: { $gt: 5, $lt: 3 } } });
  expect(docs.map((d) => d._id)).toEqual(['spread']);
  expect(stats.plan.index?.name).toBe('marks_1');
});

test('an $in of more than 256 values still uses the index, and a compound index for as many fields as fit', () => {
  const c = new Collection('db', 'enrolments');
  c.createIndex({ key: { learner: 1, course: 1 }, name: 'learner_1_course_1', unique: true });
  c.createIndex({ key: { course: 1 }, name: 'course_1' });
  for (let learner = 0; learner < 400; learner++) for (let course = 0; course < 5; course++) c.insert({ learner, course });
  const learners = Array.from({ length: 300 }, (_, i) => i);
  // A team of 300 people: before, 300 intervals were refused and the whole collection was read.
  const team = readDocuments(c, { filter: { learner: { $in: learners } } });
  expect(team.docs).toHaveLength(1_500);
  expect(team.stats.plan.index?.name).toBe('learner_1_course_1');
  expect(team.stats.docsExamined).toBe(1_500);
  // 300 people x 2 courses is 600 scans: the course is left to the filter, the people still bound the index.
  const both = readDocuments(c, { filter: { learner: { $in: learners }, course: { $in: [1, 3] } } });
  expect(both.docs).toHaveLength(600);
  expect(both.stats.plan.index?.name).toBe('learner_1_course_1');
  expect(both.stats.plan.bounds).toHaveLength(1);
  expect(both.stats.docsExamined).toBe(1_500);
  // Few enough for both fields: each (learner, course) pair is its own scan.
  const pairs = readDocuments(c, { filter: { learner: { $in: [1, 2, 3] }, course: { $in: [1, 3] } } });
  expect(pairs.docs).toHaveLength(6);
  expect(pairs.stats.plan.bounds).toHaveLength(2);
  expect(pairs.stats.docsExamined).toBe(6);
});
