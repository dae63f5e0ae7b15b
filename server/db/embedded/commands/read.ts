/** find, getMore, killCursors, count, distinct, aggregate and explain. */
import { Aggregator } from '../query/mingo-context';
import type { Collection } from '../catalog/collection';
import { EngineError, ErrorCodes } from '../errors';
import { readDocuments, type ReadStats } from '../query/execute';
import { compileFilter } from '../query/filter';
import { describeBounds } from '../query/planner';
import { compileProjection } from '../query/projection';
import { cloneDocument, comparisonView, isPlainObject, normaliseNumbers, restoreNumericTypes, valueKey, valuesAtPath, type Doc } from '../query/values';
import { asNumber, collectionName, type CommandContext, type CommandHandler } from './types';

function namespace(ctx: CommandContext, name: string): string {
  return `${ctx.db}.${name}`;
}

function findCommand(cmd: Doc, ctx: CommandContext): Doc {
  const name = collectionName(cmd, 'find');
  if (cmd.filter !== undefined && !isPlainObject(cmd.filter)) {
    throw new EngineError(ErrorCodes.TypeMismatch, "BSON field 'FindCommandRequest.filter' is the wrong type, expected type 'object'");
  }
  const collection = ctx.catalog.get(ctx.db, name);
  let limit = asNumber(cmd.limit, 0);
  let singleBatch = cmd.singleBatch === true;
  if (limit < 0) {
    limit = -limit;
    singleBatch = true;
  }
  const filter = (cmd.filter as Doc | undefined) ?? {};
  const { docs } = readDocuments(collection, { filter, sort: cmd.sort, skip: asNumber(cmd.skip, 0), limit, hint: cmd.hint });
  ctx.server.opcounters.query++;
  const project = compileProjection(cmd.projection, filter);
  const projected = cmd.projection ? docs.map(project) : docs;
  const batchSize = cmd.batchSize === undefined ? undefined : asNumber(cmd.batchSize, 101);
  return ctx.cursors.firstBatch(namespace(ctx, name), projected, batchSize, singleBatch);
}

function countCommand(cmd: Doc, ctx: CommandContext): Doc {
  const name = collectionName(cmd, 'count');
  const collection = ctx.catalog.get(ctx.db, name);
  const query = (cmd.query as Doc | undefined) ?? {};
  const skip = asNumber(cmd.skip, 0);
  const limit = Math.abs(asNumber(cmd.limit, 0));
  if (collection && Object.keys(query).length === 0) {
    const total = Math.max(0, collection.docs.size - skip);
    return { n: limit ? Math.min(limit, total) : total, ok: 1 };
  }
  const { docs } = readDocuments(collection, { filter: query, skip, limit, hint: cmd.hint });
  return { n: docs.length, ok: 1 };
}

function distinctCommand(cmd: Doc, ctx: CommandContext): Doc {
  const name = collectionName(cmd, 'distinct');
  const key = cmd.key;
  if (typeof key !== 'string') throw new EngineError(ErrorCodes.TypeMismatch, "BSON field 'distinct.key' is the wrong type, expected type 'string'");
  const { docs } = readDocuments(ctx.catalog.get(ctx.db, name), { filter: (cmd.query as Doc | undefined) ?? {} });
  const seen = new Set<string>();
  const values: unknown[] = [];
  for (const doc of docs) {
    for (const v of valuesAtPath(doc, key)) {
      const items = Array.isArray(v) ? v : [v];
      for (const item of items) {
        if (item === undefined) continue;
        const k = valueKey(item);
        if (!seen.has(k)) {
          seen.add(k);
          values.push(item);
        }
      }
    }
  }
  return { values, ok: 1 };
}

