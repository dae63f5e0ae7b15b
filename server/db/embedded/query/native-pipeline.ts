/**
 * The engine's native aggregation path: a pipeline made only of the stages and operators below is compiled
 * once into plain functions and run over the comparison views, instead of through mingo (see ./expressions.ts
 * for why). Anything else (another stage, operator or option, or a value an operator here does not handle)
 * declines with `NotCompiled`, and the caller runs the pipeline through mingo as before. Results, their order
 * and their field order are mingo's (./native-pipeline.test.ts compares the two paths), except where mingo
 * differs from MongoDB: `$median` (mingo sorts its input as strings, so 10 before 9; here the numbers in order)
 * and `$bucket` (mingo puts a value equal to a boundary in the bucket below and lists empty buckets; here, as
 * MongoDB, a boundary value opens its bucket and empty buckets are left out).
 *
 * Stages: $match, $project (inclusion, top-level fields, computed fields), $addFields/$set (top-level fields),
 * $group ($sum, $avg, $min, $max, $first, $last, $push, $median), $facet, $sort, $skip, $limit,
 * $unwind (a top-level field), $bucket. Input documents are never changed (they are the engine's cached views).
 */
import { compareValues, isPlainObject, valueKey, type Doc } from '../bson/values';
import { sortDocuments } from './execute';
import { compileExpression, NotCompiled, type Compiled, type Vars } from './expressions';
import { compileFilter } from './filter';
import type { Variables } from './variables';

export { NotCompiled } from './expressions';

type Stage = (docs: Doc[], vars: Vars) => Doc[];

function only(spec: Doc, allowed: readonly string[]): void {
  for (const key of Object.keys(spec)) if (!allowed.includes(key)) throw new NotCompiled(`option ${key}`);
}

function topLevelName(key: string): string {
  if (key === '' || key.startsWith('$') || key.includes('.')) throw new NotCompiled(`field ${key}`);
  return key;
}

function projectStage(spec: unknown): Stage {
  if (!isPlainObject(spec) || Object.keys(spec).length === 0) throw new NotCompiled('$project');
  let excludeId = false;
  const fields: Array<{ key: string; include: true } | { key: string; include: false; value: Compiled }> = [];
  for (const [key, value] of Object.entries(spec)) {
    topLevelName(key);
    if (value === 0 || value === false) {
      if (key !== '_id') throw new NotCompiled('exclusion projection');
      excludeId = true;
    } else if (value === 1 || value === true) fields.push({ key, include: true });
    else if (typeof value === 'number' || typeof value === 'boolean') throw new NotCompiled('projection value');
    else fields.push({ key, include: false, value: compileExpression(value) });
  }
  if (fields.length === 0) throw new NotCompiled('exclusion projection');
  // mingo writes the fields in the sorted order of their names (then _id, when not named).
  fields.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return (docs, vars) =>
    docs.map((doc) => {
      const out: Doc = {};
      for (const field of fields) {
        const v = field.include ? doc[field.key] : field.value(doc, vars);
        if (v !== undefined) out[field.key] = v;
      }
      if (!excludeId && !('_id' in out) && doc._id !== undefined) out._id = doc._id;
      return out;
    });
}

function addFieldsStage(spec: unknown): Stage {
  if (!isPlainObject(spec)) throw new NotCompiled('$addFields');
  const fields = Object.entries(spec).map(([key, value]) => [topLevelName(key), compileExpression(value)] as const);
  return (docs, vars) =>
    docs.map((doc) => {
      const out: Doc = { ...doc };
      for (const [key, value] of fields) {
        const v = value(doc, vars);
        if (v === undefined) delete out[key];
        else out[key] = v;
      }
      return out;
    });
}

type Accumulator = (group: Doc[], vars: Vars) => unknown;

function values(group: Doc[], expression: Compiled, vars: Vars): unknown[] {
  return group.map((doc) => expression(doc, vars) ?? null);
}

