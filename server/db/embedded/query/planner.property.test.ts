/**
 * The planner against a plain scan: for many random documents and queries, what the index plan returns must be
 * exactly what filtering every document returns (and in the same order of sort keys).
 */
import { Long } from 'bson';
import { Collection } from '../catalog/collection';
import { readDocuments, sortDocuments, sortValue } from './execute';
import { compileFilter } from './filter';
import { valueKey, type Doc } from '../bson/values';

// mulberry32: a small seeded generator, so a failure can be replayed.
let seed = 7;
function random(n: number): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * n | 0;
}

function randomValue(): unknown {
  switch (random(8)) {
    case 0:
      return null;
    case 1:
      return undefined;
    case 2:
      return `s${random(5)}`;
    case 3:
      return [random(6), random(6)];
    case 4:
      return Long.fromNumber(random(6));
    case 5:
      return random(6) + 0.5;
    default:
      return random(6);
  }
}

function randomCondition(): unknown {
  const v = random(6);
  switch (random(7)) {
    case 0:
      return v;
    case 1:
      return { $in: [v, random(6), 's1'] };
    case 2:
      return { $gt: v };
    case 3:
      return { $gte: v, $lt: v + random(4) };
    case 4:
      return { $lte: v };
    case 5:
      return { $ne: v };
    default:
      return { $gt: 's0' };
  }
}

function makeCollection(): Collection {
  const c = new Collection('db', 'random');
  c.createIndex({ key: { a: 1 }, name: 'a_1' });
  c.createIndex({ key: { a: 1, b: -1 }, name: 'a_1_b_-1' });
  c.createIndex({ key: { b: 1 }, name: 'b_1' });
  c.createIndex({ key: { c: 1, a: 1 }, name: 'c_1_a_1' });
  for (let i = 0; i < 300; i++) {
    const doc: Doc = { _id: i };
    for (const field of ['a', 'b', 'c']) {
      const v = randomValue();
      if (v !== undefined) doc[field] = v;
    }
    c.insert(doc);
  }
  return c;
}

test('index plans return exactly what a full scan returns', () => {
  const collection = makeCollection();
  const all = [...collection.docs.values()];
  let indexed = 0;
  for (let q = 0; q < 400; q++) {
    const filter: Doc = {};
    for (const field of ['a', 'b', 'c']) if (random(2)) filter[field] = randomCondition();
    const sort = random(2) ? { [['a', 'b', 'c'][random(3)] as string]: random(2) ? 1 : -1 } : undefined;
    const limit = random(3) === 0 ? 1 + random(10) : 0;
    const { docs, stats } = readDocuments(collection, { filter, sort, limit });
    if (stats.plan.index) indexed++;
    const matcher = compileFilter(filter);
    let expected = all.filter((d) => matcher.test(d));
    const context = JSON.stringify({ filter, sort, limit, index: stats.plan.index?.name });
    if (!sort && limit) {
      // Without a sort any `limit` matching documents will do, as in MongoDB.
      const allowed = new Set(expected.map((d) => d._id));
      expect({ context, n: docs.length, foreign: docs.filter((d) => !allowed.has(d._id)) }).toEqual({ context, n: Math.min(limit, expected.length), foreign: [] });
      continue;
    }
    if (sort) expected = sortDocuments(expected, sort);
    if (limit) expected = expected.slice(0, limit);
    if (!sort) {
      expect({ context, ids: docs.map((d) => d._id).sort() }).toEqual({ context, ids: expected.map((d) => d._id).sort() });
    } else {
      const [[field, dir]] = Object.entries(sort) as [[string, number]];
      // Ties may come in any order, so compare the sequence of sort keys (and the set when there is no limit).
      const keys = (list: Doc[]): string[] => list.map((d) => valueKey(sortValue(d, field, dir)));
      expect({ context, keys: keys(docs) }).toEqual({ context, keys: keys(expected) });
      if (!limit) expect({ context, ids: docs.map((d) => d._id).sort() }).toEqual({ context, ids: expected.map((d) => d._id).sort() });
    }
  }
  expect(indexed).toBeGreaterThan(100);
});
