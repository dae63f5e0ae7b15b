/**
 * Updates: operator updates through mingo's `update`, pipeline updates through its Aggregator, replacements here.
 * Around mingo's gaps: $setOnInsert, `$set` of `_id` to its own value, positional `$` paths (resolved here so
 * several may appear in one update), and numeric types (updates run on numbers, then BSON types are restored).
 */
import { update as mingoUpdate } from 'mingo';
import { Aggregator, mingoOptions, Query } from '../bson/mingo-context';
import { asEngineError, EngineError, ErrorCodes } from '../errors';
import type { Variables } from '../query/variables';
import {
  cloneDocument,
  comparisonView,
  getPath,
  isPlainObject,
  normaliseNumbers,
  restoreNumericTypes,
  setPath,
  valueKey,
  type Doc,
} from '../bson/values';

const OPERATORS = new Set([
  '$set',
  '$unset',
  '$inc',
  '$mul',
  '$min',
  '$max',
  '$rename',
  '$push',
  '$addToSet',
  '$pop',
  '$pull',
  '$pullAll',
  '$currentDate',
  '$bit',
  '$setOnInsert',
]);

export type UpdateSpec = Doc | Doc[];

export interface UpdateContext {
  filter: Doc;
  arrayFilters?: Doc[];
  /** True when the update builds a new document for an upsert ($setOnInsert applies). */
  inserting: boolean;
  /** The command's `let` variables. */
  variables?: Variables;
}

export function isOperatorUpdate(u: UpdateSpec): u is Doc {
  return !Array.isArray(u) && Object.keys(u).some((k) => k.startsWith('$'));
}

export function validateUpdate(u: unknown): UpdateSpec {
  if (Array.isArray(u)) {
    for (const stage of u) {
      if (!isPlainObject(stage)) throw new EngineError(ErrorCodes.FailedToParse, 'Each element of the pipeline must be an object');
    }
    return u as Doc[];
  }
  if (!isPlainObject(u)) throw new EngineError(ErrorCodes.FailedToParse, 'Update argument must be either an object or an array');
  const keys = Object.keys(u);
  const ops = keys.filter((k) => k.startsWith('$'));
  if (ops.length > 0 && ops.length !== keys.length) {
    throw new EngineError(ErrorCodes.FailedToParse, `Unknown modifier: ${keys.find((k) => !k.startsWith('$'))}. Expected a valid update modifier or pipeline-style update specified as an array`);
  }
  for (const op of ops) {
    if (!OPERATORS.has(op)) {
      throw new EngineError(ErrorCodes.FailedToParse, `Unknown modifier: ${op}. Expected a valid update modifier or pipeline-style update specified as an array`);
    }
    if (!isPlainObject(u[op])) {
      throw new EngineError(ErrorCodes.FailedToParse, `Modifiers operate on fields but we found type ${Array.isArray(u[op]) ? 'array' : typeof u[op]} instead. For example: {$mod: {<field>: ...}} not {$set: <field>}`);
    }
  }
  return u;
}

/** The fields an upsert's new document starts from: the filter's equality conditions. */
export function seedFromFilter(filter: Doc): Doc {
  const seed: Doc = {};
  const add = (f: Doc): void => {
    for (const [k, v] of Object.entries(f)) {
      if (k === '$and' && Array.isArray(v)) {
        for (const sub of v) if (isPlainObject(sub)) add(sub);
        continue;
      }
      if (k.startsWith('$')) continue;
      if (isPlainObject(v) && Object.keys(v).some((x) => x.startsWith('$'))) {
        if ('$eq' in v) setPath(seed, k, cloneDocument(v.$eq));
        continue;
      }
      if (v instanceof RegExp) continue;
      setPath(seed, k, cloneDocument(v));
    }
  };
  add(filter);
  return seed;
}

/** Which element of the array at `arrayPath` the query matched (MongoDB's positional `$`). */
function positionalIndex(doc: Doc, arrayPath: string, filter: Doc): number {
  const view = comparisonView(doc);
  const array = getPath(view, arrayPath);
  const conditions: Doc = {};
  for (const [k, v] of Object.entries(normaliseNumbers(filter))) {
    if (k === arrayPath || k.startsWith(`${arrayPath}.`)) conditions[k] = v;
  }
  if (Array.isArray(array) && Object.keys(conditions).length > 0) {
    const query = new Query(conditions);
    for (let i = 0; i < array.length; i++) {
      const probe = cloneDocument(view);
      setPath(probe, arrayPath, [array[i]]);
      if (query.test(probe)) return i;
    }
  }
  throw new EngineError(ErrorCodes.BadValue, 'The positional operator did not find the match needed from the query.');
}

