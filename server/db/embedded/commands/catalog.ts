/** Collections, databases and indexes: create, drop, list, rename, collMod and stats. */
import { defaultIndexName, type Collection } from '../catalog/collection';
import type { IndexSpec } from '../catalog/index-store';
import { EngineError, ErrorCodes } from '../errors';
import { compileFilter } from '../query/filter';
import { isPlainObject, type Doc } from '../bson/values';
import { asNumber, changeEvents, collectionName, type CommandContext, type CommandHandler } from './types';
import { isView, notOnView, refuseView, validateViewOptions } from './views';

function namespaceNotFound(): EngineError {
  return new EngineError(ErrorCodes.NamespaceNotFound, 'ns does not exist');
}

function validateIndexSpec(raw: unknown): IndexSpec {
  if (!isPlainObject(raw) || !isPlainObject(raw.key) || Object.keys(raw.key).length === 0) {
    throw new EngineError(ErrorCodes.FailedToParse, 'Index key pattern must be a non-empty object');
  }
  for (const [field, dir] of Object.entries(raw.key)) {
    if (dir === 'text' || dir === '2dsphere' || dir === '2d' || dir === 'geoHaystack') {
      throw new EngineError(ErrorCodes.NotImplemented, `${String(dir)} indexes are not supported by the embedded engine; use MongoDB for them`);
    }
    if (dir === 'hashed' || dir === 'wildcard' || field.includes('$**')) {
      throw new EngineError(ErrorCodes.NotImplemented, `${String(dir)} indexes are not supported by the embedded engine`);
    }
    if (typeof dir !== 'number' || (dir !== 1 && dir !== -1)) {
      throw new EngineError(ErrorCodes.BadValue, `Values in the index key pattern can only be 1 or -1, found ${String(dir)} for field ${field}`);
    }
  }
  const spec: IndexSpec = { ...raw, key: raw.key as Record<string, number>, name: typeof raw.name === 'string' ? raw.name : defaultIndexName(raw.key) };
  if (spec.partialFilterExpression !== undefined) compileFilter(spec.partialFilterExpression);
  if (spec.expireAfterSeconds !== undefined && Object.keys(spec.key).length !== 1) {
    throw new EngineError(ErrorCodes.InvalidOptions, 'TTL index can only be used on single field indexes');
  }
  delete spec.background;
  return spec;
}

function createIndexes(cmd: Doc, ctx: CommandContext): Doc {
  const name = collectionName(cmd, 'createIndexes');
  if (!Array.isArray(cmd.indexes)) throw new EngineError(ErrorCodes.FailedToParse, "BSON field 'createIndexes.indexes' is missing but a required field");
  refuseView(ctx, name);
  const specs = cmd.indexes.map(validateIndexSpec);
  const existed = Boolean(ctx.catalog.get(ctx.db, name));
  const collection = ctx.catalog.obtain(ctx.db, name, ctx.changes);
  const before = collection.indexes.length;
  for (const spec of specs) {
    if (collection.createIndex(spec)) {
      ctx.changes.record({ op: 'createIndex', db: ctx.db, coll: name, spec: collection.findIndex(spec.name)?.spec ?? spec });
    }
  }
  const reply: Doc = {
    numIndexesBefore: before,
    numIndexesAfter: collection.indexes.length,
    createdCollectionAutomatically: !existed,
    ok: 1,
  };
  if (before === collection.indexes.length) reply.note = 'all indexes already exist';
  return reply;
}

function listIndexes(cmd: Doc, ctx: CommandContext): Doc {
  const name = collectionName(cmd, 'listIndexes');
  const collection = ctx.catalog.get(ctx.db, name);
  if (!collection) throw new EngineError(ErrorCodes.NamespaceNotFound, `ns does not exist: ${ctx.db}.${name}`);
  if (isView(collection)) throw notOnView(ctx, name);
  const specs = collection.indexes.map((ix) => ({ v: 2, ...ix.spec }));
  const cursor = isPlainObject(cmd.cursor) ? cmd.cursor : {};
  return ctx.cursors.firstBatch(`${ctx.db}.$cmd.listIndexes.${name}`, specs, cursor.batchSize === undefined ? undefined : asNumber(cursor.batchSize, 101));
}

