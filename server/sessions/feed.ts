/**
 * RevocationFeed: how every app process hears, within a second, that access was taken away in another process.
 *
 * Each process remembers sessions and signed-in people for a few seconds (../db/recent-reads.ts), so a page
 * needs no database read for them. A change made in this process forgets its own copies at once; for the
 * others, the change is announced as a note (./service.ts) and this feed, one per process, reads the notes
 * every `intervalMs` (250 ms) with one indexed query, never one per request, handing each new note to its
 * listeners (forget this person, forget this session).
 *
 * Why polling, not change streams: change streams need a replica set, which the embedded engine and a
 * single MongoDB server do not offer; a query of a tiny indexed collection four times a second costs little.
 *
 * The bound holds even when the database is slow or away: if no poll has succeeded for `staleAfterMs`, the
 * feed tells its listeners to forget everything (`onStale`), so nothing remembered outlives what the feed
 * can vouch for; reads then go to the database, which answers or fails, never with old access.
 *
 * Notes carry the database's time. Each poll asks for the notes stamped after (the newest note seen, or the
 * database's time when the feed started) minus `overlapMs`, so a note written just before a poll but stamped a little earlier is
 * still seen; notes already handed on are remembered by id and not handed on twice.
 */
import mongoose from 'mongoose';
import type { Logger } from 'pino';
import { Revocation } from './model';

export interface Revoked {
  userId?: string;
  sessionId?: string;
}

export interface RevocationListener {
  /** A note: forget what is remembered about this person or session. */
  onRevoked(revoked: Revoked): void;
  /** The feed cannot vouch for what is remembered (no poll succeeded lately): forget everything. */
  onStale(): void;
}

export interface RevocationFeedOptions {
  intervalMs?: number;
  staleAfterMs?: number;
  overlapMs?: number;
  logger?: Logger;
  /** The clock, for tests. */
  now?: () => number;
}

interface NoteFields {
  _id: unknown;
  userId?: string | null;
  sessionId?: string | null;
  at: Date;
}

/** The database's clock (the `hello` command's localTime), which stamps the notes. */
async function databaseTime(): Promise<number> {
  const db = mongoose.connection.db;
  if (!db) throw new Error('The revocation feed starts after the database is connected');
  const hello = await db.admin().command({ hello: 1 });
  const localTime: unknown = hello.localTime;
  return localTime instanceof Date ? localTime.getTime() : Date.now();
}

export class RevocationFeed {
  private readonly listeners = new Set<RevocationListener>();
  private readonly handedOn = new Map<string, number>();
  private readonly intervalMs: number;
  private readonly staleAfterMs: number;
  private readonly overlapMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  /** The newest note's time (database clock, ms); before the first note, the database's time at start. */
  private newestSeen: number;
  private lastSuccess: number;
  private reportedFailure = false;

  constructor(private readonly options: RevocationFeedOptions = {}) {
    this.intervalMs = options.intervalMs ?? 250;
    this.staleAfterMs = options.staleAfterMs ?? 750;
    this.overlapMs = options.overlapMs ?? 5_000;
    this.now = options.now ?? Date.now;
    this.newestSeen = this.now();
    this.lastSuccess = this.now();
  }

  /** Adds a listener; returns a function that removes it. */
  subscribe(listener: RevocationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Starts polling, once the database has told its time. Everything remembered before now is forgotten: the feed
   * vouches only from here.
   */
  async start(): Promise<void> {
    if (this.timer) return;
    this.newestSeen = await databaseTime();
    this.lastSuccess = this.now();
    for (const listener of this.listeners) listener.onStale();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    // The feed alone never keeps the process running: the HTTP server does.
    this.timer.unref();
  }

  /** Stops polling and waits for a poll on its way, so the database can be closed after this. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.polling;
  }

  private tick(): void {
    if (this.now() - this.lastSuccess > this.staleAfterMs) {
      for (const listener of this.listeners) listener.onStale();
    }
    // Polls never overlap: a slow one is waited for (and the check above keeps the bound meanwhile).
    if (this.polling) return;
    this.polling = this.poll().finally(() => {
      this.polling = undefined;
    });
  }

  /** One look at the notes written since the last one. Public for tests. */
  async poll(): Promise<void> {
    const started = this.now();
    try {
      const since = new Date(this.newestSeen - this.overlapMs);
      const notes = await Revocation.find({ at: { $gt: since } }, { userId: 1, sessionId: 1, at: 1 }).lean<NoteFields[]>();
      for (const note of notes) this.handOn(note);
      this.forgetOldNotes();
      this.lastSuccess = started;
      if (this.reportedFailure) this.options.logger?.info('revocation feed: reading notes again');
      this.reportedFailure = false;
    } catch (error) {
      if (!this.reportedFailure) this.options.logger?.warn({ err: error }, 'revocation feed: could not read notes; remembered sessions are not used meanwhile');
      this.reportedFailure = true;
    }
  }

  private handOn(note: NoteFields): void {
    const id = String(note._id);
    const at = note.at.getTime();
    if (at > this.newestSeen) this.newestSeen = at;
    if (this.handedOn.has(id)) return;
    this.handedOn.set(id, at);
    const revoked: Revoked = {};
    if (note.userId) revoked.userId = note.userId;
    if (note.sessionId) revoked.sessionId = note.sessionId;
    for (const listener of this.listeners) listener.onRevoked(revoked);
  }

  /** Notes older than the window are never asked for again, so their ids need not be kept. */
  private forgetOldNotes(): void {
    const oldest = this.newestSeen - this.overlapMs;
    for (const [id, at] of this.handedOn) if (at <= oldest) this.handedOn.delete(id);
  }
}
