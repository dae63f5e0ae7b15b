/** After a load, indexes are built when first used; nobody sees one incomplete, and unique ones hold before a write. */
import { BSON } from 'bson';
import { EngineError } from '../errors';
import { point } from './bounds';
import { Collection } from './collection';
import type { IndexStore } from './index-store';

function loaded(count: number): Collection {
  const c = new Collection('db', 'people');
  c.createIndex({ key: { email: 1 }, name: 'email_1', unique: true });
  c.createIndex({ key: { team: 1 }, name: 'team_1' });
  c.beginLoad();
  for (let n = 0; n < count; n += 1) c.loadBytes(Buffer.from(BSON.serialize({ _id: `p${n}`, email: `p${n}@example.org`, team: n % 3 })));
  c.endLoad();
  return c;
}

function idsOf(index: IndexStore, intervals: Parameters<IndexStore['scan']>[0] = []): string[] {
  const ids: string[] = [];
  index.scan(intervals, false, (id) => {
    ids.push(id);
    return true;
  });
  return ids;
}

test('a loaded collection builds each index at its first use, not before', () => {
  const c = loaded(30);
  expect(c.indexes.map((ix) => ix.deferred)).toEqual([true, true, true]);
  expect(idsOf(c.findIndex('team_1') as IndexStore, [point(1)])).toHaveLength(10);
  expect(c.indexes.map((ix) => ix.deferred)).toEqual([true, true, false]);
  expect(c.idIndex.size).toBe(30);
  expect(c.idIndex.deferred).toBe(false);
});

test('the first write builds the indexes first: a duplicate of a loaded key is refused, and every change lands', () => {
  const c = loaded(30);
  let caught: unknown;
  try {
    c.insert({ _id: 'new', email: 'p7@example.org', team: 1 });
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(EngineError);
  expect((caught as EngineError).code).toBe(11000);
  expect(c.docs.has('snew')).toBe(false);

  const fresh = loaded(30);
  fresh.insert({ _id: 'new', email: 'new@example.org', team: 1 });
  fresh.remove(fresh.getById('p4') as Record<string, unknown>);
  fresh.replace(fresh.getById('p1') as Record<string, unknown>, { _id: 'p1', email: 'p1@example.org', team: 2 });
  const team = fresh.findIndex('team_1') as IndexStore;
  expect(idsOf(team, [point(1)]).sort()).toEqual(['snew', 'sp10', 'sp13', 'sp16', 'sp19', 'sp22', 'sp25', 'sp28', 'sp7']);
  expect(idsOf(team, [point(2)])).toContain('sp1');
  expect(fresh.idIndex.size).toBe(30);
  expect((fresh.findIndex('email_1') as IndexStore).size).toBe(30);
});
