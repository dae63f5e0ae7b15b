/** find, getMore, killCursors, count and distinct. */
import { EngineError, ErrorCodes } from '../errors';
import { readDocuments, sortDocuments, type ReadOptions } from '../query/execute';
import { compileFilter } from '../query/filter';
import { compileProjection } from '../query/projection';
import { isPlainObject, valueKey, valuesAtPath, type Doc } from '../bson/values';
import { streamReader } from './aggregate';
import { viewDocuments } from './pipeline';
import { asNumber, collectionName, namespaceOf, type CommandContext, type CommandHandler } from './types';
import { isView, resolveView } from './views';

/**
 * A read on a collection, or on a view: the view's documents filtered, sorted, skipped and limited with the same
 * functions a collection scan uses (MongoDB turns such a read into an aggregation over the view's pipeline).
 */
function readSource(ctx: CommandContext, name: string, options: ReadOptions): Doc[] {
  const view = resolveView(ctx, name);
  if (!view) return readDocuments(ctx.catalog.get(ctx.db, name), options).docs;
  if (options.hint !== undefined) throw new EngineError(ErrorCodes.OptionNotSupportedOnView, 'hint not supported on a view');
  const filter = compileFilter(options.filter, options.variables);
  let docs = viewDocuments(view, ctx).filter((d) => filter.test(d));
  if (options.sort !== undefined) docs = sortDocuments(docs, options.sort);
  const skip = Math.max(0, options.skip ?? 0);
  return docs.slice(skip, options.limit ? skip + options.limit : undefined);
}

function findCommand(cmd: Doc, ctx: CommandContext): Doc {
  const name = collectionName(cmd, 'find');
  if (cmd.filter !== undefined && !isPlainObject(cmd.filter)) {
    throw new EngineError(ErrorCodes.TypeMismatch, "BSON field 'FindCommandRequest.filter' is the wrong type, expected type 'object'");
  }
  let limit = asNumber(cmd.limit, 0);
  let singleBatch = cmd.singleBatch === true;
  if (limit < 0) {
    limit = -limit;
    singleBatch = true;
  }
  const filter = (cmd.filter as Doc | undefined) ?? {};
  const docs = readSource(ctx, name, { filter, sort: cmd.sort, skip: asNumber(cmd.skip, 0), limit, hint: cmd.hint, variables: ctx.variables });
  ctx.server.opcounters.query++;
  const project = compileProjection(cmd.projection, filter, ctx.variables);
  const projected = cmd.projection ? docs.map(project) : docs;
  const batchSize = cmd.batchSize === undefined ? undefined : asNumber(cmd.batchSize, 101);
  return ctx.cursors.firstBatch(namespaceOf(ctx.db, name), projected, batchSize, singleBatch);
}

function countCommand(cmd: Doc, ctx: CommandContext): Doc {
  const name = collectionName(cmd, 'count');
  const collection = ctx.catalog.get(ctx.db, name);
  const query = (cmd.query as Doc | undefined) ?? {};
  const skip = asNumber(cmd.skip, 0);
  const limit = Math.abs(asNumber(cmd.limit, 0));
  if (collection && !isView(collection) && Object.keys(query).length === 0) {
    const total = Math.max(0, collection.docs.size - skip);
    return { n: limit ? Math.min(limit, total) : total, ok: 1 };
  }
  const docs = readSource(ctx, name, { filter: query, skip, limit, hint: cmd.hint });
  return { n: docs.length, ok: 1 };
}

function distinctCommand(cmd: Doc, ctx: CommandContext): Doc {
  const name = collectionName(cmd, 'distinct');
  const key = cmd.key;
  if (typeof key !== 'string') throw new EngineError(ErrorCodes.TypeMismatch, "BSON field 'distinct.key' is the wrong type, expected type 'string'");
  const docs = readSource(ctx, name, { filter: (cmd.query as Doc | undefined) ?? {} });
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

export const readCommands: Record<string, CommandHandler> = {
  find: findCommand,
  getMore: (cmd, ctx) => {
    ctx.server.opcounters.getmore++;
    const name = typeof cmd.collection === 'string' ? cmd.collection : '';
    const batchSize = cmd.batchSize === undefined ? undefined : asNumber(cmd.batchSize, 0);
    const log = ctx.server.changeLog;
    if (log?.has(cmd.getMore)) {
      const maxTimeMS = cmd.maxTimeMS === undefined ? undefined : asNumber(cmd.maxTimeMS, 1000);
      return log.getMore(cmd.getMore, namespaceOf(ctx.db, name), maxTimeMS, batchSize, streamReader(ctx));
    }
    return ctx.cursors.getMore(namespaceOf(ctx.db, name), cmd.getMore, batchSize);
  },
  killCursors: (cmd, ctx) => {
    const ids = Array.isArray(cmd.cursors) ? cmd.cursors : [];
    const streams = ids.filter((id) => ctx.server.changeLog?.kill(id));
    const reply = ctx.cursors.kill(ids.filter((id) => !streams.includes(id)));
    (reply.cursorsKilled as unknown[]).push(...streams);
    return reply;
  },
  count: countCommand,
  distinct: distinctCommand,
};