function dropIndexes(cmd: Doc, ctx: CommandContext): Doc {
  const name = collectionName(cmd, 'dropIndexes');
  const collection = ctx.catalog.get(ctx.db, name);
  if (!collection) throw new EngineError(ErrorCodes.NamespaceNotFound, `ns not found ${ctx.db}.${name}`);
  if (isView(collection)) throw notOnView(ctx, name);
  const before = collection.indexes.length;
  const target = cmd.index;
  let names: string[];
  if (target === '*') names = collection.indexes.slice(1).map((ix) => ix.name);
  else if (typeof target === 'string') names = [target];
  else if (Array.isArray(target)) names = target.map(String);
  else if (isPlainObject(target)) {
    const found = collection.indexes.find((ix) => JSON.stringify(ix.spec.key) === JSON.stringify(target));
    if (!found) throw new EngineError(ErrorCodes.IndexNotFound, `can't find index with key: ${JSON.stringify(target)}`);
    names = [found.name];
  } else throw new EngineError(ErrorCodes.TypeMismatch, "BSON field 'dropIndexes.index' is the wrong type");
  for (const n of names) {
    collection.dropIndex(n);
    ctx.changes.record({ op: 'dropIndex', db: ctx.db, coll: name, name: n });
  }
  return { nIndexesWas: before, ok: 1 };
}

function listCollections(cmd: Doc, ctx: CommandContext): Doc {
  const filter = compileFilter(cmd.filter);
  const nameOnly = cmd.nameOnly === true;
  const infos = ctx.catalog
    .collections(ctx.db)
    .map((c) => isView(c) ? viewInfo(c, nameOnly) : (nameOnly ? { name: c.name, type: 'collection' } : {
      name: c.name,
      type: 'collection',
      options: c.options,
      info: { readOnly: false },
      idIndex: { v: 2, key: { _id: 1 }, name: '_id_' },
    }))
    .filter((info) => filter.test(info));
  const cursor = isPlainObject(cmd.cursor) ? cmd.cursor : {};
  return ctx.cursors.firstBatch(`${ctx.db}.$cmd.listCollections`, infos, cursor.batchSize === undefined ? undefined : asNumber(cursor.batchSize, 101));
}

function viewInfo(view: Collection, nameOnly: boolean): Doc {
  if (nameOnly) return { name: view.name, type: 'view' };
  return { name: view.name, type: 'view', options: view.options, info: { readOnly: true } };
}

function listDatabases(cmd: Doc, ctx: CommandContext): Doc {
  const filter = compileFilter(cmd.filter);
  const databases = ctx.catalog
    .listDatabases()
    .map((name) => {
      const sizeOnDisk = ctx.catalog.collections(name).reduce((n, c) => n + c.dataBytes, 0);
      return { name, sizeOnDisk, empty: sizeOnDisk === 0 };
    })
    .filter((d) => filter.test(d));
  if (cmd.nameOnly === true) return { databases: databases.map((d) => ({ name: d.name })), ok: 1 };
  return { databases, totalSize: databases.reduce((n, d) => n + d.sizeOnDisk, 0), totalSizeMb: 0, ok: 1 };
}

function collStats(cmd: Doc, ctx: CommandContext): Doc {
  const name = collectionName(cmd, 'collStats');
  const collection = ctx.catalog.get(ctx.db, name);
  if (!collection) throw namespaceNotFound();
  if (isView(collection)) throw notOnView(ctx, name);
  const indexSizes: Doc = {};
  for (const ix of collection.indexes) indexSizes[ix.name] = ix.approximateBytes;
  const count = collection.docs.size;
  return {
    ns: collection.namespace,
    size: collection.dataBytes,
    count,
    avgObjSize: count ? Math.round(collection.dataBytes / count) : 0,
    storageSize: collection.dataBytes,
    nindexes: collection.indexes.length,
    totalIndexSize: collection.indexes.reduce((n, ix) => n + ix.approximateBytes, 0),
    indexSizes,
    capped: false,
    ok: 1,
  };
}

function dbStats(_cmd: Doc, ctx: CommandContext): Doc {
  const all = ctx.catalog.collections(ctx.db);
  const colls = all.filter((c) => !isView(c));
  const dataSize = colls.reduce((n, c) => n + c.dataBytes, 0);
  const objects = colls.reduce((n, c) => n + c.docs.size, 0);
  const indexSize = colls.reduce((n, c) => n + c.indexes.reduce((m, ix) => m + ix.approximateBytes, 0), 0);
  return {
    db: ctx.db,
    collections: colls.length,
    views: all.length - colls.length,
    objects,
    avgObjSize: objects ? dataSize / objects : 0,
    dataSize,
    storageSize: dataSize,
    indexes: colls.reduce((n, c) => n + c.indexes.length, 0),
    indexSize,
    totalSize: dataSize + indexSize,
    scaleFactor: 1,
    ok: 1,
  };
}

