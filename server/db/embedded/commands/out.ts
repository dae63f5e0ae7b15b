/**
 * The writing stages that end a pipeline. `$out` replaces the target's documents as one step (its indexes and
 * options stay; a duplicate key leaves it untouched). `$merge` matches each result by its `on` fields and applies
 * whenMatched (merge, replace, keepExisting, fail or an update pipeline) and whenNotMatched (insert, discard,
 * fail), with MongoDB's checks and error codes.
 */
import { ObjectId } from 'bson';
import { Collection } from '../catalog/collection';
import { EngineError, ErrorCodes } from '../errors';
import { readDocuments } from '../query/execute';
import { Aggregator } from '../bson/mingo-context';
import { cloneDocument, isPlainObject, normaliseNumbers, valueKey, valuesAtPath, type Doc } from '../bson/values';
import { applyUpdate } from '../update/apply';
import { changeEvents, type CommandContext } from './types';
import { isView } from './views';

interface Target {
  db: string;
  coll: string;
}

function targetOf(spec: unknown, ctx: CommandContext, stage: string): Target {
  if (typeof spec === 'string' && spec.length > 0) return { db: ctx.db, coll: spec };
  if (isPlainObject(spec) && typeof spec.coll === 'string' && spec.coll.length > 0) {
    return { db: typeof spec.db === 'string' ? spec.db : ctx.db, coll: spec.coll };
  }
  throw new EngineError(ErrorCodes.FailedToParse, `${stage} requires a target collection name`);
}

function refuseViewTarget(ctx: CommandContext, target: Target): void {
  if (isView(ctx.catalog.get(target.db, target.coll))) {
    throw new EngineError(ErrorCodes.CommandNotSupportedOnView, `Namespace ${target.db}.${target.coll} is a view, not a collection`);
  }
}

/** $out: build the new contents beside the old (same options and indexes), then swap them in. */
export function writeOut(spec: unknown, docs: Doc[], ctx: CommandContext): void {
  const target = targetOf(spec, ctx, '$out');
  refuseViewTarget(ctx, target);
  const existing = ctx.catalog.get(target.db, target.coll);
  const options = existing?.options ?? {};
  const specs = existing?.indexes.slice(1).map((ix) => ix.spec) ?? [];
  // Built first so that a duplicate key (or a bad document) fails before the target changes at all.
  const staged = new Collection(target.db, target.coll, options);
  for (const ixSpec of specs) staged.createIndex(ixSpec);
  for (const doc of docs) staged.insert(doc);
  if (ctx.catalog.drop(target.db, target.coll, ctx.changes)) changeEvents(ctx)?.drop(target.db, target.coll);
  const fresh = ctx.catalog.create(target.db, target.coll, options, ctx.changes);
  for (const ixSpec of specs) {
    fresh.createIndex(ixSpec);
    ctx.changes.record({ op: 'createIndex', db: target.db, coll: target.coll, spec: ixSpec });
  }
  const stored = [...staged.docs.values()];
  for (const doc of stored) fresh.insert(doc);
  if (stored.length) ctx.changes.record({ op: 'insert', db: target.db, coll: target.coll, docs: stored });
  const events = changeEvents(ctx);
  if (events) for (const doc of stored) events.insert(target.db, target.coll, doc);
}

const WHEN_MATCHED = new Set(['replace', 'keepExisting', 'merge', 'fail']);
const WHEN_NOT_MATCHED = new Set(['insert', 'discard', 'fail']);

function enumValue(value: unknown, allowed: Set<string>, field: string, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !allowed.has(value)) {
    throw new EngineError(ErrorCodes.BadValue, `Enumeration value '${String(value)}' for field '$merge.${field}' is not a valid value.`);
  }
  return value;
}

/** The `on` fields must be covered by a unique index of the target (the _id index when `on` is _id). */
function checkOnFields(collection: Collection | undefined, on: string[]): void {
  if (on.length === 1 && on[0] === '_id') return;
  const wanted = [...on].sort().join('\0');
  const covered = collection?.indexes.some(
    (ix) => (ix.spec.unique || ix.isId) && !ix.spec.partialFilterExpression && !ix.spec.sparse && [...ix.fields].sort().join('\0') === wanted,
  );
  if (!covered) throw new EngineError(51183, 'Cannot find index to verify that join fields will be unique');
}

