/** aggregate: runs a pipeline and hands the result out through a cursor. */
import { EngineError, ErrorCodes } from '../errors';
import { isPlainObject, type Doc } from '../bson/values';
import { explainRead } from './explain';
import { preparePipeline, runPipeline } from './pipeline';
import { asNumber, namespaceOf, type CommandContext, type CommandHandler } from './types';
import { resolveView } from './views';
import type { ChangeLog, StreamReader } from './change-streams';

function aggregateCommand(cmd: Doc, ctx: CommandContext): Doc {
  const target = cmd.aggregate;
  const pipeline = cmd.pipeline;
  if (!Array.isArray(pipeline)) throw new EngineError(ErrorCodes.TypeMismatch, "'pipeline' option must be specified as an array");
  if (cmd.explain === true) return explainRead(ctx, 'aggregate', typeof target === 'string' ? target : '', pipeline as Doc[]);
  if (cmd.cursor === undefined) throw new EngineError(ErrorCodes.FailedToParse, "The 'cursor' option is required, except for aggregate with the explain argument");
  const name = typeof target === 'string' ? target : undefined;
  let docs: Doc[];
  const stages = pipeline as Doc[];
  stages.forEach((stage, i) => {
    if (i > 0 && isPlainObject(stage) && stage.$listLocalSessions !== undefined) {
      throw new EngineError(40602, '$listLocalSessions is only valid as the first stage in a pipeline');
    }
  });
  stages.forEach((stage, i) => {
    if (i > 0 && isPlainObject(stage) && stage.$changeStream !== undefined) {
      throw new EngineError(40602, '$changeStream is only valid as the first stage in a pipeline');
    }
  });
  const changeStream = (stages[0] as Doc | undefined)?.$changeStream;
  if (changeStream !== undefined) {
    if (name === undefined && ctx.db === 'admin') {
      throw new EngineError(ErrorCodes.NotImplemented, 'whole-cluster change streams are not supported by the embedded engine; watch a database or a collection');
    }
    if (name !== undefined && resolveView(ctx, name)) throw new EngineError(ErrorCodes.CommandNotSupportedOnView, `Namespace ${ctx.db}.${name} is a view, not a collection`);
    const cursor = isPlainObject(cmd.cursor) ? cmd.cursor : {};
    const batchSize = cursor.batchSize === undefined ? undefined : asNumber(cursor.batchSize, 101);
    const log = ctx.server.changeLog as ChangeLog;
    return log.open(changeStream, namespaceOf(ctx.db, name ?? '$cmd.aggregate'), ctx.db, name, stages.slice(1), streamReader(ctx), batchSize);
  }
  const listSessions = (stages[0] as Doc | undefined)?.$listLocalSessions;
  if (listSessions !== undefined) {
    if (name !== undefined) {
      throw new EngineError(ErrorCodes.InvalidNamespace, '$listLocalSessions must be run against the database with {aggregate: 1}, not a collection');
    }
    docs = runPipeline(stages.slice(1), ctx.server.sessions?.list(listSessions) ?? [], ctx);
  } else if (name === undefined) {
    // db.aggregate([{ $documents: [...] }, ...]) and other collectionless pipelines.
    docs = runPipeline(stages, [{}], ctx);
    if (!(stages[0] as Doc | undefined)?.$documents) docs = [];
  } else {
    const view = resolveView(ctx, name);
    const prepared = view ? preparePipeline(view.source, [...view.pipeline, ...(pipeline as Doc[])], ctx) : preparePipeline(name, pipeline as Doc[], ctx);
    docs = runPipeline(prepared.rest, prepared.input, ctx);
  }
  ctx.server.opcounters.command++;
  const cursor = isPlainObject(cmd.cursor) ? cmd.cursor : {};
  const batchSize = cursor.batchSize === undefined ? undefined : asNumber(cursor.batchSize, 101);
  return ctx.cursors.firstBatch(namespaceOf(ctx.db, name ?? '$cmd.aggregate'), docs, batchSize);
}

/** How a change stream reads current documents and runs its own stages, in this command's context. */
export function streamReader(ctx: CommandContext): StreamReader {
  return {
    lookup: (db, coll, key) => ctx.catalog.get(db, coll)?.getById(key._id) ?? null,
    runPipeline: (rest, events) => runPipeline(rest, events, ctx),
  };
}

export const aggregateCommands: Record<string, CommandHandler> = { aggregate: aggregateCommand };
