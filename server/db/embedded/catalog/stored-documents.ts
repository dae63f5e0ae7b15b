/**
 * A collection's documents as the engine keeps them: each one as its BSON bytes (about as compact as a document
 * gets, and what the journal and a snapshot write), decoded on read. The decoded form of the most recently used
 * documents is cached, up to a byte budget per collection, so hot documents (sessions, the enrolments being
 * worked on) are decoded once while the rest of a large collection costs only its BSON.
 *
 * Reads look like a ReadonlyMap from the document key (valueKey of _id) to the decoded document. A decoded
 * document is shared between readers and must never be changed: an update builds a new one.
 */
import { BSON } from 'bson';
import { fromWire, type Doc } from '../bson/values';

/** Decoded documents kept per collection, counted in BSON bytes (the decoded form takes several times more). */
export const DEFAULT_DECODED_CACHE_BYTES = 8 * 1024 * 1024;

const bytesOfDecoded = new WeakMap<object, Buffer>();

/** The BSON bytes a stored (or decoded) document version was kept as, so the journal need not encode it again. */
export function storedBytesOf(doc: Doc): Buffer | undefined {
  return bytesOfDecoded.get(doc);
}

/** The engine's in-memory form of BSON bytes. */
export function decodeDocument(bytes: Uint8Array): Doc {
  return fromWire(BSON.deserialize(bytes, { promoteValues: false, promoteBuffers: false })) as Doc;
}

/** BSON bytes of a document, in a buffer of their own (not a slice of a larger allocation). */
export function encodeDocument(doc: Doc): Buffer {
  const encoded = BSON.serialize(doc);
  return Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
}

/** A copy of bytes in an allocation of their own, so that keeping them does not keep a large read buffer. */
export function ownCopy(bytes: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.byteLength);
  copy.set(bytes);
  return copy;
}

/**
 * Only the named top-level fields of a document, decoded (all of them when `names` is null): index keys need a
 * field or two of a 2 KB document. Walks the top level without decoding it (bson's onDemand element parser),
 * copies the wanted elements into a small document and decodes that.
 */
export function decodeFields(bytes: Uint8Array, names: ReadonlySet<string> | null): Doc {
  if (names === null) return decodeDocument(bytes);
  const elements = BSON.onDemand.parseToElements(bytes, 0);
  const picked: Array<[number, number]> = [];
  let size = 5;
  for (const element of elements) {
    const [, nameOffset, nameLength, offset, length] = element;
    if (!names.has(Buffer.from(bytes.buffer, bytes.byteOffset + nameOffset, nameLength).toString('utf8'))) continue;
    const start = nameOffset - 1; // the type byte
    picked.push([start, offset + length]);
    size += offset + length - start;
    if (picked.length === names.size) break;
  }
  const mini = Buffer.allocUnsafe(size);
  mini.writeInt32LE(size, 0);
  let at = 4;
  for (const [start, end] of picked) {
    mini.set(bytes.subarray(start, end), at);
    at += end - start;
  }
  mini[at] = 0;
  return decodeDocument(mini);
}

export class StoredDocuments implements Iterable<[string, Doc]> {
  private readonly bytes = new Map<string, Buffer>();
  /** Decoded documents, least recently used first. */
  private readonly decoded = new Map<string, { doc: Doc; size: number }>();
  private decodedBytes = 0;
  private total = 0;

  constructor(private readonly cacheBytes = DEFAULT_DECODED_CACHE_BYTES) {}

  get size(): number {
    return this.bytes.size;
  }

  /** Sum of the BSON sizes of the documents. */
  get byteLength(): number {
    return this.total;
  }

  has(key: string): boolean {
    return this.bytes.has(key);
  }

  get(key: string): Doc | undefined {
    const cached = this.decoded.get(key);
    if (cached) {
      // Most recently used last.
      this.decoded.delete(key);
      this.decoded.set(key, cached);
      return cached.doc;
    }
    const bytes = this.bytes.get(key);
    if (!bytes) return undefined;
    const doc = decodeDocument(bytes);
    bytesOfDecoded.set(doc, bytes);
    this.remember(key, doc, bytes.length);
    return doc;
  }

  /** The BSON bytes of a document. */
  raw(key: string): Buffer | undefined {
    return this.bytes.get(key);
  }

  /** A decoded copy that the caller owns and may change. */
  decodeCopy(key: string): Doc | undefined {
    const bytes = this.bytes.get(key);
    return bytes ? decodeDocument(bytes) : undefined;
  }

  keys(): IterableIterator<string> {
    return this.bytes.keys();
  }

  *values(): IterableIterator<Doc> {
    for (const key of this.bytes.keys()) {
      const doc = this.get(key);
      if (doc) yield doc;
    }
  }

  *entries(): IterableIterator<[string, Doc]> {
    for (const key of this.bytes.keys()) {
      const doc = this.get(key);
      if (doc) yield [key, doc];
    }
  }

  [Symbol.iterator](): IterableIterator<[string, Doc]> {
    return this.entries();
  }

  /** The keys and bytes as they are now (a document's bytes are never changed, only replaced). */
  rawEntries(): IterableIterator<[string, Buffer]> {
    return this.bytes.entries();
  }

  /** The bytes of every document as they are now, without their keys (the backup snapshot's fast path). */
  rawValues(): IterableIterator<Buffer> {
    return this.bytes.values();
  }

  /** Store a document's bytes; `doc`, when given, is its decoded form (kept as recently used). */
  set(key: string, bytes: Buffer, doc?: Doc): void {
    const previous = this.bytes.get(key);
    this.total += bytes.length - (previous?.length ?? 0);
    this.bytes.set(key, bytes);
    this.forget(key);
    if (doc) {
      bytesOfDecoded.set(doc, bytes);
      this.remember(key, doc, bytes.length);
    }
  }

  delete(key: string): boolean {
    const previous = this.bytes.get(key);
    if (!previous) return false;
    this.total -= previous.length;
    this.bytes.delete(key);
    this.forget(key);
    return true;
  }

  clear(): void {
    this.bytes.clear();
    this.decoded.clear();
    this.decodedBytes = 0;
    this.total = 0;
  }

  private remember(key: string, doc: Doc, size: number): void {
    if (size > this.cacheBytes) return;
    this.decoded.set(key, { doc, size });
    this.decodedBytes += size;
    while (this.decodedBytes > this.cacheBytes) {
      const oldest = this.decoded.keys().next();
      if (oldest.done) break;
      this.forget(oldest.value);
    }
  }

  private forget(key: string): void {
    const cached = this.decoded.get(key);
    if (!cached) return;
    this.decoded.delete(key);
    this.decodedBytes -= cached.size;
  }
}