function onValues(doc: Doc, on: string[]): Doc {
  const filter: Doc = {};
  for (const field of on) {
    const values = valuesAtPath(doc, field);
    const v = values.length === 1 ? values[0] : undefined;
    if (v === undefined || v === null || Array.isArray(v) || values.length !== 1) {
      throw new EngineError(51132, "$merge write error: 'on' field cannot be missing, null, undefined or an array");
    }
    filter[field] = v;
  }
  return filter;
}

/** $merge's `let` values, evaluated against the result document; by default `new` is the document itself. */
function mergeVariables(letSpec: unknown, doc: Doc, ctx: CommandContext): Doc {
  if (letSpec === undefined) return { ...ctx.variables, new: doc };
  if (!isPlainObject(letSpec)) throw new EngineError(ErrorCodes.TypeMismatch, "BSON field '$merge.let' is the wrong type, expected type 'object'");
  const [values] = new Aggregator([{ $replaceWith: normaliseNumbers(letSpec) }], ctx.variables ? { variables: ctx.variables } : {}).run([doc]) as Doc[];
  return { ...ctx.variables, ...values };
}

export function writeMerge(spec: unknown, docs: Doc[], ctx: CommandContext): void {
  const options: Doc = typeof spec === 'string' ? { into: spec } : isPlainObject(spec) ? spec : {};
  if (options.into === undefined) throw new EngineError(40414, "BSON field '$merge.into' is missing but a required field");
  const target = targetOf(options.into, ctx, '$merge');
  refuseViewTarget(ctx, target);
  const on = options.on === undefined ? ['_id'] : Array.isArray(options.on) ? options.on.map(String) : [String(options.on)];
  const pipeline = Array.isArray(options.whenMatched) ? (options.whenMatched as Doc[]) : undefined;
  const whenMatched = pipeline ? 'pipeline' : enumValue(options.whenMatched, WHEN_MATCHED, 'whenMatched', 'merge');
  const whenNotMatched = enumValue(options.whenNotMatched, WHEN_NOT_MATCHED, 'whenNotMatched', 'insert');
  if (options.let !== undefined && !pipeline) {
    throw new EngineError(51199, "Cannot use 'let' variables with 'whenMatched: " + whenMatched + "' mode");
  }
  checkOnFields(ctx.catalog.get(target.db, target.coll), on);
  const collection = ctx.catalog.obtain(target.db, target.coll, ctx.changes);
  for (const result of docs) {
    const doc = result._id === undefined && on.includes('_id') ? { _id: new ObjectId(), ...result } : result;
    const filter = onValues(doc, on);
    const existing = readDocuments(collection, { filter, limit: 1 }).docs[0];
    if (!existing) {
      if (whenNotMatched === 'discard') continue;
      if (whenNotMatched === 'fail') {
        throw new EngineError(13113, '$merge could not find a matching document in the target collection for at least one document in the source collection');
      }
      const stored = collection.insert(doc);
      ctx.changes.record({ op: 'insert', db: target.db, coll: target.coll, docs: [stored] });
      changeEvents(ctx)?.insert(target.db, target.coll, stored);
      continue;
    }
    let updated: Doc;
    switch (whenMatched) {
      case 'keepExisting':
        continue;
      case 'fail':
        throw new EngineError(ErrorCodes.DuplicateKey, `E11000 duplicate key error collection: ${collection.namespace} ($merge whenMatched: fail) dup key: ${JSON.stringify(filter)}`, {
          keyPattern: Object.fromEntries(on.map((f) => [f, 1])),
          keyValue: filter,
        });
      case 'replace':
        updated = { _id: existing._id, ...cloneDocument(doc) };
        break;
      case 'pipeline':
        updated = applyUpdate(existing, pipeline as Doc[], { filter, inserting: false, variables: mergeVariables(options.let, doc, ctx) });
        break;
      default:
        updated = { ...existing, ...cloneDocument(doc) };
        break;
    }
    if (valueKey(updated) === valueKey(existing)) continue;
    collection.replace(existing, updated);
    const stored = collection.getById(existing._id) as Doc;
    ctx.changes.record(collection.updateRecord(existing, stored));
    changeEvents(ctx)?.update(target.db, target.coll, existing, stored, whenMatched === 'replace');
  }
}
