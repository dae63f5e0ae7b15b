/**
 * Projections: mingo's $project for inclusion/exclusion and $slice; `$elemMatch` and the positional `field.$`
 * are done here because mingo's $elemMatch projection fails on arrays of scalars and it has no positional form.
 */
import { Query } from '../bson/mingo-context';
import { EngineError, ErrorCodes } from '../errors';
import type { Variables } from './variables';
import { comparisonView, isPlainObject, normaliseNumbers, type Doc } from '../bson/values';

export type Projector = (doc: Doc) => Doc;

function firstMatchingIndex(array: unknown[], test: (element: unknown) => boolean): number {
  for (let i = 0; i < array.length; i++) if (test(array[i])) return i;
  return -1;
}

/**
 * The common projection, top-level fields only, all included or all excluded (an `_id: 0` beside inclusions),
 * done without mingo, whose per-document cursor cost ~40 µs (issue 14). Field order as mingo writes it:
 * inclusions in the sorted order of their names then `_id`; exclusions keep the document's order.
 */
function simpleProjection(projection: Doc): Projector | undefined {
  const entries = Object.entries(projection);
  if (entries.some(([key, value]) => key === '' || key.includes('.') || key.startsWith('$') || !(value === 0 || value === 1 || value === true || value === false))) return undefined;
  const included = entries.filter(([, value]) => value === 1 || value === true).map(([key]) => key);
  const excluded = entries.filter(([, value]) => value === 0 || value === false).map(([key]) => key);
  if (included.length > 0) {
    if (excluded.some((key) => key !== '_id')) return undefined;
    const keys = [...included].sort();
    const withId = excluded.length === 0;
    return (doc) => {
      const out: Doc = {};
      for (const key of keys) if (doc[key] !== undefined) out[key] = doc[key];
      if (withId && !('_id' in out) && doc._id !== undefined) out._id = doc._id;
      return out;
    };
  }
  return (doc) => {
    const out: Doc = { ...doc };
    for (const key of excluded) delete out[key];
    return out;
  };
}

export function compileProjection(projection: unknown, filter?: Doc, variables?: Variables): Projector {
  if (!isPlainObject(projection) || Object.keys(projection).length === 0) return (doc) => doc;
  const simple = simpleProjection(projection);
  if (simple) return simple;
  const rest: Doc = {};
  const elemMatches: Array<{ field: string; query: Query }> = [];
  let positional: { field: string; query: Query } | undefined;
  for (const [key, value] of Object.entries(projection)) {
    if (isPlainObject(value) && '$elemMatch' in value) {
      elemMatches.push({ field: key, query: new Query({ v: { $elemMatch: normaliseNumbers(value.$elemMatch) } }) });
    } else if (isPlainObject(value) && '$meta' in value) {
      continue;
    } else if (key.endsWith('.$')) {
      const field = key.slice(0, -2);
      const conditions: Doc = {};
      for (const [k, v] of Object.entries(normaliseNumbers(filter ?? {}))) {
        if (k === field || k.startsWith(`${field}.`)) conditions[k] = v;
      }
      if (Object.keys(conditions).length === 0) {
        throw new EngineError(ErrorCodes.BadValue, `Executor error during find command :: caused by :: positional operator '${key}' requires corresponding field in query specifier`);
      }
      positional = { field, query: new Query(conditions) };
      rest[field] = 1;
    } else {
      rest[key] = value;
    }
  }
  const hasRest = Object.keys(rest).length > 0;
  const base = hasRest ? new Query({}, variables ? { variables } : {}) : undefined;
  const excludeId = projection._id === 0 || projection._id === false;
  return (doc) => {
    let out: Doc;
    if (base) {
      out = base.find<Doc>([doc], rest).next() ?? {};
    } else {
      out = excludeId ? {} : { _id: doc._id };
    }
    if (positional) {
      const { field, query } = positional;
      const array = doc[field];
      if (Array.isArray(array)) {
        const view = comparisonView(doc);
        const viewArray = view[field] as unknown[];
        const at = firstMatchingIndex(viewArray, (el) => query.test({ ...view, [field]: [el] }));
        if (at >= 0) out[field] = [array[at]];
        else delete out[field];
      }
    }
    for (const { field, query } of elemMatches) {
      const array = doc[field];
      if (!Array.isArray(array)) continue;
      const viewArray = comparisonView(doc)[field] as unknown[];
      const at = firstMatchingIndex(viewArray, (el) => query.test({ v: [el] }));
      if (at >= 0) out[field] = [array[at]];
    }
    return out;
  };
}
