/**
 * Reads this process remembers for a few seconds: the session, the signed-in person and the lesson's
 * enrolment are read on every page, and reading them from the database each time was the larger part of a
 * page's cost (bench/lesson.ts). Written here rather than taken from a cache package because of the two
 * guarantees below, which the usual TTL caches (lru-cache and the like) leave to their callers:
 *
 * - A change forgets at once. Each key has a generation, bumped by `forget`; a read that was on its way when
 *   the change happened is handed to the requests that asked for it but never remembered, since it may hold
 *   the state from before the change (a sign-out, a disabled account, a finished lesson).
 * - Requests for the same key while its read is on its way share that one read, so many requests arriving
 *   together when a remembered value runs out cost one database read, not one each.
 *
 * With several app processes, a change made by another process is seen here up to `ttlMs` late; callers
 * document what that means for them.
 */
export interface RecentReadsOptions {
  /** How long a read is remembered. */
  ttlMs: number;
  /** At most this many keys; past it everything is forgotten (a rough bound, enough for a few seconds' reads). */
  limit: number;
  /** The clock, for tests. */
  now?: () => number;
}

interface Remembered<T> {
  value: T;
  until: number;
}

interface OnItsWay<T> {
  read: Promise<T>;
  ticket: string;
}

export class RecentReads<T> {
  private readonly remembered = new Map<string, Remembered<T>>();
  private readonly onItsWay = new Map<string, OnItsWay<T>>();
  private readonly generations = new Map<string, number>();
  /** Bumped when everything is forgotten at once, so the reads on their way then are not remembered either. */
  private epoch = 0;

  private readonly now: () => number;

  constructor(private readonly options: RecentReadsOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The remembered value, without waiting (for callers on the path of every request). */
  recall(key: string): { value: T } | undefined {
    const hit = this.remembered.get(key);
    if (!hit) return undefined;
    if (hit.until > this.now()) return hit;
    this.remembered.delete(key);
    return undefined;
  }

  /** The remembered value; else the read of this key already on its way; else a new read by `load`. */
  async get(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.recall(key);
    if (hit) return hit.value;
    const ticket = this.ticket(key);
    const pending = this.onItsWay.get(key);
    if (pending && pending.ticket === ticket) return pending.read;

    const read = load();
    this.onItsWay.set(key, { read, ticket });
    try {
      const value = await read;
      if (ticket === this.ticket(key)) {
        if (this.remembered.size >= this.options.limit) this.remembered.clear();
        this.remembered.set(key, { value, until: this.now() + this.options.ttlMs });
      }
      return value;
    } finally {
      if (this.onItsWay.get(key)?.read === read) this.onItsWay.delete(key);
    }
  }

  /** After a change to what `key` reads: forget it, and do not remember a read of it already on its way. */
  forget(key: string): void {
    this.remembered.delete(key);
    this.onItsWay.delete(key);
    this.generations.set(key, (this.generations.get(key) ?? 0) + 1);
    if (this.generations.size > this.options.limit) this.forgetAll();
  }

  forgetAll(): void {
    this.remembered.clear();
    this.onItsWay.clear();
    this.generations.clear();
    this.epoch += 1;
  }

  private ticket(key: string): string {
    return `${this.epoch}:${this.generations.get(key) ?? 0}`;
  }
}
