/**
 * BSON values as the engine holds them, and MongoDB's ordering over them.
 *
 * In memory a number is a JS number when that loses nothing on the way back out (int32 and non-integral doubles
 * serialise back to the same BSON type). Int64 stays a `Long`, Decimal128 a `Decimal128`, and an integral double
 * a `Double`, so every numeric type survives a round trip. mingo cannot compare those wrappers numerically, so
 * filters run against a "comparison view" where they are plain numbers (see `comparisonView`).
 */
import { Binary, BSONRegExp, Code, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp, BSONSymbol } from 'bson';

export type Doc = Record<string, unknown>;

/** MongoDB's comparison order of BSON types (the rank of the canonical type). */
export function typeRank(v: unknown): number {
  if (v === undefined || v === null) return 2;
  switch (typeof v) {
    case 'number':
    case 'bigint':
      return 3;
    case 'string':
      return 4;
    case 'boolean':
      return 8;
    case 'object':
      break;
    default:
      return 4;
  }
  if (v instanceof MinKey) return 0;
  if (v instanceof MaxKey) return 100;
  if (isNumericWrapper(v)) return 3;
  if (v instanceof BSONSymbol) return 4;
  if (Array.isArray(v)) return 6;
  if (v instanceof Binary || v instanceof Uint8Array) return 7;
  if (v instanceof ObjectId) return 7.5;
  if (v instanceof Date) return 9;
  if (v instanceof Timestamp) return 10;
  if (v instanceof RegExp || v instanceof BSONRegExp) return 11;
  if (v instanceof Code) return 12;
  return 5; // embedded document
}

export function isNumericWrapper(v: unknown): v is Long | Double | Int32 | Decimal128 {
  // bson's Timestamp extends Long, but it is a type of its own.
  return (v instanceof Long && !(v instanceof Timestamp)) || v instanceof Double || v instanceof Int32 || v instanceof Decimal128;
}

/** The numeric value of a number or numeric wrapper, as a JS number (Decimal128 and huge Longs approximated). */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Long) return v.toNumber();
  if (v instanceof Double || v instanceof Int32) return v.valueOf();
  if (v instanceof Decimal128) return Number(v.toString());
  return NaN;
}