function accumulator(spec: unknown): Accumulator {
  if (!isPlainObject(spec) || Object.keys(spec).length !== 1) throw new NotCompiled('accumulator');
  const [op, arg] = Object.entries(spec)[0] as [string, unknown];
  if (op === '$median') {
    if (!isPlainObject(arg)) throw new NotCompiled('$median');
    only(arg, ['input', 'method']);
    if (arg.method !== 'approximate' && arg.method !== 'exact') throw new NotCompiled('$median method');
    const input = compileExpression(arg.input);
    const method = arg.method;
    return (group, vars) => median(values(group, input, vars).filter((v): v is number => typeof v === 'number'), method);
  }
  const expression = compileExpression(arg);
  switch (op) {
    case '$sum':
      if (typeof arg === 'number') return (group) => group.length * arg;
      return (group, vars) => {
        let sum = 0;
        for (const v of values(group, expression, vars)) if (typeof v === 'number') sum += v;
        return sum;
      };
    case '$avg':
      return (group, vars) => {
        const numbers = values(group, expression, vars).filter((v): v is number => typeof v === 'number');
        return numbers.length === 0 ? null : numbers.reduce((a, b) => a + b, 0) / numbers.length;
      };
    case '$max':
    case '$min': {
      const sign = op === '$max' ? 1 : -1;
      return (group, vars) => {
        let best: unknown = null;
        for (const v of values(group, expression, vars)) {
          if (v === null) continue;
          // The last of equal values wins for $max, the first for $min (a stable sort's ends, as mingo).
          if (best === null || (sign > 0 ? compareValues(v, best) >= 0 : compareValues(v, best) < 0)) best = v;
        }
        return best;
      };
    }
    case '$first':
      return (group, vars) => (group.length === 0 ? null : (expression(group[0], vars) ?? null));
    case '$last':
      return (group, vars) => (group.length === 0 ? null : (expression(group[group.length - 1], vars) ?? null));
    case '$push':
      return (group, vars) => values(group, expression, vars);
    default:
      throw new NotCompiled(`accumulator ${op}`);
  }
}

/** The median as MongoDB's approximate method gives it for these sizes: a value of the input, in numeric order. */
function median(numbers: number[], method: 'approximate' | 'exact'): number | null | undefined {
  if (numbers.length === 0) return undefined;
  const sorted = [...numbers].sort((a, b) => a - b);
  const r = 0.5 * (sorted.length - 1) + 1;
  const ri = Math.floor(r);
  const exact = r === ri ? (sorted[r - 1] as number) : (sorted[ri - 1] as number) + (r % 1) * ((sorted[ri] as number) - (sorted[ri - 1] as number));
  if (method === 'exact') return exact;
  let position = sorted.findIndex((v) => v >= exact);
  if (position < 0) position = sorted.length;
  return position / sorted.length >= 0.5 ? sorted[Math.max(position - 1, 0)] : sorted[position];
}

function groupStage(spec: unknown): Stage {
  if (!isPlainObject(spec) || !('_id' in spec)) throw new NotCompiled('$group');
  const id = compileExpression(spec._id);
  const outputs = Object.entries(spec)
    .filter(([key]) => key !== '_id')
    .map(([key, value]) => [topLevelName(key), accumulator(value)] as const);
  return (docs, vars) => {
    const groups = new Map<string, { id: unknown; docs: Doc[] }>();
    for (const doc of docs) {
      // A missing group key is null (as mingo and MongoDB group it).
      const value = id(doc, vars) ?? null;
      const key = valueKey(value);
      let group = groups.get(key);
      if (!group) {
        group = { id: value, docs: [] };
        groups.set(key, group);
      }
      group.docs.push(doc);
    }
    return [...groups.values()].map((group) => {
      const out: Doc = {};
      out._id = group.id;
      for (const [key, output] of outputs) out[key] = output(group.docs, vars);
      return out;
    });
  };
}

function bucketStage(spec: unknown): Stage {
  if (!isPlainObject(spec)) throw new NotCompiled('$bucket');
  only(spec, ['groupBy', 'boundaries', 'default', 'output']);
  const boundaries = spec.boundaries;
  if (!Array.isArray(boundaries) || boundaries.length < 2 || !boundaries.every((b) => typeof b === 'number')) throw new NotCompiled('$bucket boundaries');
  for (let i = 1; i < boundaries.length; i++) if ((boundaries[i] as number) <= (boundaries[i - 1] as number)) throw new NotCompiled('$bucket boundaries');
  const fallback = spec.default;
  if (fallback !== undefined && (typeof fallback !== 'number' || (fallback >= (boundaries[0] as number) && fallback < (boundaries[boundaries.length - 1] as number)))) {
    throw new NotCompiled('$bucket default');
  }
  const groupBy = compileExpression(spec.groupBy);
  const output = spec.output === undefined ? { count: { $sum: 1 } } : spec.output;
  if (!isPlainObject(output)) throw new NotCompiled('$bucket output');
  const outputs = Object.entries(output).map(([key, value]) => [topLevelName(key), accumulator(value)] as const);
  const lower = boundaries[0] as number;
  const upper = boundaries[boundaries.length - 1] as number;
  return (docs, vars) => {
    const buckets = boundaries.slice(0, -1).map(() => [] as Doc[]);
    const outside: Doc[] = [];
    for (const doc of docs) {
      const key = groupBy(doc, vars);
      if (typeof key !== 'number') {
        if (key !== null && key !== undefined) throw new NotCompiled('$bucket of a non-number');
        if (fallback === undefined) throw new NotCompiled('$bucket without a default');
        outside.push(doc);
      } else if (key < lower || key >= upper) {
        if (fallback === undefined) throw new NotCompiled('$bucket without a default');
        outside.push(doc);
      } else {
        let index = 0;
        while (index + 1 < boundaries.length - 1 && key >= (boundaries[index + 1] as number)) index++;
        buckets[index]?.push(doc);
      }
    }
    const result: Doc[] = [];
    const emit = (group: Doc[], id: unknown): void => {
      const out: Doc = {};
      for (const [key, acc] of outputs) out[key] = acc(group, vars);
      out._id = id;
      result.push(out);
    };
    // As MongoDB: the buckets that hold documents, in boundary order, then the default's.
    buckets.forEach((group, index) => {
      if (group.length > 0) emit(group, boundaries[index]);
    });
    if (fallback !== undefined && outside.length > 0) emit(outside, fallback);
    return result;
  };
}

