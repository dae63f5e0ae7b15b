/**
 * Which database a backup tool reads: a URI given on the command line; else the app's own database, as `npm
 * start` would open it (MONGODB_URI, or the embedded engine's files under $DATA_DIR/db). For the embedded engine
 * the tool asks the running app's engine (its address is in the dbPath while it runs) and, when no process holds
 * the dbPath, opens the files itself for the duration of the command.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { ADDRESS_FILE, startEmbeddedMongo, type EngineAddress } from '../embedded/index';
import { DatabaseLockedError } from '../embedded/storage/journal';

export interface Source {
  client: MongoClient;
  /** Where the data comes from, for messages (no password). */
  description: string;
  /** The engine's dbPath when the source is the embedded engine opened or found through its files. */
  dbPath?: string;
  close(): Promise<void>;
}

export class ToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolError';
  }
}

export function redactUri(uri: string): string {
  return uri.replace(/\/\/[^@/]*@/, '//***@');
}

export async function connect(uri: string): Promise<MongoClient> {
  try {
    return await MongoClient.connect(uri, { serverSelectionTimeoutMS: 10_000 });
  } catch (error) {
    throw new ToolError(`Could not connect to ${redactUri(uri)}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The app's database: the given URI, or the embedded engine's data folder (running or not). */
export async function openSource(options: { uri?: string; dbPath?: string; create?: boolean; log: (line: string) => void }): Promise<Source> {
  if (options.uri) {
    const client = await connect(options.uri);
    return { client, description: redactUri(options.uri), close: () => client.close() };
  }
  const dbPath = options.dbPath;
  if (!dbPath) throw new ToolError('No database given: pass --uri, or --dbpath for the embedded engine.');
  const journal = path.join(dbPath, 'journal');
  if (!options.create && !(await fsp.stat(journal).catch(() => null))) {
    throw new ToolError(`There is no embedded database in ${dbPath} (no journal file). Pass --uri or --dbpath.`);
  }
  try {
    // Nobody has the folder open: read the files here, for the duration of the command.
    const engine = await startEmbeddedMongo({ dbPath, log: options.log });
    const client = await connect(engine.uri);
    options.log(`The app is not running: reading ${dbPath} directly.`);
    return {
      client,
      dbPath,
      description: `the embedded database in ${dbPath}`,
      close: async () => {
        await client.close();
        await engine.stop();
      },
    };
  } catch (error) {
    if (!(error instanceof DatabaseLockedError)) throw error;
  }
  // The running app's engine: it wrote its address into the folder once it was listening.
  let address: EngineAddress;
  try {
    address = JSON.parse(await fsp.readFile(path.join(dbPath, ADDRESS_FILE), 'utf8')) as EngineAddress;
  } catch {
    throw new ToolError(
      `${dbPath} is in use by another process, but it has not written its address (${ADDRESS_FILE}) yet. ` +
        'If the app is starting, try again in a moment; or pass --uri.',
    );
  }
  const client = await connect(address.uri);
  return { client, dbPath, description: `the running embedded database in ${dbPath} (${address.uri}, process ${address.pid})`, close: () => client.close() };
}
