/** What every command handler receives, and the shape of a handler. */
import type { Catalog, Changes } from '../catalog/catalog';
import type { Cursors } from '../cursors';
import type { ChangeLog } from './change-streams';
import type { LocalSessions } from './sessions';
import type { Doc } from '../bson/values';
import type { Variables } from '../query/variables';

export interface ServerInfo {
  startedAt: number;
  host: string;
  port: number;
  inMemory: boolean;
  /** The data directory, when there is one (as given when the engine was opened). */
  dbPath?: string;
  connections: { current: number; totalCreated: number };
  opcounters: Record<'insert' | 'query' | 'update' | 'delete' | 'getmore' | 'command', number>;
  /** The logical session cache (made on the first command that uses it). */
  sessions?: LocalSessions;
  /** Server parameters (setParameter/getParameter), made on first use. */
  parameters?: Map<string, unknown>;
  /** Change events for change streams (made on the first command; records once a stream opens). */
  changeLog?: ChangeLog;
  /** The journal's counters (flushes, records, compactions, bytes), when there is a journal. */
  journal?: () => Record<string, number>;
}

export interface ConnectionInfo {
  id: number;
  remote: string;
}

export interface CommandContext {
  catalog: Catalog;
  cursors: Cursors;
  server: ServerInfo;
  connection: ConnectionInfo;
  db: string;
  changes: Changes;
  /** The command's `let` variables, evaluated once (see query/variables.ts). */
  variables?: Variables;
}

/** A handler answers at once, or later (a change stream's getMore waits for the next event). */
export type CommandHandler = (cmd: Doc, ctx: CommandContext) => Doc | Promise<Doc>;

export function collectionName(cmd: Doc, command: string): string {
  const name = cmd[command];
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`collection name has invalid type ${typeof name}`);
  }
  return name;
}

export function asNumber(v: unknown, fallback: number): number {
  if (v === undefined || v === null) return fallback;
  const n = typeof v === 'number' ? v : Number(String(v));
  return Number.isFinite(n) ? n : fallback;
}

export function namespaceOf(db: string, collection: string): string {
  return `${db}.${collection}`;
}

/** The change log when some change stream has opened (writers report their changes to it then). */
export function changeEvents(ctx: CommandContext): ChangeLog | undefined {
  const log = ctx.server.changeLog;
  return log?.active ? log : undefined;
}
