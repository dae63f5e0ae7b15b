/**
 * The query planner: picks one index whose leading fields the filter constrains by equality (then at most one
 * range), or whose order gives the requested sort, and turns the filter into index bounds. The filter is still
 * applied to every fetched document, so bounds only need to be a superset of the matches.
 */
import { Edge, FULL, intersect, isEmptyInterval, point, describeInterval, type Interval } from '../catalog/bounds';
import type { Collection } from '../catalog/collection';
import type { IndexStore } from '../catalog/index-store';
import { EngineError, ErrorCodes } from '../errors';
import { isPlainObject, normaliseNumbers, typeRank, type Doc } from '../bson/values';

export interface Plan {
  index?: IndexStore;
  /** Interval lists per leading field; their cartesian product is scanned. */
  bounds: Interval[][];
  reverse: boolean;
  /** True when walking the index yields documents already in the requested sort order. */
  providesSort: boolean;
}

/**
 * At most this many index scans from the intervals of a compound index's fields multiplied together: a later
 * field whose intervals would pass it is left to the filter (the bounds stay a superset). The first field's
 * intervals are always used, however many (an `$in` of a 5,000-person team is 5,000 short scans, far cheaper
 * than reading the whole collection, which is what refusing the index meant before).
 */
const MAX_SCANS = 256;

function usableForEquality(v: unknown): boolean {
  // Arrays also match as whole values and regexes as patterns: leave those to a scan.
  return !Array.isArray(v) && !(v instanceof RegExp) && !(isPlainObject(v) && Object.keys(v).some((k) => k.startsWith('$')));
}

/** The intervals one field's condition allows, or undefined when it does not constrain the index. */
function intervalsFor(cond: unknown, multikey: boolean): Interval[] | undefined {
  if (!isPlainObject(cond) || !Object.keys(cond).some((k) => k.startsWith('$'))) {
    return usableForEquality(cond) ? [point(cond)] : undefined;
  }
  let range: Interval = FULL;
  let points: Interval[] | undefined;
  let constrained = false;
  for (const [op, v] of Object.entries(cond)) {
    switch (op) {
      case '$eq':
        if (!usableForEquality(v)) break;
        points = [point(v)];
        constrained = true;
        break;
      case '$in':
        if (!Array.isArray(v) || !v.every(usableForEquality)) break;
        points = v.map(point);
        constrained = true;
        break;
      case '$gt':
      case '$gte':
        if (v === null || v instanceof RegExp || Array.isArray(v)) break;
        range = intersect(range, { low: v, lowInclusive: op === '$gte', high: new Edge(typeRank(v), 'max'), highInclusive: true });
        constrained = true;
        break;
      case '$lt':
      case '$lte':
        if (v === null || v instanceof RegExp || Array.isArray(v)) break;
        range = intersect(range, { low: new Edge(typeRank(v), 'min'), lowInclusive: true, high: v, highInclusive: op === '$lte' });
        constrained = true;
        break;
      default:
        break;
    }
    // On a multikey index two bounds may be met by different elements ({ $gt: 5, $lt: 3 } matches [1, 10]),
    // so only one operator's bounds can be used, as MongoDB does.
    if (multikey && constrained) break;
  }
  if (!constrained) return undefined;
  if (points) {
    const kept = points.map((p) => intersect(p, range)).filter((iv) => !isEmptyInterval(iv));
    return kept;
  }
  return [range];
}

/** Top-level field conditions, merging a top-level $and. */
function fieldConditions(filter: Doc): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  const add = (f: Doc): void => {
    for (const [k, v] of Object.entries(f)) {
      if (k === '$and' && Array.isArray(v)) {
        for (const sub of v) if (isPlainObject(sub)) add(sub);
      } else if (!k.startsWith('$')) {
        const list = out.get(k) ?? [];
        list.push(v);
        out.set(k, list);
      }
    }
  };
  add(filter);
  return out;
}

function boundsForField(conds: unknown[] | undefined, multikey: boolean): Interval[] | undefined {
  if (!conds) return undefined;
  let result: Interval[] | undefined;
  for (const c of conds) {
    const ivs = intervalsFor(c, multikey);
    if (!ivs) continue;
    if (!result) result = ivs;
    else if (multikey) continue;
    else {
      const next: Interval[] = [];
      for (const a of result) for (const b of ivs) {
        const iv = intersect(a, b);
        if (!isEmptyInterval(iv)) next.push(iv);
      }
      result = next;
    }
  }
  return result;
}

