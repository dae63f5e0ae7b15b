/**
 * Backup and the way out to MongoDB:
 *
 *   npm run db:dump -- --out DIR [--uri URI | --dbpath DIR] [--db NAME]
 *   npm run db:restore -- DIR [--uri URI | --dbpath DIR] [--db NAME] [--to-db NAME] [--drop]
 *   npm run db:copy -- --to URI [--uri URI | --dbpath DIR] [--db NAME] [--to-db NAME] [--drop]
 *
 * Without --uri or --dbpath they use the app's database as `npm start` does: MONGODB_URI, else the embedded
 * engine's files in $DATA_DIR/db, through the running app's engine when it runs (the dump is then taken while it
 * serves requests) and by opening the files when it does not. Exit code 0 on success, 1 on failure, 2 for bad
 * arguments.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../../config';
import { copyDatabase } from './copy';
import { dumpDatabase } from './dump';
import type { LoadedCollection } from './load';
import { restoreDump } from './restore';
import { connect, openSource, redactUri, ToolError } from './source';

const USAGE = `Usage:
  npm run db:dump -- --out DIR [--uri URI | --dbpath DIR] [--db NAME]
  npm run db:restore -- DIR [--uri URI | --dbpath DIR] [--db NAME] [--to-db NAME] [--drop]
  npm run db:copy -- --to URI [--uri URI | --dbpath DIR] [--db NAME] [--to-db NAME] [--drop]
Without --uri or --dbpath: the app's database (MONGODB_URI, else the embedded engine in $DATA_DIR/db).
`;

class UsageError extends Error {}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** The app's database from its settings, when neither --uri nor --dbpath is given. */
function appDatabase(): { uri?: string; dbPath?: string } {
  const config = loadConfig();
  return config.mongodbUri ? { uri: config.mongodbUri } : { dbPath: path.join(config.dataDir, 'db') };
}

function describeLoaded(collections: LoadedCollection[]): void {
  for (const c of collections) {
    print(`  ${c.db}.${c.name}: ${c.type === 'view' ? 'view' : `${c.documents} documents, ${c.indexes} indexes, checksum ${c.checksum.slice(0, 16)}`}`);
  }
}

async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv[0]?.startsWith('-') ? ['', ...argv] : argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      uri: { type: 'string' },
      dbpath: { type: 'string' },
      db: { type: 'string' },
      'to-db': { type: 'string' },
      to: { type: 'string' },
      drop: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return;
  }
  const where = values.uri || values.dbpath ? { uri: values.uri, dbPath: values.dbpath && path.resolve(values.dbpath) } : appDatabase();

  if (command === 'dump') {
    if (!values.out || positionals.length > 0) throw new UsageError('db:dump needs --out DIR (and no other arguments).');
    const source = await openSource({ ...where, log });
    try {
      const result = await dumpDatabase(source.client, values.out, { db: values.db, expectDbPath: source.dbPath });
      print(`Dumped ${source.description} into ${path.resolve(values.out)}:`);
      for (const c of result.collections) print(`  ${c.db}.${c.name}: ${c.type === 'view' ? 'view' : `${c.documents} documents, ${c.indexes} indexes`}`);
      if (result.pointInTime) print(`A consistent copy of every collection as of ${result.snapshotTime?.toISOString() ?? 'the dump'}.`);
      else {
        print('WARNING: this server is not the embedded engine, so each collection was read on its own: the dump is not point-in-time across');
        print('collections (writes made during it may be in one collection and missing from another). For that use mongodump --oplog on a replica set.');
      }
    } finally {
      await source.close();
    }
    return;
  }

  if (command === 'restore') {
    const [dir, ...extra] = positionals;
    if (!dir || extra.length > 0 || values.out || values.to) throw new UsageError('db:restore needs the dump folder (one), and optionally --uri or --dbpath.');
    const target = await openSource({ ...where, create: true, log });
    try {
      const loaded = await restoreDump(target.client, dir, { drop: values.drop, db: values.db, toDb: values['to-db'] });
      print(`Restored ${path.resolve(dir)} into ${target.description}; every collection's count and checksum match the files:`);
      describeLoaded(loaded);
    } finally {
      await target.close();
    }
    return;
  }

  if (command === 'copy') {
    if (!values.to || positionals.length > 0 || values.out) throw new UsageError('db:copy needs --to URI (the MongoDB to copy into).');
    const source = await openSource({ ...where, log });
    try {
      const target = await connect(values.to);
      try {
        const result = await copyDatabase(source.client, target, { db: values.db, toDb: values['to-db'], drop: values.drop, expectDbPath: source.dbPath });
        print(`Copied ${source.description} to ${redactUri(values.to)}; every collection's count and checksum match the source:`);
        describeLoaded(result.collections);
        if (!result.pointInTime) print('WARNING: the source is not the embedded engine, so each collection was read on its own (not point-in-time across collections).');
      } finally {
        await target.close();
      }
    } finally {
      await source.close();
    }
    return;
  }
  throw new UsageError(`Unknown command ${command}: use dump, restore or copy.`);
}

run(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`${error.message}\n${USAGE}`);
      process.exit(2);
    }
    const known = error instanceof ToolError || error instanceof ConfigError;
    process.stderr.write(`${known ? (error as Error).message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
