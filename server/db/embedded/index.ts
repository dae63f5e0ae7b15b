/**
 * The embedded MongoDB-compatible engine: `startEmbeddedMongo` opens the engine (in memory, or on a dbPath with
 * its journal) and serves the MongoDB wire protocol on 127.0.0.1, so the official driver, Mongoose and
 * connect-mongo use it through a plain `mongodb://` URI.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { Engine } from './engine';
import type { FileLayer } from './storage/file-io';
import { listen } from './wire/server';

/**
 * With a dbPath, the running engine writes its address here (and removes it when it stops), so that tools such
 * as `npm run db:dump` find the engine of a running app, which listens on a random port.
 */
export const ADDRESS_FILE = 'engine-address.json';

export interface EngineAddress {
  uri: string;
  pid: number;
}

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
  /**
   * Called once if the journal cannot be written: the engine has stopped answering (fail-stop) and the process
   * should exit non-zero after logging the cause. Default: only the log line.
   */
  onFatal?: (error: Error) => void;
  /** Where the journal opens its files: tests pass one that injects faults. Default: node:fs. */
  files?: FileLayer;
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
    onFatal: opts.onFatal,
    files: opts.files,
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
  const uri = `mongodb://${host}:${server.port}/`;
  const addressFile = opts.dbPath ? path.join(opts.dbPath, ADDRESS_FILE) : undefined;
  if (addressFile) {
    try {
      const address: EngineAddress = { uri, pid: process.pid };
      await fsp.writeFile(`${addressFile}.tmp`, `${JSON.stringify(address)}\n`);
      await fsp.rename(`${addressFile}.tmp`, addressFile);
    } catch (err) {
      await wire.close().then(() => engine.close());
      throw err;
    }
  }
  let stopping: Promise<void> | undefined;
  return {
    uri,
    stop: () => {
      stopping ??= wire
        .close()
        .then(() => (addressFile ? fsp.rm(addressFile, { force: true }) : undefined))
        .then(() => engine.close());
      return stopping;
    },
  };
}