function isPoint(iv: Interval): boolean {
  return iv.lowInclusive && iv.highInclusive && !(iv.low instanceof Edge) && iv.low === iv.high;
}

interface Candidate {
  index: IndexStore;
  bounds: Interval[][];
  equalityFields: number;
  score: number;
}

function candidateFor(index: IndexStore, conds: Map<string, unknown[]>): Candidate {
  const bounds: Interval[][] = [];
  let equalityFields = 0;
  let score = 0;
  for (const field of index.fields) {
    const fieldConds = conds.get(field);
    // multikey read only when the field is queried: reading it builds an index whose build was put off.
    if (!fieldConds) break;
    const ivs = boundsForField(fieldConds, index.multikey);
    if (!ivs) break;
    if (bounds.length > 0 && combinations(bounds) * Math.max(ivs.length, 1) > MAX_SCANS) break;
    bounds.push(ivs);
    if (ivs.every(isPoint)) {
      equalityFields++;
      score += 2;
    } else {
      score += 1;
      break;
    }
  }
  return { index, bounds, equalityFields, score };
}

function sortMatches(index: IndexStore, from: number, sort: Array<[string, number]>): 'forward' | 'reverse' | undefined {
  if (index.multikey || sort.length === 0 || from + sort.length > index.fields.length) return undefined;
  let forward = true;
  let backward = true;
  sort.forEach(([field, dir], i) => {
    if (index.fields[from + i] !== field) {
      forward = false;
      backward = false;
      return;
    }
    const d = index.directions[from + i];
    if (d !== dir) forward = false;
    if (d !== -dir) backward = false;
  });
  return forward ? 'forward' : backward ? 'reverse' : undefined;
}

function combinations(bounds: Interval[][]): number {
  return bounds.reduce((n, ivs) => n * Math.max(ivs.length, 1), 1);
}

export function sortPairs(sort: unknown): Array<[string, number]> {
  if (!isPlainObject(sort)) return [];
  return Object.entries(sort).map(([k, v]) => [k, v === -1 || v === '-1' ? -1 : 1] as [string, number]);
}

export function planQuery(collection: Collection, rawFilter: Doc, sortSpec: unknown, hint?: unknown): Plan {
  const filter = normaliseNumbers(rawFilter);
  const conds = fieldConditions(filter);
  const sort = sortPairs(sortSpec);
  if (hint !== undefined && hint !== null) {
    const index =
      typeof hint === 'string'
        ? collection.findIndex(hint)
        : collection.indexes.find((ix) => JSON.stringify(ix.spec.key) === JSON.stringify(hint));
    if (!index) throw new EngineError(ErrorCodes.BadValue, 'error processing query: planner returned error :: caused by :: hint provided does not correspond to an existing index');
    const c = candidateFor(index, conds);
    return finish(c.index, c.bounds, c.equalityFields, sort);
  }
  let best: Candidate | undefined;
  for (const index of collection.indexes) {
    if (!index.complete || index.spec.hidden) continue;
    const c = candidateFor(index, conds);
    if (c.score === 0) continue;
    if (
      !best ||
      c.score > best.score ||
      (c.score === best.score && (index.spec.unique || index.isId) && !(best.index.spec.unique || best.index.isId))
    ) {
      best = c;
    }
  }
  if (best) return finish(best.index, best.bounds, best.equalityFields, sort);
  if (sort.length > 0) {
    for (const index of collection.indexes) {
      if (index.complete && sortMatches(index, 0, sort)) return finish(index, [], 0, sort);
    }
  }
  return { bounds: [], reverse: false, providesSort: false };
}

function finish(index: IndexStore, bounds: Interval[][], equalityFields: number, sort: Array<[string, number]>): Plan {
  if (sort.length === 0) return { index, bounds, reverse: false, providesSort: false };
  const singleScan = combinations(bounds) === 1;
  const direction = singleScan && bounds.length <= equalityFields + 1 ? sortMatches(index, equalityFields, sort) : undefined;
  // A range on the field right after the equalities still walks in that field's order.
  return { index, bounds, reverse: direction === 'reverse', providesSort: direction !== undefined };
}

export function describeBounds(plan: Plan): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (!plan.index) return out;
  plan.index.fields.forEach((f, i) => {
    const ivs = plan.bounds[i];
    out[f] = ivs ? ivs.map(describeInterval) : ['[MinKey, MaxKey]'];
  });
  return out;
}
