/** insert, update, delete and findAndModify, with MongoDB's per-statement write errors. */
import type { Collection } from '../catalog/collection';
import { asEngineError, EngineError, ErrorCodes } from '../errors';
import { readDocuments } from '../query/execute';
import { compileProjection } from '../query/projection';
import { isPlainObject, valueKey, type Doc } from '../bson/values';
import { applyUpdate, isOperatorUpdate, seedFromFilter, validateUpdate, type UpdateSpec } from '../update/apply';
import { changeEvents, collectionName, type CommandContext, type CommandHandler } from './types';
import { refuseView } from './views';
import { evaluateLet } from '../query/variables';

function writeReply(n: number, errors: EngineError[], indexes: number[], extra: Doc = {}): Doc {
  const reply: Doc = { n, ...extra };
  if (errors.length) reply.writeErrors = errors.map((e, i) => e.toWriteError(indexes[i] as number));
  reply.ok = 1;
  return reply;
}

function insertCommand(cmd: Doc, ctx: CommandContext): Doc {
  const name = collectionName(cmd, 'insert');
  const documents = cmd.documents;
  if (!Array.isArray(documents)) throw new EngineError(ErrorCodes.FailedToParse, "BSON field 'insert.documents' is missing but a required field");
  const ordered = cmd.ordered !== false;
  refuseView(ctx, name);
  const collection = ctx.catalog.obtain(ctx.db, name, ctx.changes);
  const errors: EngineError[] = [];
  const errorIndexes: number[] = [];
  const inserted: Doc[] = [];
  let n = 0;
  for (let i = 0; i < documents.length; i++) {
    try {
      const doc = documents[i];
      if (!isPlainObject(doc)) throw new EngineError(ErrorCodes.TypeMismatch, 'document to insert must be an object');
      inserted.push(collection.insert(doc));
      n++;
      ctx.server.opcounters.insert++;
    } catch (err) {
      errors.push(asEngineError(err));
      errorIndexes.push(i);
      if (ordered) break;
    }
  }
  if (inserted.length) ctx.changes.record({ op: 'insert', db: ctx.db, coll: name, docs: inserted });
  const events = changeEvents(ctx);
  if (events) for (const doc of inserted) events.insert(ctx.db, name, doc);
  return writeReply(n, errors, errorIndexes);
}

interface UpdateOutcome {
  matched: number;
  modified: number;
  upsertedId?: unknown;
  before?: Doc;
  after?: Doc;
}

/** One update statement: the shared core of update and findAndModify. */
function updateStatement(
  collection: Collection,
  ctx: CommandContext,
  filter: Doc,
  spec: UpdateSpec,
  options: { multi: boolean; upsert: boolean; arrayFilters?: Doc[]; sort?: unknown; hint?: unknown },
): UpdateOutcome {
  const replacement = !Array.isArray(spec) && !isOperatorUpdate(spec);
  if (options.multi && replacement && Object.keys(spec).length > 0) {
    throw new EngineError(ErrorCodes.FailedToParse, 'multi update is not supported for replacement-style update');
  }
  const { docs } = readDocuments(collection, { filter, sort: options.sort, limit: options.multi ? 0 : 1, hint: options.hint, variables: ctx.variables });
  const outcome: UpdateOutcome = { matched: 0, modified: 0 };
  for (const doc of docs) {
    const updated = applyUpdate(doc, spec, { filter, arrayFilters: options.arrayFilters, inserting: false, variables: ctx.variables });
    outcome.matched++;
    outcome.before ??= doc;
    outcome.after ??= updated;
    ctx.server.opcounters.update++;
    if (valueKey(updated) === valueKey(doc)) continue;
    const stored = collection.replace(doc, updated);
    outcome.modified++;
    // What changed, not the whole document (a progress click on a large enrolment journals a few hundred bytes).
    ctx.changes.record(collection.updateRecord(doc, stored));
    changeEvents(ctx)?.update(collection.db, collection.name, doc, stored, replacement);
  }
  if (outcome.matched === 0 && options.upsert) {
    const seed = replacement ? {} : seedFromFilter(filter);
    const created = applyUpdate(seed, spec, { filter, arrayFilters: options.arrayFilters, inserting: true, variables: ctx.variables });
    if (created._id === undefined && replacement) {
      const seededId = seedFromFilter(filter)._id;
      if (seededId !== undefined) created._id = seededId;
    }
    const stored = collection.insert(created);
    ctx.server.opcounters.insert++;
    ctx.changes.record({ op: 'insert', db: collection.db, coll: collection.name, docs: [stored] });
    changeEvents(ctx)?.insert(collection.db, collection.name, stored);
    outcome.upsertedId = stored._id;
    outcome.after = stored;
  }
  return outcome;
}

