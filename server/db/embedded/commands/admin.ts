/**
 * Server parameters and the admin commands drivers, ODMs and tools send, answered or refused as a MongoDB 7.0
 * standalone answers them: setParameter/getParameter (on admin only), replSetGetStatus, profile and fsync.
 */
import { EngineError, ErrorCodes } from '../errors';
import type { Doc } from '../bson/values';
import type { CommandContext, CommandHandler } from './types';

/** Parameters the engine has; `runtime` ones may be set with setParameter, the others only read. */
const PARAMETERS: Record<string, { initial: unknown; runtime: boolean; type: 'number' | 'fixed' }> = {
  logLevel: { initial: 0, runtime: true, type: 'number' },
  featureCompatibilityVersion: { initial: { version: '7.0' }, runtime: false, type: 'fixed' },
  authenticationMechanisms: { initial: [], runtime: false, type: 'fixed' },
};
/** Fields of a command that are not parameters (the generic arguments every command may carry). */
const GENERIC = new Set(['setParameter', 'getParameter', 'lsid', '$db', '$readPreference', '$clusterTime', 'comment', 'apiVersion', 'apiStrict', 'apiDeprecationErrors', 'maxTimeMS', 'writeConcern', 'readConcern']);

function values(ctx: CommandContext): Map<string, unknown> {
  ctx.server.parameters ??= new Map(Object.entries(PARAMETERS).map(([k, p]) => [k, p.initial]));
  return ctx.server.parameters;
}

function adminOnly(ctx: CommandContext, command: string): void {
  if (ctx.db !== 'admin') throw new EngineError(ErrorCodes.Unauthorized, `${command} may only be run against the admin database.`);
}

function setParameter(cmd: Doc, ctx: CommandContext): Doc {
  adminOnly(ctx, 'setParameter');
  const names = Object.keys(cmd).filter((k) => !GENERIC.has(k));
  if (names.length === 0) throw new EngineError(ErrorCodes.InvalidOptions, 'no option found to set, use help:true to see options ');
  for (const name of names) {
    const parameter = PARAMETERS[name];
    if (!parameter) throw new EngineError(ErrorCodes.InvalidOptions, `attempted to set unrecognized parameter [${name}], use help:true to see options `);
    if (!parameter.runtime) throw new EngineError(ErrorCodes.IllegalOperation, `not allowed to change [${name}] at runtime`);
    const value = cmd[name];
    if (parameter.type === 'number' && (typeof value !== 'number' || !Number.isInteger(value))) {
      throw new EngineError(ErrorCodes.BadValue, `Invalid value for ${name}: ${String(value)}`);
    }
  }
  const store = values(ctx);
  const reply: Doc = {};
  names.forEach((name, i) => {
    if (i === 0) reply.was = store.get(name);
    store.set(name, cmd[name]);
  });
  return { ...reply, ok: 1 };
}

function getParameter(cmd: Doc, ctx: CommandContext): Doc {
  adminOnly(ctx, 'getParameter');
  const store = values(ctx);
  const all = cmd.getParameter === '*' || (typeof cmd.getParameter === 'object' && cmd.getParameter !== null && (cmd.getParameter as Doc).allParameters === true);
  const names = all ? [...store.keys()] : Object.keys(cmd).filter((k) => !GENERIC.has(k));
  if (names.length === 0) throw new EngineError(ErrorCodes.InvalidOptions, 'no option found to get');
  const reply: Doc = {};
  for (const name of names) {
    if (!store.has(name)) throw new EngineError(ErrorCodes.InvalidOptions, `no option found to get`);
    reply[name] = store.get(name);
  }
  return { ...reply, ok: 1 };
}

export const adminCommands: Record<string, CommandHandler> = {
  setParameter,
  getParameter,
  // A standalone has no replica set, as MongoDB answers on a standalone server.
  replSetGetStatus: () => {
    throw new EngineError(ErrorCodes.NoReplicationEnabled, 'not running with --replSet');
  },
  // The profiler is off and stays off: level 0 (or -1, to read) answers as MongoDB; levels 1 and 2 are refused.
  profile: (cmd) => {
    const level = cmd.profile;
    if (level !== 0 && level !== -1) throw new EngineError(ErrorCodes.NotImplemented, 'the embedded engine has no profiler; only levels 0 and -1 are accepted');
    return { was: 0, slowms: 100, sampleRate: 1, ok: 1 };
  },
  // Every acknowledged write is already fsynced before its reply; the fsync lock (for file copies) is refused.
  fsync: (cmd, ctx) => {
    adminOnly(ctx, 'fsync');
    if (cmd.lock === true) throw new EngineError(ErrorCodes.NotImplemented, 'fsync with lock is not supported by the embedded engine; use npm run db:dump for a copy');
    return { numFiles: 1, ok: 1 };
  },
};
