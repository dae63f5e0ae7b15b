/** explain: the plan the engine would run (index, bounds, direction) and what running it examined. */
import { EngineError, ErrorCodes } from '../errors';
import { readDocuments, type ReadStats } from '../query/execute';
import { compileFilter } from '../query/filter';
import { describeBounds } from '../query/planner';
import { isPlainObject, type Doc } from '../bson/values';
import { preparePipeline } from './pipeline';
import { asNumber, namespaceOf, type CommandContext, type CommandHandler } from './types';

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

export function explainRead(ctx: CommandContext, kind: string, name: string, spec: Doc | Doc[]): Doc {
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
      namespace: namespaceOf(ctx.db, name),
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

export const explainCommands: Record<string, CommandHandler> = { explain: explainCommand };