/** The fields of an update statement MongoDB 7.0 knows; any other (8.0's `sort`, say) is refused as 7.0 does. */
const UPDATE_STATEMENT_FIELDS = new Set(['q', 'u', 'c', 'upsert', 'multi', 'arrayFilters', 'hint', 'collation', 'upsertSupplied']);
const DELETE_STATEMENT_FIELDS = new Set(['q', 'limit', 'hint', 'collation']);

function checkStatementFields(statements: unknown[], allowed: Set<string>, path: string): void {
  for (const s of statements) {
    if (!isPlainObject(s)) throw new EngineError(ErrorCodes.TypeMismatch, `BSON field '${path}' is the wrong type, expected type 'object'`);
    for (const key of Object.keys(s)) {
      if (!allowed.has(key)) throw new EngineError(ErrorCodes.IDLUnknownField, `BSON field '${path}.${key}' is an unknown field.`);
    }
  }
}

/** A statement's constants (`c`, MongoDB 5.0+) beside the command's `let` variables. */
function statementContext(ctx: CommandContext, constants: unknown): CommandContext {
  if (constants === undefined) return ctx;
  const values = evaluateLet(constants, 'update.updates.c');
  return { ...ctx, variables: { ...ctx.variables, ...values } };
}

function updateCommand(cmd: Doc, ctx: CommandContext): Doc {
  const name = collectionName(cmd, 'update');
  const statements = cmd.updates;
  if (!Array.isArray(statements)) throw new EngineError(ErrorCodes.FailedToParse, "BSON field 'update.updates' is missing but a required field");
  checkStatementFields(statements, UPDATE_STATEMENT_FIELDS, 'update.updates');
  refuseView(ctx, name);
  const ordered = cmd.ordered !== false;
  const errors: EngineError[] = [];
  const errorIndexes: number[] = [];
  const upserted: Doc[] = [];
  let n = 0;
  let nModified = 0;
  for (let i = 0; i < statements.length; i++) {
    try {
      const s = statements[i] as Doc;
      const spec = validateUpdate(s.u);
      const upsert = s.upsert === true;
      const existing = ctx.catalog.get(ctx.db, name);
      if (!existing && !upsert) continue;
      const collection = existing ?? ctx.catalog.obtain(ctx.db, name, ctx.changes);
      const outcome = updateStatement(collection, statementContext(ctx, s.c), (s.q as Doc) ?? {}, spec, {
        multi: s.multi === true,
        upsert,
        arrayFilters: s.arrayFilters as Doc[] | undefined,
        hint: s.hint,
      });
      n += outcome.matched;
      nModified += outcome.modified;
      if (outcome.upsertedId !== undefined) {
        n++;
        upserted.push({ index: i, _id: outcome.upsertedId });
      }
    } catch (err) {
      errors.push(asEngineError(err));
      errorIndexes.push(i);
      if (ordered) break;
    }
  }
  return writeReply(n, errors, errorIndexes, upserted.length ? { nModified, upserted } : { nModified });
}

