/** The command table: finds the handler for a command document and turns failures into MongoDB error replies. */
import { asEngineError, EngineError, ErrorCodes } from '../errors';
import type { Doc } from '../bson/values';
import { evaluateLet } from '../query/variables';
import { adminCommands } from './admin';
import { aggregateCommands } from './aggregate';
import { catalogCommands } from './catalog';
import { explainCommands } from './explain';
import { handshakeCommands, noTransactions } from './handshake';
import { readCommands } from './read';
import { ChangeLog } from './change-streams';
import { LocalSessions } from './sessions';
import { snapshotCommands } from './snapshot';
import type { CommandContext, CommandHandler } from './types';
import { writeCommands } from './write';

const handlers = new Map<string, CommandHandler>(
  Object.entries({ ...handshakeCommands, ...adminCommands, ...readCommands, ...aggregateCommands, ...explainCommands, ...writeCommands, ...catalogCommands, ...snapshotCommands }),
);
const lowerCase = new Map<string, CommandHandler>([...handlers].map(([k, v]) => [k.toLowerCase(), v]));

export function commandName(cmd: Doc): string {
  return Object.keys(cmd)[0] ?? '';
}

/** Collations other than 'simple' would change what matches and how it sorts: refuse rather than ignore them. */
function refuseCollation(cmd: Doc): void {
  const found: unknown[] = [cmd.collation];
  const inner = cmd.explain;
  if (inner && typeof inner === 'object' && !Array.isArray(inner)) found.push((inner as Doc).collation);
  for (const list of [cmd.updates, cmd.deletes, cmd.indexes]) {
    if (Array.isArray(list)) for (const item of list) found.push((item as Doc | undefined)?.collation);
  }
  for (const c of found) {
    if (c && typeof c === 'object' && (c as Doc).locale !== 'simple') {
      throw new EngineError(ErrorCodes.NotImplemented, 'collation is not supported by the embedded engine; use MongoDB (MONGODB_URI) for it');
    }
  }
}

export function runCommand(cmd: Doc, ctx: CommandContext): Doc | Promise<Doc> {
  const name = commandName(cmd);
  try {
    if (cmd.startTransaction !== undefined || cmd.autocommit !== undefined) throw noTransactions();
    refuseCollation(cmd);
    // Server-wide state the command layer keeps on the ServerInfo it is given (one per engine).
    ctx.server.sessions ??= new LocalSessions();
    ctx.server.changeLog ??= new ChangeLog();
    if (cmd.lsid !== undefined) ctx.server.sessions.touch(cmd.lsid);
    const handler = handlers.get(name) ?? lowerCase.get(name.toLowerCase());
    if (!handler) throw new EngineError(ErrorCodes.CommandNotFound, `no such command: '${name}'`);
    const variables = evaluateLet(cmd.let, name);
    const reply = handler(cmd, variables ? { ...ctx, variables } : ctx);
    return reply instanceof Promise ? reply.catch(errorReply) : reply;
  } catch (err) {
    return errorReply(err);
  }
}

function errorReply(err: unknown): Doc {
  if (err instanceof TypeError && !(err instanceof EngineError)) {
    return new EngineError(ErrorCodes.TypeMismatch, err.message).toReply();
  }
  return asEngineError(err).toReply();
}
