/**
 * Filters: mingo's Query over each document's comparison view, after refusing what mingo would answer wrongly
 * (geo and $text need indexes we do not have) and adapting what MongoDB sends differently ($where as BSON Code).
 */
import { Code } from 'bson';
import { Query } from '../bson/mingo-context';
import { asEngineError, EngineError, ErrorCodes } from '../errors';
import type { Variables } from './variables';
import { ObjectId } from 'bson';
import { comparisonView, isPlainObject, normaliseNumbers, valueKey, valuesAtPath, type Doc } from '../bson/values';

const GEO_OPERATORS = new Set(['$near', '$nearSphere', '$geoWithin', '$geoIntersects', '$within', '$box', '$center']);

function inspect(filter: unknown): void {
  if (Array.isArray(filter)) {
    for (const f of filter) inspect(f);
    return;
  }
  if (!isPlainObject(filter)) return;
  for (const key of Object.keys(filter)) {
    if (key === '$text') throw new EngineError(ErrorCodes.IndexNotFound, 'text index required for $text query');
    if (key === '$near' || key === '$nearSphere') {
      throw new EngineError(
        ErrorCodes.NoQueryExecutionPlans,
        `error processing query: planner returned error :: caused by :: unable to find index for $geoNear query`,
      );
    }
    if (GEO_OPERATORS.has(key)) {
      throw new EngineError(ErrorCodes.BadValue, `${key} is not supported by the embedded engine; use MongoDB for geospatial queries`);
    }
    if (key === '$where') {
      const v = filter[key];
      if (v instanceof Code) filter[key] = compileWhere(v.code);
      else if (typeof v === 'string') filter[key] = compileWhere(v);
      continue;
    }
    inspect(filter[key]);
  }
}

/** $where code runs with `this` as the document, as in MongoDB's JavaScript engine. */
function compileWhere(code: string): (this: Doc) => boolean {
  const trimmed = code.trim();
  const isFunction = /^function\b|^\(?[\w\s,]*\)?\s*=>/.test(trimmed);
  // The engine runs for the local app only; MongoDB also evaluates $where as server-side JavaScript.
  const body = isFunction ? `return (${trimmed}).call(this);` : `return (${trimmed});`;
  const fn = new Function(body) as (this: Doc) => boolean;
  return function (this: Doc) {
    return Boolean(fn.call(this));
  };
}

export interface Filter {
  readonly empty: boolean;
  test(doc: Doc): boolean;
}

/** A value an equality test can compare natively: not null, an array, a document or a pattern. */
function isScalar(v: unknown): v is string | number | boolean | Date | ObjectId {
  return typeof v === 'string' || (typeof v === 'number' && !Number.isNaN(v)) || typeof v === 'boolean' || v instanceof Date || v instanceof ObjectId;
}

/** Whether a field value (or, for an array, one of its elements) is one of the wanted values (keyed by valueKey). */
function valueMatches(value: unknown, wanted: ReadonlySet<string>): boolean {
  if (Array.isArray(value)) return value.some((element) => !Array.isArray(element) && valueMatches(element, wanted));
  return value !== undefined && value !== null && wanted.has(valueKey(value));
}

type FieldTest = (values: unknown[]) => boolean;

/**
 * The common filters tested without mingo: each field compared by equality or `$in` with scalars, or
 * `$ne: null` / `$exists`-free "has a value". Hand-written because mingo's `$in` hashes every value of every
 * document (it measured ~80 ms per report page over 1,000 enrolments); anything else goes to mingo.
 */
function nativeFilter(filter: Doc): ((doc: Doc) => boolean) | undefined {
  const tests: Array<{ path: string; test: FieldTest }> = [];
  for (const [path, cond] of Object.entries(filter)) {
    if (path.startsWith('$') || path === '') return undefined;
    if (isScalar(cond)) {
      const wanted = new Set([valueKey(cond)]);
      tests.push({ path, test: (values) => values.some((v) => valueMatches(v, wanted)) });
      continue;
    }
    if (!isPlainObject(cond)) return undefined;
    const ops = Object.entries(cond);
    if (ops.length !== 1) return undefined;
    const [op, arg] = ops[0] as [string, unknown];
    if ((op === '$eq' && isScalar(arg)) || (op === '$in' && Array.isArray(arg) && arg.every(isScalar))) {
      const wanted = new Set((op === '$eq' ? [arg] : (arg as unknown[])).map(valueKey));
      tests.push({ path, test: (values) => values.some((v) => valueMatches(v, wanted)) });
    } else if (op === '$ne' && arg === null && !path.includes('.')) {
      tests.push({ path, test: (values) => values.every((v) => v !== null && v !== undefined && !(Array.isArray(v) && v.some((e) => e === null))) });
    } else {
      return undefined;
    }
  }
  if (tests.length === 0) return undefined;
  return (doc) => {
    for (const { path, test } of tests) {
      const values = path.includes('.') ? valuesAtPath(doc, path) : [doc[path]];
      if (!test(values)) return false;
    }
    return true;
  };
}

export function compileFilter(raw: unknown, variables?: Variables): Filter {
  if (raw === undefined || raw === null) return { empty: true, test: () => true };
  if (!isPlainObject(raw)) throw new EngineError(ErrorCodes.TypeMismatch, 'filter must be an object');
  if (Object.keys(raw).length === 0) return { empty: true, test: () => true };
  const filter = normaliseNumbers(raw);
  const native = nativeFilter(filter);
  if (native) return { empty: false, test: (doc) => native(comparisonView(doc)) };
  inspect(filter);
  let query: Query;
  try {
    query = new Query(filter, variables ? { variables } : {});
  } catch (err) {
    throw asEngineError(err);
  }
  return { empty: false, test: (doc) => query.test(comparisonView(doc)) };
}