function deleteCommand(cmd: Doc, ctx: CommandContext): Doc {
  const name = collectionName(cmd, 'delete');
  const statements = cmd.deletes;
  if (!Array.isArray(statements)) throw new EngineError(ErrorCodes.FailedToParse, "BSON field 'delete.deletes' is missing but a required field");
  checkStatementFields(statements, DELETE_STATEMENT_FIELDS, 'delete.deletes');
  refuseView(ctx, name);
  const ordered = cmd.ordered !== false;
  const collection = ctx.catalog.get(ctx.db, name);
  const errors: EngineError[] = [];
  const errorIndexes: number[] = [];
  let n = 0;
  for (let i = 0; i < statements.length; i++) {
    try {
      const s = statements[i] as Doc;
      if (!collection) continue;
      const limit = Number(s.limit ?? 0);
      const { docs } = readDocuments(collection, { filter: (s.q as Doc) ?? {}, limit: limit === 1 ? 1 : 0, hint: s.hint, variables: ctx.variables });
      for (const doc of docs) collection.remove(doc);
      if (docs.length) ctx.changes.record({ op: 'delete', db: ctx.db, coll: name, ids: docs.map((d) => d._id) });
      const events = changeEvents(ctx);
      if (events) for (const doc of docs) events.delete(ctx.db, name, doc._id);
      n += docs.length;
      ctx.server.opcounters.delete += docs.length;
    } catch (err) {
      errors.push(asEngineError(err));
      errorIndexes.push(i);
      if (ordered) break;
    }
  }
  return writeReply(n, errors, errorIndexes);
}

function findAndModifyCommand(cmd: Doc, ctx: CommandContext): Doc {
  const name = typeof cmd.findAndModify === 'string' ? cmd.findAndModify : collectionName(cmd, 'findandmodify');
  refuseView(ctx, name);
  const filter = (cmd.query as Doc | undefined) ?? {};
  const project = compileProjection(cmd.fields, filter, ctx.variables);
  const upsert = cmd.upsert === true;
  if (cmd.remove === true) {
    if (cmd.update !== undefined) throw new EngineError(ErrorCodes.FailedToParse, 'Cannot specify both an update and remove=true');
    const collection = ctx.catalog.get(ctx.db, name);
    const { docs } = readDocuments(collection, { filter, sort: cmd.sort, limit: 1, hint: cmd.hint, variables: ctx.variables });
    const doc = docs[0];
    if (doc && collection) {
      collection.remove(doc);
      ctx.server.opcounters.delete++;
      ctx.changes.record({ op: 'delete', db: ctx.db, coll: name, ids: [doc._id] });
      changeEvents(ctx)?.delete(ctx.db, name, doc._id);
    }
    return { lastErrorObject: { n: doc ? 1 : 0 }, value: doc ? project(doc) : null, ok: 1 };
  }
  if (cmd.update === undefined) throw new EngineError(ErrorCodes.FailedToParse, 'Either an update or remove=true must be specified');
  const spec = validateUpdate(cmd.update);
  const existing = ctx.catalog.get(ctx.db, name);
  if (!existing && !upsert) return { lastErrorObject: { n: 0, updatedExisting: false }, value: null, ok: 1 };
  const collection = existing ?? ctx.catalog.obtain(ctx.db, name, ctx.changes);
  const outcome = updateStatement(collection, ctx, filter, spec, {
    multi: false,
    upsert,
    arrayFilters: cmd.arrayFilters as Doc[] | undefined,
    sort: cmd.sort,
    hint: cmd.hint,
  });
  const lastErrorObject: Doc = { n: outcome.matched || (outcome.upsertedId !== undefined ? 1 : 0), updatedExisting: outcome.matched > 0 };
  if (outcome.upsertedId !== undefined) lastErrorObject.upserted = outcome.upsertedId;
  const chosen = cmd.new === true ? outcome.after : outcome.before;
  return { lastErrorObject, value: chosen ? project(chosen) : null, ok: 1 };
}

export const writeCommands: Record<string, CommandHandler> = {
  insert: insertCommand,
  update: updateCommand,
  delete: deleteCommand,
  findAndModify: findAndModifyCommand,
  findandmodify: findAndModifyCommand,
};