function resolvePositional(path: string, doc: Doc, filter: Doc): string {
  const parts = path.split('.');
  const at = parts.indexOf('$');
  if (at < 0) return path;
  const arrayPath = parts.slice(0, at).join('.');
  parts[at] = String(positionalIndex(doc, arrayPath, filter));
  return parts.join('.');
}

function applyOperators(doc: Doc, spec: Doc, ctx: UpdateContext): Doc {
  const modifier: Doc = {};
  const literals: Array<[string, unknown]> = [];
  for (const [op, fieldsRaw] of Object.entries(spec)) {
    const fields = fieldsRaw as Doc;
    const target = op === '$setOnInsert' ? '$set' : op;
    if (op === '$setOnInsert' && !ctx.inserting) continue;
    const out = (modifier[target] as Doc | undefined) ?? {};
    for (const [rawPath, value] of Object.entries(fields)) {
      const path = resolvePositional(rawPath, doc, ctx.filter);
      if (path === '_id' || path.startsWith('_id.')) {
        if (op === '$set' || op === '$setOnInsert') {
          if (valueKey(getPath(doc, path)) === valueKey(value)) continue;
        }
        if (!(ctx.inserting && getPath(doc, '_id') === undefined)) {
          throw new EngineError(ErrorCodes.ImmutableField, `Performing an update on the path '_id' would modify the immutable field '_id'`);
        }
      }
      if ((op === '$set' || op === '$setOnInsert') && !path.includes('$')) literals.push([path, value]);
      out[path] = normaliseNumbers(value);
    }
    if (Object.keys(out).length > 0) modifier[target] = out;
  }
  const work = cloneDocument(comparisonView(doc));
  if (Object.keys(modifier).length > 0) {
    try {
      mingoUpdate(work, modifier, ctx.arrayFilters?.map((f) => normaliseNumbers(f)), undefined, { cloneMode: 'none', queryOptions: ctx.variables ? { ...mingoOptions, variables: ctx.variables } : mingoOptions });
    } catch (err) {
      if (err instanceof EngineError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      if (/would create a conflict/i.test(message)) {
        throw new EngineError(ErrorCodes.ConflictingUpdateOperators, message.replace(/^updating/, 'Updating'));
      }
      throw new EngineError(ErrorCodes.BadValue, message);
    }
  }
  const restored = restoreNumericTypes(work, doc) as Doc;
  for (const [path, value] of literals) if (hasNumericWrapper(value)) setPath(restored, path, cloneDocument(value));
  return restored;
}

function hasNumericWrapper(v: unknown): boolean {
  return normaliseNumbers(v) !== v;
}

function applyPipeline(doc: Doc, stages: Doc[], variables?: Variables): Doc {
  const allowed = new Set(['$addFields', '$set', '$project', '$unset', '$replaceRoot', '$replaceWith']);
  for (const stage of stages) {
    const name = Object.keys(stage)[0] ?? '';
    if (!allowed.has(name)) {
      throw new EngineError(ErrorCodes.InvalidOptions, `${name} is not allowed to be used within an update`);
    }
  }
  const input = cloneDocument(comparisonView(doc));
  let out: Doc[];
  try {
    out = new Aggregator(normaliseNumbers(stages), variables ? { variables } : {}).run([input]) as Doc[];
  } catch (err) {
    throw asEngineError(err);
  }
  const result = out[0] ?? {};
  if (result._id === undefined && doc._id !== undefined) return restoreNumericTypes({ _id: doc._id, ...result }, doc) as Doc;
  return restoreNumericTypes(result, doc) as Doc;
}

function applyReplacement(doc: Doc, replacement: Doc): Doc {
  if (replacement._id !== undefined && doc._id !== undefined && valueKey(replacement._id) !== valueKey(doc._id)) {
    throw new EngineError(
      ErrorCodes.ImmutableField,
      `After applying the update, the (immutable) field '_id' was found to have been altered to _id: ${String(replacement._id)}`,
    );
  }
  const { _id: _ignored, ...rest } = replacement;
  const id = doc._id ?? replacement._id;
  return cloneDocument(id === undefined ? rest : { _id: id, ...rest });
}

/** The document after the update (a new object; the input is not modified). */
export function applyUpdate(doc: Doc, spec: UpdateSpec, ctx: UpdateContext): Doc {
  if (Array.isArray(spec)) return applyPipeline(doc, spec, ctx.variables);
  if (isOperatorUpdate(spec)) return applyOperators(doc, spec, ctx);
  return applyReplacement(doc, spec);
}
