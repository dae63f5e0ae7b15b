/**
 * `{ coproduceSnapshot: 1 }` on the admin database: the whole catalog at one instant, for `npm run db:dump` and
 * `npm run db:copy`. An engine-specific command (a real MongoDB answers 59 CommandNotFound, and the tools fall
 * back to reading collection by collection, which is not point-in-time across collections).
 *
 * Commands run one at a time on the engine's thread and a stored document's BSON bytes are never changed, only
 * replaced, so taking the references to every collection's document bytes in this one synchronous call is a
 * consistent snapshot (nothing is decoded or copied): it holds every write applied before it and none after, whatever is written while the
 * cursor is read. Like every read here it has "local" read concern: it may hold a write whose fdatasync is still
 * under way (if that fails, the engine stops, and so does the dump).
 *
 * The cursor yields, for each collection, `{ collection: { db, name, type, options, indexes, count } }` and then
 * `{ bson: <Binary> }` for each of its `count` documents, holding the document's BSON bytes as stored. The reply also carries `snapshotTime` and the engine's `dbPath`.
 */
import { Binary } from 'bson';
import { EngineError, ErrorCodes } from '../errors';
import { isPlainObject, type Doc } from '../query/values';
import { asNumber, type CommandContext, type CommandHandler } from './types';

function coproduceSnapshot(cmd: Doc, ctx: CommandContext): Doc {
  if (ctx.db !== 'admin') {
    throw new EngineError(ErrorCodes.Unauthorized, 'coproduceSnapshot may only be run against the admin database.');
  }
  const entries: Doc[] = [];
  for (const db of ctx.catalog.listDatabases()) {
    for (const collection of ctx.catalog.collections(db)) {
      if (collection.name.startsWith('system.')) continue;
      const docs = [...collection.docs.rawEntries()].map(([, bytes]) => bytes);
      entries.push({
        collection: {
          db,
          name: collection.name,
          type: 'collection',
          options: { ...collection.options },
          indexes: collection.indexes.map((ix) => ({ v: 2, ...ix.spec })),
          count: docs.length,
        },
      });
      for (const bytes of docs) entries.push({ bson: new Binary(bytes) });
    }
  }
  const cursor = isPlainObject(cmd.cursor) ? cmd.cursor : {};
  const reply = ctx.cursors.firstBatch('admin.$cmd.coproduceSnapshot', entries, cursor.batchSize === undefined ? undefined : asNumber(cursor.batchSize, 101));
  return { ...reply, snapshotTime: new Date(), dbPath: ctx.server.dbPath ?? null };
}

export const snapshotCommands: Record<string, CommandHandler> = { coproduceSnapshot };
