/**
 * Running a read: plan, walk the chosen index (or the collection in insertion order), apply the filter, sort
 * what the index did not order, then skip and limit. Counts keys and documents examined for explain.
 */
import type { Interval } from '../catalog/bounds';
import type { Collection } from '../catalog/collection';
import { compileFilter } from './filter';
import { planQuery, sortPairs, type Plan } from './planner';
import type { Variables } from './variables';
import { compareValues, valuesAtPath, type Doc } from '../bson/values';

export interface ReadOptions {
  filter?: Doc;
  sort?: unknown;
  skip?: number;
  limit?: number;
  hint?: unknown;
  /** The command's `let` variables. */
  variables?: Variables;
}

export interface ReadStats {
  plan: Plan;
  keysExamined: number;
  docsExamined: number;
  nReturned: number;
}

export interface ReadResult {
  docs: Doc[];
  stats: ReadStats;
}

function product(bounds: Interval[][]): Interval[][] {
  let out: Interval[][] = [[]];
  for (const ivs of bounds) {
    const next: Interval[][] = [];
    for (const prefix of out) for (const iv of ivs) next.push([...prefix, iv]);
    out = next;
  }
  return out;
}

/** MongoDB's sort key for a field: ascending uses the smallest array element, descending the largest. */
export function sortValue(doc: Doc, path: string, dir: number): unknown {
  const raw = valuesAtPath(doc, path);
  const values: unknown[] = [];
  for (const v of raw) {
    if (Array.isArray(v)) values.push(...(v.length ? v : [undefined]));
    else values.push(v);
  }
  let best: unknown = values[0];
  for (let i = 1; i < values.length; i++) {
    const c = compareValues(values[i], best);
    if ((dir > 0 && c < 0) || (dir < 0 && c > 0)) best = values[i];
  }
  return best === undefined ? null : best;
}

export function sortDocuments(docs: Doc[], sortSpec: unknown): Doc[] {
  const pairs = sortPairs(sortSpec).filter(([, d]) => typeof d === 'number');
  if (pairs.length === 0) return docs;
  const keyed = docs.map((doc) => ({ doc, keys: pairs.map(([p, d]) => sortValue(doc, p, d)) }));
  keyed.sort((a, b) => {
    for (let i = 0; i < pairs.length; i++) {
      const c = compareValues(a.keys[i], b.keys[i]);
      if (c !== 0) return c * (pairs[i] as [string, number])[1];
    }
    return 0;
  });
  return keyed.map((k) => k.doc);
}

/** Visit candidate documents for a plan, in index order when it has an index. */
export function visitCandidates(
  collection: Collection,
  plan: Plan,
  visit: (doc: Doc) => boolean,
): { keysExamined: number; docsExamined: number } {
  let keysExamined = 0;
  let docsExamined = 0;
  if (!plan.index) {
    for (const doc of collection.docs.values()) {
      docsExamined++;
      if (!visit(doc)) break;
    }
    return { keysExamined, docsExamined };
  }
  const combos = plan.bounds.length ? product(plan.bounds) : [[]];
  const dedupe = combos.length > 1 || plan.index.multikey;
  const seen = new Set<string>();
  let stopped = false;
  for (const combo of combos) {
    keysExamined += plan.index.scan(combo, plan.reverse, (id) => {
      if (dedupe) {
        if (seen.has(id)) return true;
        seen.add(id);
      }
      const doc = collection.docs.get(id);
      if (!doc) return true;
      docsExamined++;
      if (!visit(doc)) {
        stopped = true;
        return false;
      }
      return true;
    });
    if (stopped) break;
  }
  return { keysExamined, docsExamined };
}

export function readDocuments(collection: Collection | undefined, options: ReadOptions): ReadResult {
  const filterDoc = options.filter ?? {};
  const emptyPlan: Plan = { bounds: [], reverse: false, providesSort: false };
  if (!collection) {
    return { docs: [], stats: { plan: emptyPlan, keysExamined: 0, docsExamined: 0, nReturned: 0 } };
  }
  const filter = compileFilter(filterDoc, options.variables);
  const plan = planQuery(collection, filterDoc, options.sort, options.hint);
  const skip = Math.max(0, options.skip ?? 0);
  const limit = options.limit && options.limit > 0 ? options.limit : Infinity;
  const needsSort = sortPairs(options.sort).length > 0 && !plan.providesSort;
  const wanted = needsSort ? Infinity : skip + limit;
  let matched: Doc[] = [];
  const counts = visitCandidates(collection, plan, (doc) => {
    if (filter.test(doc)) matched.push(doc);
    return matched.length < wanted;
  });
  if (needsSort) matched = sortDocuments(matched, options.sort);
  const docs = matched.slice(skip, limit === Infinity ? undefined : skip + limit);
  return { docs, stats: { plan, ...counts, nReturned: docs.length } };
}
