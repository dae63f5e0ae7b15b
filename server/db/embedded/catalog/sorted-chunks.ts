/**
 * A sorted sequence kept as a list of small sorted arrays ("chunks"). Binary search finds the chunk, then the
 * place inside it; an insert or delete moves at most one chunk's worth of entries, where one big sorted array
 * would move half the index on every write.
 */
export interface Position {
  chunk: number;
  index: number;
}

export class SortedChunks<T> {
  private chunks: T[][] = [];
  private count = 0;

  constructor(private readonly maxChunk = 256) {}

  get size(): number {
    return this.count;
  }

  /** Replace the contents by an already sorted array. */
  load(sorted: T[]): void {
    this.chunks = [];
    const half = this.maxChunk >>> 1;
    for (let i = 0; i < sorted.length; i += half) this.chunks.push(sorted.slice(i, i + half));
    this.count = sorted.length;
  }

  clear(): void {
    this.chunks = [];
    this.count = 0;
  }

  get end(): Position {
    return { chunk: this.chunks.length, index: 0 };
  }

  /** The first position whose entry is not `before` the target (entries before it all are). */
  lowerBound(before: (entry: T) => boolean): Position {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = this.chunks[mid] as T[];
      if (before(chunk[chunk.length - 1] as T)) lo = mid + 1;
      else hi = mid;
    }
    if (lo === this.chunks.length) return this.end;
    const chunk = this.chunks[lo] as T[];
    let a = 0;
    let b = chunk.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (before(chunk[mid] as T)) a = mid + 1;
      else b = mid;
    }
    return { chunk: lo, index: a };
  }

  at(pos: Position): T | undefined {
    return this.chunks[pos.chunk]?.[pos.index];
  }

  insertAt(pos: Position, entry: T): void {
    this.count++;
    if (this.chunks.length === 0) {
      this.chunks.push([entry]);
      return;
    }
    let { chunk: c, index: i } = pos;
    if (c >= this.chunks.length) {
      c = this.chunks.length - 1;
      i = (this.chunks[c] as T[]).length;
    }
    const chunk = this.chunks[c] as T[];
    chunk.splice(i, 0, entry);
    if (chunk.length > this.maxChunk) {
      const tail = chunk.splice(chunk.length >>> 1);
      this.chunks.splice(c + 1, 0, tail);
    }
  }

  removeAt(pos: Position): void {
    const chunk = this.chunks[pos.chunk];
    if (!chunk || pos.index >= chunk.length) return;
    chunk.splice(pos.index, 1);
    this.count--;
    if (chunk.length === 0) this.chunks.splice(pos.chunk, 1);
  }

  /** Visit entries from `from` (inclusive) to `to` (exclusive), forwards or backwards; stop when visit says false. */
  range(from: Position, to: Position, reverse: boolean, visit: (entry: T) => boolean): void {
    if (!reverse) {
      for (let c = from.chunk; c < this.chunks.length && c <= to.chunk; c++) {
        const chunk = this.chunks[c] as T[];
        const start = c === from.chunk ? from.index : 0;
        const stop = c === to.chunk ? to.index : chunk.length;
        for (let i = start; i < stop; i++) if (!visit(chunk[i] as T)) return;
      }
      return;
    }
    for (let c = Math.min(to.chunk, this.chunks.length - 1); c >= from.chunk; c--) {
      const chunk = this.chunks[c] as T[];
      const stop = c === to.chunk ? to.index : chunk.length;
      const start = c === from.chunk ? from.index : 0;
      for (let i = stop - 1; i >= start; i--) if (!visit(chunk[i] as T)) return;
    }
  }
}
