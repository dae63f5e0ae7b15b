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

export function compileProjection(projection: unknown, filter?: Doc, variables?: Variables): Projector {
  if (!isPlainObject(projection) || Object.keys(projection).length === 0) return (doc) => doc;
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
