/**
 * Aggregation pipelines: a leading $match/$sort/$skip/$limit goes through the planner (so indexes are used),
 * the rest through mingo's Aggregator over comparison views, with $lookup reading other collections and
 * $out/$merge writing one.
 */
import { asEngineError, EngineError, ErrorCodes } from '../errors';
import { readDocuments, type ReadStats } from '../query/execute';
import { compileNativePipeline, NotCompiled } from '../query/native-pipeline';
import { Aggregator } from '../bson/mingo-context';
import { cloneDocument, comparisonView, isPlainObject, normaliseNumbers, originalOf, restoreNumericTypes, valueKey, type Doc } from '../bson/values';
import { asNumber, type CommandContext } from './types';
import { writeMerge, writeOut } from './out';
import { resolveView, type ResolvedView } from './views';

export interface PreparedPipeline {
  stats: ReadStats;
  input: Doc[];
  rest: Doc[];
}

const UNSUPPORTED_STAGES = new Map<string, string>([
  ['$geoNear', '$geoNear requires a geospatial index, which the embedded engine does not have'],
  ['$search', '$search is only available on MongoDB Atlas'],
  ['$changeStream', 'The $changeStream stage is only supported on replica sets'],
]);

/** Run a leading $match (and the $sort/$skip/$limit after it) through the planner so indexes are used. */
export function preparePipeline(name: string | undefined, pipeline: Doc[], ctx: CommandContext): PreparedPipeline {
  for (const stage of pipeline) {
    const op = Object.keys(stage)[0] ?? '';
    const refused = UNSUPPORTED_STAGES.get(op);
    if (refused) throw new EngineError(ErrorCodes.IllegalOperation, refused);
  }
  const collection = name ? ctx.catalog.get(ctx.db, name) : undefined;
  let i = 0;
  let filter: Doc = {};
  let sort: unknown;
  let skip = 0;
  let limit = 0;
  const first = pipeline[0];
  if (first && isPlainObject(first.$match)) {
    filter = first.$match;
    i = 1;
  }
  const second = pipeline[i];
  if (second && isPlainObject(second.$sort)) {
    sort = second.$sort;
    i++;
    const third = pipeline[i];
    if (third && third.$skip !== undefined) {
      skip = asNumber(third.$skip, 0);
      i++;
    }
    const fourth = pipeline[i];
    if (fourth && fourth.$limit !== undefined) {
      limit = asNumber(fourth.$limit, 0);
      i++;
    }
  }
  const { docs, stats } = readDocuments(collection, { filter, sort, skip, limit, variables: ctx.variables });
  return { stats, input: docs, rest: pipeline.slice(i) };
}

/** Stages whose output documents are their input documents, reshaped (so each keeps its _id and types). */
const PER_DOCUMENT_STAGES = new Set(['$match', '$project', '$addFields', '$set', '$unset', '$sort', '$limit', '$skip', '$lookup', '$sample']);

/** Aggregation runs on numbers; give each output document the numeric types its stored document had. */
function restoreTypes(result: Doc[], input: Doc[]): Doc[] {
  let byId: Map<string, Doc> | undefined;
  return result.map((out) => {
    // A document that passed through unchanged is still the comparison view of its stored document.
    const stored = originalOf(out);
    if (stored !== out) return stored;
    byId ??= new Map<string, Doc>(input.map((d) => [valueKey(d._id), d]));
    const original = out._id === undefined ? undefined : byId.get(valueKey(out._id));
    return original && original !== out ? (restoreNumericTypes(cloneDocument(out), original) as Doc) : out;
  });
}

export function runPipeline(rest: Doc[], input: Doc[], ctx: CommandContext): Doc[] {
  if (rest.length === 0) return input;
  const last = rest[rest.length - 1] as Doc;
  const out = last.$out ?? last.$merge;
  const stages = out === undefined ? rest : rest.slice(0, -1);
  let result = runNatively(stages, input, ctx) ?? runMingo(stages, input, ctx);
  if (stages.every((stage) => PER_DOCUMENT_STAGES.has(Object.keys(stage)[0] ?? ''))) result = restoreTypes(result, input);
  if (last.$out !== undefined) {
    writeOut(last.$out, result, ctx);
    return [];
  }
  if (last.$merge !== undefined) {
    writeMerge(last.$merge, result, ctx);
    return [];
  }
  return result;
}

/** The pipeline on the engine's native path (../query/native-pipeline.ts), or undefined when it declines. */
function runNatively(stages: Doc[], input: Doc[], ctx: CommandContext): Doc[] | undefined {
  const run = compileNativePipeline(normaliseNumbers(stages), ctx.variables);
  if (!run) return undefined;
  try {
    return run(input.map(comparisonView));
  } catch (err) {
    // A value the native path does not handle: mingo answers (with its result or its error).
    if (err instanceof NotCompiled) return undefined;
    throw asEngineError(err);
  }
}

function runMingo(stages: Doc[], input: Doc[], ctx: CommandContext): Doc[] {
  const aggregator = new Aggregator(normaliseNumbers(stages), {
    ...(ctx.variables ? { variables: ctx.variables } : {}),
    collectionResolver: (other: string) => {
      const view = resolveView(ctx, other);
      const docs = view ? viewDocuments(view, ctx) : [...(ctx.catalog.get(ctx.db, other)?.docs.values() ?? [])];
      return docs.map(comparisonView);
    },
  });
  try {
    return aggregator.run(input.map(comparisonView)) as Doc[];
  } catch (err) {
    throw asEngineError(err);
  }
}

/** The documents a view presents: its pipeline run over its source collection. */
export function viewDocuments(view: ResolvedView, ctx: CommandContext): Doc[] {
  const prepared = preparePipeline(view.source, view.pipeline, ctx);
  return runPipeline(prepared.rest, prepared.input, ctx);
}