function unwindStage(spec: unknown): Stage {
  const options = typeof spec === 'string' ? { path: spec } : spec;
  if (!isPlainObject(options)) throw new NotCompiled('$unwind');
  only(options, ['path', 'preserveNullAndEmptyArrays']);
  const path = options.path;
  if (typeof path !== 'string' || !path.startsWith('$')) throw new NotCompiled('$unwind path');
  const field = topLevelName(path.slice(1));
  const preserve = options.preserveNullAndEmptyArrays === true;
  return (docs) => {
    const out: Doc[] = [];
    for (const doc of docs) {
      const value = doc[field];
      if (Array.isArray(value)) {
        if (value.length === 0) {
          if (preserve) {
            const copy: Doc = { ...doc };
            delete copy[field];
            out.push(copy);
          }
          continue;
        }
        for (const element of value) out.push({ ...doc, [field]: element });
      } else {
        const empty = value === null || value === undefined || value === '' || (isPlainObject(value) && Object.keys(value).length === 0);
        if (!empty || preserve) out.push(doc);
      }
    }
    return out;
  };
}

function count(spec: unknown, name: string): number {
  if (typeof spec !== 'number' || !Number.isInteger(spec) || spec < 0) throw new NotCompiled(name);
  return spec;
}

function compileStage(stage: Doc, variables: Variables | undefined): Stage {
  const keys = Object.keys(stage);
  if (keys.length !== 1) throw new NotCompiled('stage');
  const op = keys[0] as string;
  const spec = stage[op];
  switch (op) {
    case '$match': {
      if (!isPlainObject(spec)) throw new NotCompiled('$match');
      const filter = compileFilter(spec, variables);
      return (docs) => (filter.empty ? docs : docs.filter((doc) => filter.test(doc)));
    }
    case '$project':
      return projectStage(spec);
    case '$addFields':
    case '$set':
      return addFieldsStage(spec);
    case '$group':
      return groupStage(spec);
    case '$bucket':
      return bucketStage(spec);
    case '$unwind':
      return unwindStage(spec);
    case '$sort':
      if (!isPlainObject(spec) || !Object.values(spec).every((d) => d === 1 || d === -1)) throw new NotCompiled('$sort');
      return (docs) => sortDocuments(docs, spec);
    case '$limit': {
      const n = count(spec, '$limit');
      return (docs) => docs.slice(0, n);
    }
    case '$skip': {
      const n = count(spec, '$skip');
      return (docs) => docs.slice(n);
    }
    case '$facet': {
      if (!isPlainObject(spec)) throw new NotCompiled('$facet');
      const facets = Object.entries(spec).map(([name, pipeline]) => {
        if (!Array.isArray(pipeline)) throw new NotCompiled('$facet');
        return [name, compileStages(pipeline as Doc[], variables)] as const;
      });
      return (docs, vars) => [Object.fromEntries(facets.map(([name, run]) => [name, run(docs, vars)]))];
    }
    default:
      throw new NotCompiled(`stage ${op}`);
  }
}

function compileStages(stages: readonly Doc[], variables: Variables | undefined): Stage {
  const compiled = stages.map((stage) => {
    if (!isPlainObject(stage)) throw new NotCompiled('stage');
    return compileStage(stage, variables);
  });
  return (docs, vars) => compiled.reduce((current, stage) => stage(current, vars), docs);
}

/**
 * The pipeline compiled, or undefined when it uses something the native path does not run. The function it
 * returns may still throw NotCompiled for a value it does not handle (the caller then runs mingo).
 */
export function compileNativePipeline(stages: readonly Doc[], variables?: Variables): ((docs: Doc[]) => Doc[]) | undefined {
  let run: Stage;
  try {
    run = compileStages(stages, variables);
  } catch (err) {
    if (err instanceof NotCompiled) return undefined;
    throw err;
  }
  const vars: Vars = { ...(variables ?? {}) };
  return (docs) => run(docs, vars);
}