function collMod(cmd: Doc, ctx: CommandContext): Doc {
  const name = collectionName(cmd, 'collMod');
  const collection = ctx.catalog.get(ctx.db, name);
  if (!collection) throw namespaceNotFound();
  const reply: Doc = { ok: 1 };
  if (isView(collection)) return modifyView(cmd, collection, ctx);
  if (isPlainObject(cmd.index)) {
    const want = cmd.index;
    const ix =
      typeof want.name === 'string'
        ? collection.findIndex(want.name)
        : collection.indexes.find((i) => JSON.stringify(i.spec.key) === JSON.stringify(want.keyPattern));
    if (!ix) throw new EngineError(ErrorCodes.IndexNotFound, `cannot find index ${JSON.stringify(want.name ?? want.keyPattern)} for ns ${collection.namespace}`);
    const options: Doc = {};
    if (want.expireAfterSeconds !== undefined) {
      reply.expireAfterSeconds_old = ix.spec.expireAfterSeconds;
      reply.expireAfterSeconds_new = want.expireAfterSeconds;
      options.expireAfterSeconds = asNumber(want.expireAfterSeconds, 0);
    }
    if (want.hidden !== undefined) options.hidden = Boolean(want.hidden);
    Object.assign(ix.spec, options);
    ctx.changes.record({ op: 'setIndexOption', db: ctx.db, coll: name, name: ix.name, options });
  }
  const options: Doc = {};
  for (const key of ['validator', 'validationLevel', 'validationAction']) if (cmd[key] !== undefined) options[key] = cmd[key];
  if (Object.keys(options).length) {
    collection.options = { ...collection.options, ...options };
    ctx.changes.record({ op: 'setOptions', db: ctx.db, coll: name, options });
  }
  return reply;
}

/** collMod on a view changes its source and pipeline, and nothing else. */
function modifyView(cmd: Doc, view: Collection, ctx: CommandContext): Doc {
  for (const key of Object.keys(cmd)) {
    if (!['collMod', 'viewOn', 'pipeline', 'lsid', '$db', '$readPreference', 'writeConcern', '$clusterTime', 'comment'].includes(key)) {
      throw new EngineError(ErrorCodes.InvalidOptions, `option not supported on a view: ${key}`);
    }
  }
  const options: Doc = { viewOn: cmd.viewOn ?? view.options.viewOn, pipeline: cmd.pipeline ?? view.options.pipeline };
  validateViewOptions(options);
  view.options = { ...view.options, ...options };
  ctx.changes.record({ op: 'setOptions', db: ctx.db, coll: view.name, options });
  return { ok: 1 };
}

function renameCollection(cmd: Doc, ctx: CommandContext): Doc {
  const from = String(cmd.renameCollection ?? '');
  const to = String(cmd.to ?? '');
  const split = (ns: string): [string, string] => {
    const at = ns.indexOf('.');
    if (at <= 0) throw new EngineError(ErrorCodes.InvalidNamespace, `Invalid namespace specified '${ns}'`);
    return [ns.slice(0, at), ns.slice(at + 1)];
  };
  const [fromDb, fromColl] = split(from);
  const [toDb, toColl] = split(to);
  const replaced = ctx.catalog.get(toDb, toColl) !== undefined;
  ctx.catalog.rename(fromDb, fromColl, toDb, toColl, cmd.dropTarget === true, ctx.changes);
  const events = changeEvents(ctx);
  if (events) {
    if (replaced) events.drop(toDb, toColl);
    events.rename(fromDb, fromColl, toDb, toColl);
  }
  return { ok: 1 };
}

export const catalogCommands: Record<string, CommandHandler> = {
  create: (cmd, ctx) => {
    const name = collectionName(cmd, 'create');
    const { create: _name, ...options } = cmd;
    for (const k of ['lsid', '$db', '$readPreference', 'writeConcern', '$clusterTime', 'txnNumber', 'apiVersion', 'comment']) delete options[k];
    validateViewOptions(options);
    ctx.catalog.create(ctx.db, name, options, ctx.changes);
    return { ok: 1 };
  },
  drop: (cmd, ctx) => {
    const name = collectionName(cmd, 'drop');
    const collection = ctx.catalog.get(ctx.db, name);
    // MongoDB 7 answers ok for a missing collection too.
    if (!collection) return { ok: 1 };
    const nIndexesWas = collection.indexes.length;
    ctx.catalog.drop(ctx.db, name, ctx.changes);
    if (!isView(collection)) changeEvents(ctx)?.drop(ctx.db, name);
    return { nIndexesWas, ns: `${ctx.db}.${name}`, ok: 1 };
  },
  dropDatabase: (_cmd, ctx) => {
    const colls = ctx.catalog.collections(ctx.db).filter((c) => !isView(c)).map((c) => c.name);
    ctx.catalog.dropDatabase(ctx.db, ctx.changes);
    changeEvents(ctx)?.dropDatabase(ctx.db, colls);
    return { dropped: ctx.db, ok: 1 };
  },
  listCollections,
  listDatabases,
  createIndexes,
  listIndexes,
  dropIndexes,
  deleteIndexes: dropIndexes,
  collMod,
  renameCollection,
  collStats,
  dbStats,
  dbstats: dbStats,
};
