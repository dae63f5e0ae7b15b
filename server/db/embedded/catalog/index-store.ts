/**
 * One index: its MongoDB spec and a sorted array of entries (key tuple + document key) kept in index order by
 * binary search. Multikey documents contribute one entry per distinct key tuple.
 */
import { Query } from '../query/mingo-context';
import { EngineError, ErrorCodes } from '../errors';
import { comparisonView, valueKey, valuesAtPath, type Doc } from '../query/values';
import { compareBounded, contains, HIGHEST, LOWEST, type Interval } from './bounds';

export interface IndexSpec {
  v?: number;
  key: Record<string, number | string>;
  name: string;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Doc;
  expireAfterSeconds?: number;
  [option: string]: unknown;
}

interface Entry {
  key: unknown[];
  id: string;
}

export class IndexStore {
  readonly spec: IndexSpec;
  readonly fields: string[];
  readonly directions: number[];
  multikey = false;
  private entries: Entry[] = [];
  private readonly partial: Query | undefined;

  constructor(spec: IndexSpec) {
    this.spec = spec;
    this.fields = Object.keys(spec.key);
    this.directions = this.fields.map((f) => (spec.key[f] === -1 ? -1 : 1));
    this.partial = spec.partialFilterExpression ? new Query(spec.partialFilterExpression) : undefined;
  }

  get name(): string {
    return this.spec.name;
  }

  get isId(): boolean {
    return this.spec.name === '_id_';
  }

  get size(): number {
    return this.entries.length;
  }

  /** True when the index can answer for every document (not sparse, not partial). */
  get complete(): boolean {
    return !this.spec.sparse && !this.partial;
  }

  private compareKeys(a: unknown[], b: unknown[]): number {
    for (let i = 0; i < this.directions.length; i++) {
      const d = compareBounded(a[i], b[i]);
      if (d !== 0) return d * (this.directions[i] as number);
    }
    return 0;
  }

  private compareEntries(a: Entry, b: Entry): number {
    const d = this.compareKeys(a.key, b.key);
    if (d !== 0) return d;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  }

  /** The key tuples a document contributes (empty when sparse/partial leave it out). */
  keysFor(doc: Doc): unknown[][] {
    if (this.partial && !this.partial.test(comparisonView(doc))) return [];
    const perField: unknown[][] = [];
    let allMissing = true;
    for (const field of this.fields) {
      const raw = valuesAtPath(doc, field);
      const values: unknown[] = [];
      for (const v of raw) {
        if (Array.isArray(v)) {
          if (v.length === 0) values.push(undefined);
          else values.push(...v);
        } else values.push(v);
      }
      if (values.some((v) => v !== undefined)) allMissing = false;
      const seen = new Set<string>();
      const distinct: unknown[] = [];
      for (const v of values) {
        const norm = v === undefined ? null : v;
        const k = valueKey(norm);
        if (!seen.has(k)) {
          seen.add(k);
          distinct.push(norm);
        }
      }
      perField.push(distinct);
    }
    if (this.spec.sparse && allMissing) return [];
    let tuples: unknown[][] = [[]];
    for (const values of perField) {
      const next: unknown[][] = [];
      for (const t of tuples) for (const v of values) next.push([...t, v]);
      tuples = next;
    }
    return tuples;
  }

  private lowerBound(key: unknown[], id: string | null): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = this.entries[mid] as Entry;
      let c = this.compareKeys(e.key, key);
      if (c === 0 && id !== null) c = e.id < id ? -1 : e.id > id ? 1 : 0;
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Throws 11000 when a unique index already holds one of these keys for another document. */
  checkUnique(keys: unknown[][], id: string, namespace: string): void {
    if (!this.spec.unique) return;
    for (const key of keys) {
      const at = this.lowerBound(key, null);
      for (let i = at; i < this.entries.length; i++) {
        const e = this.entries[i] as Entry;
        if (this.compareKeys(e.key, key) !== 0) break;
        if (e.id !== id) throw duplicateKeyError(namespace, this, key);
      }
    }
  }