interface PreparedPipeline {
  collection: Collection | undefined;
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
function preparePipeline(name: string | undefined, pipeline: Doc[], ctx: CommandContext): PreparedPipeline {
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
  const { docs, stats } = readDocuments(collection, { filter, sort, skip, limit });
  return { collection, stats, input: docs, rest: pipeline.slice(i) };
}

/** Stages whose output documents are their input documents, reshaped (so each keeps its _id and types). */
const PER_DOCUMENT_STAGES = new Set(['$match', '$project', '$addFields', '$set', '$unset', '$sort', '$limit', '$skip', '$lookup', '$sample']);

/** Aggregation runs on numbers; give each output document the numeric types its stored document had. */
function restoreTypes(result: Doc[], input: Doc[]): Doc[] {
  const byView = new Map<Doc, Doc>(input.map((d) => [comparisonView(d), d]));
  const byId = new Map<string, Doc>(input.map((d) => [valueKey(d._id), d]));
  return result.map((out) => {
    const same = byView.get(out);
    if (same) return same;
    const original = out._id === undefined ? undefined : byId.get(valueKey(out._id));
    return original ? (restoreNumericTypes(cloneDocument(out), original) as Doc) : out;
  });
}

function runPipeline(rest: Doc[], input: Doc[], ctx: CommandContext): Doc[] {
  if (rest.length === 0) return input;
  const last = rest[rest.length - 1] as Doc;
  const out = last.$out ?? last.$merge;
  const stages = out === undefined ? rest : rest.slice(0, -1);
  const aggregator = new Aggregator(normaliseNumbers(stages), {
    collectionResolver: (other: string) => [...(ctx.catalog.get(ctx.db, other)?.docs.values() ?? [])].map(comparisonView),
  });
  let result: Doc[];
  try {
    result = aggregator.run(input.map(comparisonView)) as Doc[];
  } catch (err) {
    throw new EngineError(ErrorCodes.BadValue, err instanceof Error ? err.message : String(err));
  }
  if (stages.every((stage) => PER_DOCUMENT_STAGES.has(Object.keys(stage)[0] ?? ''))) result = restoreTypes(result, input);
  if (out !== undefined) {
    // $out: 'name' | { db, coll }; $merge: { into: 'name' | { db, coll } } (the target must be in this database).
    const spec = isPlainObject(out) && out.into !== undefined ? out.into : out;
    const target = typeof spec === 'string' ? spec : isPlainObject(spec) && typeof spec.coll === 'string' ? spec.coll : '';
    if (!target) throw new EngineError(ErrorCodes.FailedToParse, '$out requires a target collection name');
    if (last.$out !== undefined) ctx.catalog.drop(ctx.db, target, ctx.changes);
    const collection = ctx.catalog.obtain(ctx.db, target, ctx.changes);
    const written: Doc[] = [];
    for (const doc of result) {
      const existing = doc._id !== undefined ? collection.getById(doc._id) : undefined;
      if (existing) {
        collection.replace(existing, doc);
        ctx.changes.record({ op: 'replace', db: ctx.db, coll: target, doc });
      } else written.push(collection.insert(doc));
    }
    if (written.length) ctx.changes.record({ op: 'insert', db: ctx.db, coll: target, docs: written });
    return [];
  }
  return result;
}

function aggregateCommand(cmd: Doc, ctx: CommandContext): Doc {
  const target = cmd.aggregate;
  const pipeline = cmd.pipeline;
  if (!Array.isArray(pipeline)) throw new EngineError(ErrorCodes.TypeMismatch, "'pipeline' option must be specified as an array");
  if (cmd.explain === true) return explainRead(ctx, 'aggregate', typeof target === 'string' ? target : '', pipeline as Doc[]);
  if (cmd.cursor === undefined) throw new EngineError(ErrorCodes.FailedToParse, "The 'cursor' option is required, except for aggregate with the explain argument");
  const name = typeof target === 'string' ? target : undefined;
  let docs: Doc[];
  if (name === undefined) {
    // db.aggregate([{ $documents: [...] }, ...]) and other collectionless pipelines.
    docs = runPipeline(pipeline as Doc[], [{}], ctx);
    if (!(pipeline[0] as Doc | undefined)?.$documents) docs = [];
  } else {
    const prepared = preparePipeline(name, pipeline as Doc[], ctx);
    docs = runPipeline(prepared.rest, prepared.input, ctx);
  }
  ctx.server.opcounters.command++;
  const cursor = isPlainObject(cmd.cursor) ? cmd.cursor : {};
  const batchSize = cursor.batchSize === undefined ? undefined : asNumber(cursor.batchSize, 101);
  return ctx.cursors.firstBatch(namespace(ctx, name ?? '$cmd.aggregate'), docs, batchSize);
}

function planStages(stats: ReadStats): { winningPlan: Doc; executionStages: Doc } {
  const plan = stats.plan;
  if (!plan.index) {
    const stage = { stage: 'COLLSCAN', direction: 'forward' };
    return {
      winningPlan: stage,
      executionStages: { ...stage, nReturned: stats.nReturned, docsExamined: stats.docsExamined },
    };
  }
  const ix = plan.index;
  const ixscan = {
    stage: 'IXSCAN',
    keyPattern: ix.spec.key,
    indexName: ix.name,
    isMultiKey: ix.multikey,
    isUnique: Boolean(ix.spec.unique) || ix.isId,
    isSparse: Boolean(ix.spec.sparse),
    isPartial: Boolean(ix.spec.partialFilterExpression),
    direction: plan.reverse ? 'backward' : 'forward',
    indexBounds: describeBounds(plan),
  };
  return {
    winningPlan: { stage: 'FETCH', inputStage: ixscan },
    executionStages: {
      stage: 'FETCH',
      nReturned: stats.nReturned,
      docsExamined: stats.docsExamined,
      inputStage: { ...ixscan, keysExamined: stats.keysExamined },
    },
  };
}

function explainRead(ctx: CommandContext, kind: string, name: string, spec: Doc | Doc[]): Doc {
  const started = Date.now();
  let stats: ReadStats;
  if (kind === 'aggregate') {
    stats = preparePipeline(name, spec as Doc[], ctx).stats;
  } else {
    const s = spec as Doc;
    const collection = ctx.catalog.get(ctx.db, name);
    const filter = (s.filter ?? s.query ?? (Array.isArray(s.deletes) ? (s.deletes[0] as Doc)?.q : undefined) ??
      (Array.isArray(s.updates) ? (s.updates[0] as Doc)?.q : undefined) ?? {}) as Doc;
    compileFilter(filter);
    stats = readDocuments(collection, { filter, sort: s.sort, skip: asNumber(s.skip, 0), limit: Math.abs(asNumber(s.limit, 0)), hint: s.hint }).stats;
  }
  const { winningPlan, executionStages } = planStages(stats);
  return {
    explainVersion: '1',
    queryPlanner: {
      namespace: namespace(ctx, name),
      indexFilterSet: false,
      winningPlan,
      rejectedPlans: [],
    },
    executionStats: {
      executionSuccess: true,
      nReturned: stats.nReturned,
      executionTimeMillis: Date.now() - started,
      totalKeysExamined: stats.keysExamined,
      totalDocsExamined: stats.docsExamined,
      executionStages,
    },
    serverInfo: { host: 'embedded', port: ctx.server.port, version: '7.0.0' },
    ok: 1,
  };
}

function explainCommand(cmd: Doc, ctx: CommandContext): Doc {
  const inner = cmd.explain;
  if (!isPlainObject(inner)) throw new EngineError(ErrorCodes.FailedToParse, 'explain command requires a nested object');
  const kind = Object.keys(inner)[0] ?? '';
  const name = inner[kind];
  if (typeof name !== 'string') throw new EngineError(ErrorCodes.FailedToParse, `Explain failed due to unknown command: ${kind}`);
  const supported = ['find', 'count', 'distinct', 'aggregate', 'delete', 'update', 'findAndModify', 'findandmodify'];
  if (!supported.includes(kind)) throw new EngineError(ErrorCodes.CommandNotFound, `Explain failed due to unknown command: ${kind}`);
  if (kind === 'aggregate') return explainRead(ctx, kind, name, (inner.pipeline as Doc[]) ?? []);
  return explainRead(ctx, kind, name, inner);
}

export const readCommands: Record<string, CommandHandler> = {
  find: findCommand,
  getMore: (cmd, ctx) => {
    ctx.server.opcounters.getmore++;
    const name = typeof cmd.collection === 'string' ? cmd.collection : '';
    const batchSize = cmd.batchSize === undefined ? undefined : asNumber(cmd.batchSize, 0);
    return ctx.cursors.getMore(namespace(ctx, name), cmd.getMore, batchSize);
  },
  killCursors: (cmd, ctx) => ctx.cursors.kill(Array.isArray(cmd.cursors) ? cmd.cursors : []),
  count: countCommand,
  distinct: distinctCommand,
  aggregate: aggregateCommand,
  explain: explainCommand,
};
