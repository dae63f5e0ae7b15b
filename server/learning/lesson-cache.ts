/**
 * The lesson page reads the learner's enrolment on every visit. Measured with bench/lesson.ts, that one read
 * through the embedded engine cost more than rendering the whole page, so this process remembers each
 * enrolment as the lesson page read it for a few seconds, and forgets it at once whenever this process
 * changes it (every change goes through ./service.ts).
 *
 * A read that was already on its way when a change happened must not be remembered (it may hold the state
 * from before the change): each key has a generation, bumped on every change, and a read is remembered only
 * if the generation is the one it started with. With several app processes, another process may show a
 * change up to LESSON_CACHE_MS late; progress itself is never decided from this copy (every update works on
 * the document in the database).
 */
export const LESSON_CACHE_MS = 5_000;
const LESSON_CACHE_LIMIT = 10_000;

interface Remembered<T> {
  value: T;
  until: number;
}

export class EnrolmentReadCache<T> {
  private readonly entries = new Map<string, Remembered<T>>();
  private readonly generations = new Map<string, number>();
  /** Bumped when everything is forgotten at once, so reads in flight then are not remembered either. */
  private epoch = 0;

  constructor(private readonly ttlMs = LESSON_CACHE_MS, private readonly limit = LESSON_CACHE_LIMIT) {}

  static key(learnerId: string, slug: string): string {
    return `${learnerId}\u0000${slug}`;
  }

  recall(key: string, now = Date.now()): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Marks the start of a read; pass the ticket to `remember` when it returns. */
  ticket(key: string): string {
    return `${this.epoch}:${this.generations.get(key) ?? 0}`;
  }

  remember(key: string, ticket: string, value: T, now = Date.now()): void {
    if (ticket !== this.ticket(key)) return;
    if (this.entries.size >= this.limit) this.forgetAll();
    this.entries.set(key, { value, until: now + this.ttlMs });
  }

  forget(key: string): void {
    this.entries.delete(key);
    this.generations.set(key, (this.generations.get(key) ?? 0) + 1);
    if (this.generations.size > this.limit) this.forgetAll();
  }

  forgetAll(): void {
    this.entries.clear();
    this.generations.clear();
    this.epoch += 1;
  }
}