  add(keys: unknown[][], id: string): void {
    if (keys.length > 1) this.multikey = true;
    for (const key of keys) {
      const entry = { key, id };
      const at = this.lowerBound(key, id);
      this.entries.splice(at, 0, entry);
    }
  }

  remove(keys: unknown[][], id: string): void {
    for (const key of keys) {
      const at = this.lowerBound(key, id);
      const e = this.entries[at];
      if (e && e.id === id && this.compareKeys(e.key, key) === 0) this.entries.splice(at, 1);
    }
  }

  clear(): void {
    this.entries = [];
    this.multikey = false;
  }

  /**
   * Walk the entries whose key lies in the given intervals (one per leading field; the rest are unbounded),
   * in index order (or reversed). Calls visit(id) per entry; visit returns false to stop. Returns keys examined.
   */
  scan(intervals: Interval[], reverse: boolean, visit: (id: string) => boolean): number {
    const n = intervals.length;
    const start: unknown[] = [];
    const end: unknown[] = [];
    for (let i = 0; i < this.fields.length; i++) {
      const iv = intervals[i];
      const dir = this.directions[i] as number;
      if (iv && i < n) {
        start.push(dir === 1 ? iv.low : iv.high);
        end.push(dir === 1 ? iv.high : iv.low);
      } else {
        start.push(LOWEST);
        end.push(HIGHEST);
      }
    }
    // Fields after the bounded ones are unbounded: compare only the bounded prefix for start and end.
    const cmpPrefix = (key: unknown[], bound: unknown[]): number => {
      for (let i = 0; i < n; i++) {
        const d = compareBounded(key[i], bound[i]);
        if (d !== 0) return d * (this.directions[i] as number);
      }
      return 0;
    };
    let first = 0;
    {
      let lo = 0;
      let hi = this.entries.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cmpPrefix((this.entries[mid] as Entry).key, start) < 0) lo = mid + 1;
        else hi = mid;
      }
      first = lo;
    }
    let last = first;
    {
      let lo = first;
      let hi = this.entries.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cmpPrefix((this.entries[mid] as Entry).key, end) <= 0) lo = mid + 1;
        else hi = mid;
      }
      last = lo;
    }
    let examined = 0;
    const check = (e: Entry): boolean => {
      for (let i = 0; i < n; i++) if (!contains(intervals[i] as Interval, e.key[i])) return false;
      return true;
    };
    if (!reverse) {
      for (let i = first; i < last; i++) {
        const e = this.entries[i] as Entry;
        examined++;
        if (check(e) && !visit(e.id)) break;
      }
    } else {
      for (let i = last - 1; i >= first; i--) {
        const e = this.entries[i] as Entry;
        examined++;
        if (check(e) && !visit(e.id)) break;
      }
    }
    return examined;
  }

  /** Approximate memory held by the index, for collStats. */
  get approximateBytes(): number {
    return this.entries.length * (48 + this.fields.length * 16);
  }
}

export function duplicateKeyError(namespace: string, index: IndexStore, key: unknown[]): EngineError {
  const keyPattern: Doc = {};
  const keyValue: Doc = {};
  index.fields.forEach((f, i) => {
    keyPattern[f] = index.spec.key[f];
    keyValue[f] = key[i];
  });
  const shown = index.fields.map((f, i) => `${f}: ${showValue(key[i])}`).join(', ');
  return new EngineError(
    ErrorCodes.DuplicateKey,
    `E11000 duplicate key error collection: ${namespace} index: ${index.name} dup key: { ${shown} }`,
    { keyPattern, keyValue },
  );
}

function showValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return 'null';
  if (v instanceof Date) return `new Date(${v.getTime()})`;
  if (typeof v === 'object' && v.constructor?.name === 'ObjectId') return `ObjectId('${String(v)}')`;
  return String(v);
}

