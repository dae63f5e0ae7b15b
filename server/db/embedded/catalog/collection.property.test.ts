/** Index upkeep through many random writes matches an index built from scratch over the final documents. */
import { EngineError } from '../errors';
import { Collection } from './collection';
import { IndexStore } from './index-store';

// mulberry32: a small seeded generator, so a failure can be replayed.
let seed = 3;
function random(n: number): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
}

function walk(index: IndexStore): string[] {
  const ids: string[] = [];
  index.scan([], false, (id) => {
    ids.push(id);
    return true;
  });
  return ids;
}

test('indexes stay exact through random inserts, replacements and deletes', () => {
  const c = new Collection('db', 'random');
  c.createIndex({ key: { code: 1 }, name: 'code_1', unique: true, sparse: true });
  c.createIndex({ key: { tags: 1, n: -1 }, name: 'tags_1_n_-1' });
  c.createIndex({ key: { n: 1 }, name: 'n_1', partialFilterExpression: { n: { $gt: 10 } } });
  let duplicates = 0;
  for (let step = 0; step < 3000; step++) {
    const doc = {
      _id: random(200),
      n: random(30),
      tags: Array.from({ length: random(3) }, () => `t${random(4)}`),
      ...(random(3) ? { code: `c${random(300)}` } : {}),
    };
    const existing = c.getById(doc._id);
    try {
      if (random(5) === 0 && existing) c.remove(existing);
      else if (existing) c.replace(existing, doc);
      else c.insert(doc);
    } catch (err) {
      if (!(err instanceof EngineError) || err.code !== 11000) throw err;
      duplicates++;
    }
  }
  expect(duplicates).toBeGreaterThan(0);
  for (const index of c.indexes) {
    const fresh = new IndexStore(index.spec);
    fresh.rebuild(c.docs, c.namespace);
    expect({ index: index.name, ids: walk(index) }).toEqual({ index: index.name, ids: walk(fresh) });
  }
});
