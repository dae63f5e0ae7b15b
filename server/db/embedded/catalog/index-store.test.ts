import { Edge, point } from './bounds';
import { IndexStore } from './index-store';

function idsIn(index: IndexStore, intervals: Parameters<IndexStore['scan']>[0], reverse = false): string[] {
  const out: string[] = [];
  index.scan(intervals, reverse, (id) => {
    out.push(id);
    return true;
  });
  return out;
}

test('keeps entries in key order, honouring a descending field', () => {
  const index = new IndexStore({ key: { team: 1, joined: -1 }, name: 'team_1_joined_-1' });
  const docs = [
    { _id: 'a', team: 'x', joined: 2019 },
    { _id: 'b', team: 'x', joined: 2023 },
    { _id: 'c', team: 'w', joined: 2020 },
    { _id: 'd', joined: 2021 },
  ];
  for (const d of docs) index.add(index.keysFor(d), d._id);
  expect(idsIn(index, [])).toEqual(['d', 'c', 'b', 'a']); // missing team sorts as null, first
  expect(idsIn(index, [[point('x')][0]!])).toEqual(['b', 'a']);
  expect(idsIn(index, [point('x')], true)).toEqual(['a', 'b']);
});

test('a range stays inside its type bracket', () => {
  const index = new IndexStore({ key: { v: 1 }, name: 'v_1' });
  const values: Array<[string, unknown]> = [['n1', 1], ['n5', 5], ['s', '9'], ['n9', 9], ['nul', null]];
  for (const [id, v] of values) index.add(index.keysFor({ v }), id);
  const gt = { low: 4, lowInclusive: false, high: new Edge(3, 'max'), highInclusive: true };
  expect(idsIn(index, [gt])).toEqual(['n5', 'n9']);
});

test('a multikey document has one entry per distinct element', () => {
  const index = new IndexStore({ key: { tags: 1 }, name: 'tags_1' });
  const keys = index.keysFor({ tags: ['a', 'b', 'a'] });
  expect(keys).toEqual([['a'], ['b']]);
  index.add(keys, 'doc');
  expect(index.multikey).toBe(true);
  expect(index.size).toBe(2);
  index.remove(keys, 'doc');
  expect(index.size).toBe(0);
});

test('sparse and partial indexes leave documents out', () => {
  const sparse = new IndexStore({ key: { nick: 1 }, name: 'nick_1', sparse: true });
  expect(sparse.keysFor({ other: 1 })).toEqual([]);
  expect(sparse.keysFor({ nick: null })).toEqual([[null]]);
  const partial = new IndexStore({ key: { ref: 1 }, name: 'ref_1', partialFilterExpression: { ref: { $type: 'string' } } });
  expect(partial.keysFor({ ref: 5 })).toEqual([]);
  expect(partial.keysFor({ ref: 'r' })).toEqual([['r']]);
});

test('a unique index refuses a second document with the same key', () => {
  const index = new IndexStore({ key: { email: 1 }, name: 'email_1', unique: true });
  index.add(index.keysFor({ email: 'a' }), 'one');
  expect(() => index.checkUnique(index.keysFor({ email: 'a' }), 'two', 'db.people')).toThrow(/E11000 duplicate key error collection: db.people index: email_1 dup key: \{ email: "a" \}/);
  expect(() => index.checkUnique(index.keysFor({ email: 'a' }), 'one', 'db.people')).not.toThrow();
});
