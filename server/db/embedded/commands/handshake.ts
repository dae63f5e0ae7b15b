/** Handshake, server and connection information: hello, ping, buildInfo, serverStatus and their friends. */
import { Long, ObjectId } from 'bson';
import os from 'node:os';
import { EngineError, ErrorCodes } from '../errors';
import { MAX_BSON_BYTES, MAX_MESSAGE_BYTES } from '../wire/protocol';
import type { CommandContext, CommandHandler } from './types';

export const SERVER_VERSION = '7.0.0';
const processId = new ObjectId();

function hello(_cmd: unknown, ctx: CommandContext): Record<string, unknown> {
  // No topologyVersion: its presence switches the driver to streaming (awaitable) hello.
  return {
    helloOk: true,
    ismaster: true,
    isWritablePrimary: true,
    maxBsonObjectSize: MAX_BSON_BYTES,
    maxMessageSizeBytes: MAX_MESSAGE_BYTES,
    maxWriteBatchSize: 100000,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId: ctx.connection.id,
    minWireVersion: 0,
    maxWireVersion: 21,
    readOnly: false,
    ok: 1,
  };
}

export const handshakeCommands: Record<string, CommandHandler> = {
  hello,
  isMaster: hello,
  ismaster: hello,
  ping: () => ({ ok: 1 }),
  buildInfo: () => ({
    version: SERVER_VERSION,
    gitVersion: 'coproduce-embedded',
    versionArray: [7, 0, 0, 0],
    bits: 64,
    debug: false,
    maxBsonObjectSize: MAX_BSON_BYTES,
    storageEngines: ['embedded'],
    javascriptEngine: 'none',
    modules: [],
    ok: 1,
  }),
  whatsmyuri: (_cmd, ctx) => ({ you: ctx.connection.remote, ok: 1 }),
  connectionStatus: () => ({ authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] }, ok: 1 }),
  endSessions: (cmd, ctx) => {
    ctx.server.sessions?.end(cmd.endSessions);
    return { ok: 1 };
  },
  killSessions: () => ({ ok: 1 }),
  refreshSessions: () => ({ ok: 1 }),
  startSession: () => ({ id: { id: new ObjectId().toHexString() }, timeoutMinutes: 30, ok: 1 }),
  getLastError: () => ({ n: 0, err: null, ok: 1 }),
  getCmdLineOpts: (_cmd, ctx) => ({ argv: ['embedded'], parsed: { net: { port: ctx.server.port } }, ok: 1 }),
  getLog: () => ({ totalLinesWritten: 0, log: [], ok: 1 }),
  hostInfo: () => ({
    system: {
      currentTime: new Date(),
      hostname: os.hostname(),
      cpuAddrSize: 64,
      memSizeMB: Math.round(os.totalmem() / 1024 / 1024),
      numCores: os.cpus().length,
      cpuArch: os.arch(),
    },
    os: { type: os.type(), name: os.platform(), version: os.release() },
    extra: {},
    ok: 1,
  }),
  serverStatus: (_cmd, ctx) => {
    const mem = process.memoryUsage();
    return {
      host: `${os.hostname()}:${ctx.server.port}`,
      version: SERVER_VERSION,
      process: 'coproduce-embedded',
      pid: Long.fromNumber(process.pid),
      uptime: (Date.now() - ctx.server.startedAt) / 1000,
      uptimeMillis: Long.fromNumber(Date.now() - ctx.server.startedAt),
      localTime: new Date(),
      connections: { current: ctx.server.connections.current, available: 1000, totalCreated: ctx.server.connections.totalCreated },
      opcounters: { ...ctx.server.opcounters },
      mem: { bits: 64, resident: Math.round(mem.rss / 1024 / 1024), virtual: 0, supported: true },
      storageEngine: { name: ctx.server.inMemory ? 'embedded-memory' : 'embedded-journal', supportsCommittedReads: false, persistent: !ctx.server.inMemory },
      processId,
      // Not in MongoDB: the journal's own counters, so a benchmark can count fsyncs where the disk's are hidden.
      ...(ctx.server.journal ? { embeddedJournal: ctx.server.journal() } : {}),
      ok: 1,
    };
  },
  // A standalone has no transactions, as MongoDB answers on a standalone server.
  commitTransaction: () => {
    throw noTransactions();
  },
  abortTransaction: () => {
    throw noTransactions();
  },
};

export function noTransactions(): EngineError {
  return new EngineError(ErrorCodes.IllegalOperation, 'Transaction numbers are only allowed on a replica set member or mongos');
}