function compareNumbers(a: unknown, b: unknown): number {
  // Two Longs compare exactly, beyond 2^53 too.
  if (a instanceof Long && b instanceof Long) return a.compare(b);
  const x = toNumber(a);
  const y = toNumber(b);
  if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : -1; // NaN sorts below every number in MongoDB
  if (Number.isNaN(y)) return 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** Compare two BSON values the way MongoDB sorts them (arrays compared element-wise, as in index keys). */
export function compareValues(a: unknown, b: unknown): number {
  // The commonest index keys first: two ObjectIds, two strings (an index build sorts millions of them, and
  // typeRank's chain of instanceof checks was most of that sort).
  if (a instanceof ObjectId && b instanceof ObjectId) return compareBytes(a.id, b.id);
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0:
    case 2:
    case 100:
      return 0;
    case 3:
      return compareNumbers(a, b);
    case 4: {
      const x = String(a);
      const y = String(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 5:
      return compareDocuments(a as Doc, b as Doc);
    case 6: {
      const x = a as unknown[];
      const y = b as unknown[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const d = compareValues(x[i], y[i]);
        if (d !== 0) return d;
      }
      return Math.sign(x.length - y.length);
    }
    case 7: {
      const x = a instanceof Binary ? a.value() : (a as Uint8Array);
      const y = b instanceof Binary ? b.value() : (b as Uint8Array);
      return compareBytes(x, y);
    }
    case 7.5:
      return compareBytes((a as ObjectId).id, (b as ObjectId).id);
    case 8:
      return a === b ? 0 : a ? 1 : -1;
    case 9:
      return Math.sign((a as Date).getTime() - (b as Date).getTime());
    case 10:
      return (a as Timestamp).compare(b as Timestamp);
    default: {
      const x = String(a);
      const y = String(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
  }
}

function compareDocuments(a: Doc, b: Doc): number {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  const n = Math.min(ka.length, kb.length);
  for (let i = 0; i < n; i++) {
    const x = ka[i] as string;
    const y = kb[i] as string;
    const r = typeRank(a[x]) - typeRank(b[y]);
    if (r !== 0) return r < 0 ? -1 : 1;
    if (x !== y) return x < y ? -1 : 1;
    const d = compareValues(a[x], b[y]);
    if (d !== 0) return d;
  }
  return Math.sign(ka.length - kb.length);
}

/**
 * A string that is equal for two values exactly when MongoDB considers them equal (1, 1.0 and NumberLong(1)
 * are the same key). Used to key documents by _id and unique index entries.
 */
export function valueKey(v: unknown): string {
  const rank = typeRank(v);
  switch (rank) {
    case 2:
      return 'z';
    case 3: {
      if (v instanceof Long) {
        const n = v.toNumber();
        return Number.isSafeInteger(n) ? `n${n}` : `n${v.toString()}`;
      }
      if (v instanceof Decimal128) {
        const n = Number(v.toString());
        return Number.isFinite(n) && String(n) === v.toString() ? `n${n}` : `N${v.toString()}`;
      }
      const n = toNumber(v);
      return Object.is(n, -0) ? 'n0' : `n${n}`;
    }
    case 4:
      return `s${String(v)}`;
    case 5: {
      const d = v as Doc;
      return `{${Object.keys(d)
        .map((k) => `${JSON.stringify(k)}:${valueKey(d[k])}`)
        .join(',')}}`;
    }
    case 6:
      return `[${(v as unknown[]).map(valueKey).join(',')}]`;
    case 7: {
      const bytes = v instanceof Binary ? v.value() : (v as Uint8Array);
      return `b${Buffer.from(bytes).toString('base64')}`;
    }
    case 7.5:
      return `o${(v as ObjectId).toHexString()}`;
    case 8:
      return v ? 't' : 'f';
    case 9:
      return `d${(v as Date).getTime()}`;
    case 0:
      return 'min';
    case 100:
      return 'max';
    default:
      return `x${rank}:${String(v)}`;
  }
}

function isPlainObject(v: unknown): v is Doc {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Bring a decoded document (deserialised with promoteValues: false) into the engine's in-memory form:
 * Int32 and non-integral Double become numbers; an integral Double stays wrapped so it is written back as a double.
 */
export function fromWire(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Int32) return v.value;
  if (v instanceof Double) {
    const n = v.value;
    return Number.isInteger(n) && n >= -2147483648 && n <= 2147483647 ? v : n;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = fromWire(v[i]);
    return v;
  }
  if (isPlainObject(v)) {
    for (const k of Object.keys(v)) v[k] = fromWire(v[k]);
    return v;
  }
  return v;
}

function hasWrappers(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (isNumericWrapper(v)) return true;
  if (Array.isArray(v)) return v.some(hasWrappers);
  if (isPlainObject(v)) {
    for (const k in v) if (hasWrappers(v[k])) return true;
  }
  return false;
}

function unwrapNumbers(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (isNumericWrapper(v)) return toNumber(v);
  if (Array.isArray(v)) return v.map(unwrapNumbers);
  if (isPlainObject(v)) {
    const out: Doc = {};
    for (const k of Object.keys(v)) out[k] = unwrapNumbers(v[k]);
    return out;
  }
  return v;
}

const views = new WeakMap<object, Doc>();
const originals = new WeakMap<object, Doc>();

/** The stored document a comparison view was made from (the object itself when it is no view). */
export function originalOf(view: Doc): Doc {
  return originals.get(view) ?? view;
}

/**
 * The document as mingo should see it: numeric wrappers replaced by numbers so that comparisons are numeric.
 * Stored documents are never mutated (updates build a new object), so the view is cached per document.
 */
export function comparisonView(doc: Doc): Doc {
  const cached = views.get(doc);
  if (cached) return cached;
  const view = hasWrappers(doc) ? (unwrapNumbers(doc) as Doc) : doc;
  views.set(doc, view);
  if (view !== doc) originals.set(view, doc);
  return view;
}

/** Numeric wrappers in a query or expression turned into numbers, so mingo compares them numerically. */
export function normaliseNumbers<T>(v: T): T {
  return hasWrappers(v) ? (unwrapNumbers(v) as T) : v;
}

/** A deep copy of the JSON-like structure; BSON value objects are immutable and shared. */
export function cloneDocument<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(cloneDocument) as T;
  if (v instanceof Date) return new Date(v.getTime()) as T;
  if (isPlainObject(v)) {
    const out: Doc = {};
    for (const k of Object.keys(v)) out[k] = cloneDocument(v[k]);
    return out as T;
  }
  return v;
}

export { isPlainObject };

/** Read a dotted path; arrays along the way fan out (as MongoDB does for index keys and filters). */
export function valuesAtPath(doc: unknown, path: string): unknown[] {
  const parts = path.split('.');
  const out: unknown[] = [];
  const walk = (v: unknown, i: number): void => {
    if (i === parts.length) {
      out.push(v);
      return;
    }
    if (v === null || v === undefined || typeof v !== 'object') {
      out.push(undefined);
      return;
    }
    const part = parts[i] as string;
    if (Array.isArray(v)) {
      if (/^\d+$/.test(part)) {
        walk(v[Number(part)], i + 1);
        return;
      }
      if (v.length === 0) {
        out.push(undefined);
        return;
      }
      for (const el of v) {
        if (el !== null && typeof el === 'object' && !Array.isArray(el)) walk(el, i);
        else out.push(undefined);
      }
      return;
    }
    walk((v as Doc)[part], i + 1);
  };
  walk(doc, 0);
  return out;
}

/** A plain dotted-path read without array fan-out (for sort keys and upsert seeding). */
export function getPath(doc: unknown, path: string): unknown {
  let v: unknown = doc;
  for (const part of path.split('.')) {
    if (v === null || v === undefined || typeof v !== 'object') return undefined;
    v = (v as Doc)[part];
  }
  return v;
}

export function setPath(doc: Doc, path: string, value: unknown): void {
  const parts = path.split('.');
  let target: Doc = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i] as string;
    const next = target[part];
    if (next === null || typeof next !== 'object') {
      const created: Doc = {};
      target[part] = created;
      target = created;
    } else {
      target = next as Doc;
    }
  }
  target[parts[parts.length - 1] as string] = value;
}

/**
 * Give numbers computed on a comparison view their stored BSON type back, by the value at the same path in the
 * stored document: unchanged values become the stored value itself; changed ones take its type.
 */
export function restoreNumericTypes(updated: unknown, original: unknown): unknown {
  if (typeof updated === 'number' && isNumericWrapper(original)) {
    // Unchanged: keep the stored value itself (a Long beyond 2^53 is not exactly a JS number).
    if (updated === toNumber(original)) return original;
    if (original instanceof Long) return Number.isInteger(updated) ? Long.fromNumber(updated) : updated;
    if (original instanceof Decimal128) return Decimal128.fromString(String(updated));
    if (original instanceof Double) return new Double(updated);
    return updated;
  }
  if (Array.isArray(updated) && Array.isArray(original)) {
    for (let i = 0; i < updated.length; i++) updated[i] = restoreNumericTypes(updated[i], original[i]);
    return updated;
  }
  if (isPlainObject(updated) && isPlainObject(original)) {
    for (const k of Object.keys(updated)) updated[k] = restoreNumericTypes(updated[k], original[k]);
  }
  return updated;
}

/** The first `$`-prefixed field name inside a value (documents and arrays searched depth first), if any. */
export function firstDollarField(v: unknown): string | undefined {
  if (Array.isArray(v)) {
    for (const el of v) {
      const found = firstDollarField(el);
      if (found) return found;
    }
    return undefined;
  }
  if (!isPlainObject(v)) return undefined;
  for (const [k, el] of Object.entries(v)) {
    if (k.startsWith('$')) return k;
    const found = firstDollarField(el);
    if (found) return found;
  }
  return undefined;
}
