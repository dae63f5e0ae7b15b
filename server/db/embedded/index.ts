/**
 * The embedded MongoDB-compatible engine: `startEmbeddedMongo` opens the engine (in memory, or on a dbPath with
 * its journal) and serves the MongoDB wire protocol on 127.0.0.1, so the official driver, Mongoose and
 * connect-mongo use it through a plain `mongodb://` URI.
 */
import { Engine } from './engine';
import { listen } from './wire/server';

export interface EmbeddedMongoOptions {
  /** Directory for the journal; none means in memory. */
  dbPath?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** How often TTL indexes are enforced, in milliseconds (default 5000). */
  ttlIntervalMs?: number;
  /** Compaction threshold in bytes (default 8 MiB, and more than twice the live data). */
  compactMinBytes?: number;
  /** Where the engine's few log lines go (default: standard error). */
  log?: (line: string) => void;
}

export interface EmbeddedMongo {
  uri: string;
  stop(): Promise<void>;
}

export async function startEmbeddedMongo(opts: EmbeddedMongoOptions = {}): Promise<EmbeddedMongo> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const engine = await Engine.open({
    dbPath: opts.dbPath,
    ttlIntervalMs: opts.ttlIntervalMs,
    compactMinBytes: opts.compactMinBytes,
    log,
  });
  let server;
  try {
    server = await listen(engine, host, opts.port ?? 0, log);
  } catch (err) {
    await engine.close();
    throw err;
  }
  engine.server.host = host;
  engine.server.port = server.port;
  const wire = server;
  let stopping: Promise<void> | undefined;
  return {
    uri: `mongodb://${host}:${server.port}/`,
    stop: () => {
      stopping ??= wire.close().then(() => engine.close());
      return stopping;
    },
  };
}
