/**
 * Index bounds: an interval of values per indexed field, with sentinels at the edges of a BSON type's bracket
 * (MongoDB's `$gt: 5` only ever matches numbers, so its interval runs from 5 to "the largest number").
 */
import { compareValues, typeRank } from '../bson/values';

/** A sentinel below (edge 'min') or above (edge 'max') every value of a type rank. */
export class Edge {
  constructor(
    readonly rank: number,
    readonly edge: 'min' | 'max',
  ) {}
}

export const LOWEST = new Edge(-1, 'min');
export const HIGHEST = new Edge(1000, 'max');

/** compareValues, extended with Edge sentinels. */
export function compareBounded(a: unknown, b: unknown): number {
  if (a instanceof Edge || b instanceof Edge) {
    if (a instanceof Edge && b instanceof Edge) {
      if (a.rank !== b.rank) return a.rank < b.rank ? -1 : 1;
      return a.edge === b.edge ? 0 : a.edge === 'min' ? -1 : 1;
    }
    if (a instanceof Edge) {
      const r = typeRank(b);
      if (a.rank !== r) return a.rank < r ? -1 : 1;
      return a.edge === 'min' ? -1 : 1;
    }
    return -compareBounded(b, a);
  }
  return compareValues(a, b);
}

export interface Interval {
  low: unknown;
  lowInclusive: boolean;
  high: unknown;
  highInclusive: boolean;
}

export const FULL: Interval = { low: LOWEST, lowInclusive: true, high: HIGHEST, highInclusive: true };

export function point(v: unknown): Interval {
  return { low: v, lowInclusive: true, high: v, highInclusive: true };
}

export function contains(iv: Interval, v: unknown): boolean {
  const lo = compareBounded(v, iv.low);
  if (lo < 0 || (lo === 0 && !iv.lowInclusive)) return false;
  const hi = compareBounded(v, iv.high);
  return hi < 0 || (hi === 0 && iv.highInclusive);
}

export function intersect(a: Interval, b: Interval): Interval {
  const lowCmp = compareBounded(a.low, b.low);
  const highCmp = compareBounded(a.high, b.high);
  return {
    low: lowCmp >= 0 ? a.low : b.low,
    lowInclusive: lowCmp > 0 ? a.lowInclusive : lowCmp < 0 ? b.lowInclusive : a.lowInclusive && b.lowInclusive,
    high: highCmp <= 0 ? a.high : b.high,
    highInclusive: highCmp < 0 ? a.highInclusive : highCmp > 0 ? b.highInclusive : a.highInclusive && b.highInclusive,
  };
}

export function isEmptyInterval(iv: Interval): boolean {
  const c = compareBounded(iv.low, iv.high);
  return c > 0 || (c === 0 && !(iv.lowInclusive && iv.highInclusive));
}

export function describeInterval(iv: Interval): string {
  const show = (v: unknown): string =>
    v instanceof Edge ? (v.edge === 'min' ? (v.rank < 0 ? 'MinKey' : '-inf') : v.rank > 999 ? 'MaxKey' : 'inf') : JSON.stringify(v);
  return `${iv.lowInclusive ? '[' : '('}${show(iv.low)}, ${show(iv.high)}${iv.highInclusive ? ']' : ')'}`;
}
