/**
 * Filters: mingo's Query over each document's comparison view, after refusing what mingo would answer wrongly
 * (geo and $text need indexes we do not have) and adapting what MongoDB sends differently ($where as BSON Code).
 */
import { Code } from 'bson';
import { Query } from '../bson/mingo-context';
import { asEngineError, EngineError, ErrorCodes } from '../errors';
import type { Variables } from './variables';
import { comparisonView, isPlainObject, normaliseNumbers, type Doc } from '../bson/values';

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

export function compileFilter(raw: unknown, variables?: Variables): Filter {
  if (raw === undefined || raw === null) return { empty: true, test: () => true };
  if (!isPlainObject(raw)) throw new EngineError(ErrorCodes.TypeMismatch, 'filter must be an object');
  if (Object.keys(raw).length === 0) return { empty: true, test: () => true };
  const filter = normaliseNumbers(raw);
  inspect(filter);
  let query: Query;
  try {
    query = new Query(filter, variables ? { variables } : {});
  } catch (err) {
    throw asEngineError(err);
  }
  return { empty: false, test: (doc) => query.test(comparisonView(doc)) };
}
