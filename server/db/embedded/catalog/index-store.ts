/**
 * One index: its MongoDB spec and a sorted array of entries (key tuple + document key) kept in index order by
 * binary search. Multikey documents contribute one entry per distinct key tuple.
 */
import { Query } from '../bson/mingo-context';
import { EngineError, ErrorCodes } from '../errors';
import { comparisonView, valueKey, valuesAtPath, type Doc } from '../bson/values';
import { compareBounded, contains, HIGHEST, LOWEST, type Interval } from './bounds';
import { SortedChunks, type Position } from './sorted-chunks';

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
  private isMultikey = false;
  private readonly entries = new SortedChunks<Entry>();
  /**
   * A build put off until the index is first used (see defer): a restart answers its first query without
   * building the indexes that query does not need. Every read and write of the entries runs it first, so no
   * one ever sees the index incomplete (a unique index is whole before any write is checked against it).
   */
  private pendingBuild: (() => void) | null = null;
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

  /** True once a document gave this index more than one key (the planner must then dedupe and bound loosely). */
  get multikey(): boolean {
    this.ready();
    return this.isMultikey;
  }

  /** Builds the index with `build` (which calls rebuild) when it is first used rather than now. */
  defer(build: () => void): void {
    this.entries.clear();
    this.pendingBuild = build;
  }

  /** True while a deferred build has not run. */
  get deferred(): boolean {
    return this.pendingBuild !== null;
  }

  /** Runs a deferred build, if any. */
  ready(): void {
    const build = this.pendingBuild;
    if (!build) return;
    this.pendingBuild = null;
    build();
  }

  get size(): number {
    this.ready();
    return this.entries.size;
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
    // Nearly every document has one value per field and no array there: one key, built directly.
    const single: unknown[] = [];
    let missing = 0;
    for (const field of this.fields) {
      const raw = valuesAtPath(doc, field);
      const value = raw[0];
      if (raw.length !== 1 || Array.isArray(value)) break;
      if (value === undefined) missing++;
      single.push(value === undefined ? null : value);
    }
    if (single.length === this.fields.length) return this.spec.sparse && missing === single.length ? [] : [single];
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

  /** Where an entry with this key (and id, when given) is or would go. */
  private lowerBound(key: unknown[], id: string | null): Position {
    return this.entries.lowerBound((e) => {
      const c = this.compareKeys(e.key, key);
      if (c !== 0 || id === null) return c < 0;
      return e.id < id;
    });
  }

  /** Throws 11000 when a unique index already holds one of these keys for another document. */
  checkUnique(keys: unknown[][], id: string, namespace: string): void {
    if (!this.spec.unique) return;
    this.ready();
    for (const key of keys) {
      const at = this.lowerBound(key, null);
      this.entries.range(at, this.entries.end, false, (e) => {
        if (this.compareKeys(e.key, key) !== 0) return false;
        if (e.id !== id) throw duplicateKeyError(namespace, this, key);
        return true;
      });
    }
  }

  add(keys: unknown[][], id: string): void {
    this.ready();
    if (keys.length > 1) this.isMultikey = true;
    for (const key of keys) {
      this.entries.insertAt(this.lowerBound(key, id), { key, id });
    }
  }

  /** Build from scratch with one sort (faster than one insertion per entry for a whole collection). */
  rebuild(docs: Iterable<[string, Doc]>, namespace: string): void {
    this.pendingBuild = null;
    const entries: Entry[] = [];
    let multikey = false;
    for (const [id, doc] of docs) {
      const keys = this.keysFor(doc);
      if (keys.length > 1) multikey = true;
      for (const key of keys) entries.push({ key, id });
    }
    entries.sort((a, b) => this.compareEntries(a, b));
    if (this.spec.unique) {
      for (let i = 1; i < entries.length; i++) {
        const prev = entries[i - 1] as Entry;
        const e = entries[i] as Entry;
        if (e.id !== prev.id && this.compareKeys(prev.key, e.key) === 0) throw duplicateKeyError(namespace, this, e.key);
      }
    }
    this.entries.load(entries);
    this.isMultikey = multikey;
  }

  remove(keys: unknown[][], id: string): void {
    this.ready();
    for (const key of keys) {
      const at = this.lowerBound(key, id);
      const e = this.entries.at(at);
      if (e && e.id === id && this.compareKeys(e.key, key) === 0) this.entries.removeAt(at);
    }
  }

  clear(): void {
    this.pendingBuild = null;
    this.entries.clear();
    this.isMultikey = false;
  }

  /**
   * Walk the entries whose key lies in the given intervals (one per leading field; the rest are unbounded),
   * in index order (or reversed). Calls visit(id) per entry; visit returns false to stop. Returns keys examined.
   */
  scan(intervals: Interval[], reverse: boolean, visit: (id: string) => boolean): number {
    this.ready();
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
    const first = this.entries.lowerBound((e) => cmpPrefix(e.key, start) < 0);
    const last = this.entries.lowerBound((e) => cmpPrefix(e.key, end) <= 0);
    let examined = 0;
    this.entries.range(first, last, reverse, (e) => {
      examined++;
      for (let i = 0; i < n; i++) if (!contains(intervals[i] as Interval, e.key[i])) return true;
      return visit(e.id);
    });
    return examined;
  }

  /** Approximate memory held by the index, for collStats. */
  get approximateBytes(): number {
    this.ready();
    return this.entries.size * (48 + this.fields.length * 16);
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

