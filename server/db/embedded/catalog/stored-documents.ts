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

/** The end of the zero-terminated string (a field name, a regex part) starting at `at`. */
function cstringEnd(bytes: Uint8Array, at: number): number {
  const end = bytes.indexOf(0, at);
  if (end === -1) throw new RangeError('a BSON field name runs past the end of its document');
  return end;
}

function int32At(bytes: Uint8Array, at: number): number {
  return (bytes[at] as number) | ((bytes[at + 1] as number) << 8) | ((bytes[at + 2] as number) << 16) | ((bytes[at + 3] as number) << 24);
}

/** Bytes taken by the value of a BSON element of this type starting at `at` (after its name). */
function valueLength(bytes: Uint8Array, type: number, at: number): number {
  switch (type) {
    case 0x01: // double
    case 0x09: // UTC datetime
    case 0x11: // timestamp
    case 0x12: // int64
      return 8;
    case 0x02: // string
    case 0x0d: // JavaScript code
    case 0x0e: // symbol
      return 4 + int32At(bytes, at);
    case 0x03: // document
    case 0x04: // array
    case 0x0f: // code with scope
      return int32At(bytes, at);
    case 0x05: // binary: length, subtype, bytes
      return 5 + int32At(bytes, at);
    case 0x06: // undefined
    case 0x0a: // null
    case 0x7f: // max key
    case 0xff: // min key
      return 0;
    case 0x07: // ObjectId
      return 12;
    case 0x08: // boolean
      return 1;
    case 0x0b: // regular expression: pattern and options, two C strings
      return cstringEnd(bytes, cstringEnd(bytes, at) + 1) + 1 - at;
    case 0x0c: // DBPointer: string and ObjectId
      return 4 + int32At(bytes, at) + 12;
    case 0x10: // int32
      return 4;
    case 0x13: // decimal128
      return 16;
    default:
      throw new RangeError(`unknown BSON element type ${type}`);
  }
}

/** The wanted field names as UTF-8 bytes, so that a document's names are compared without decoding them. */
const encodedNames = new WeakMap<ReadonlySet<string>, Buffer[]>();

function namesAsBytes(names: ReadonlySet<string>): Buffer[] {
  let encoded = encodedNames.get(names);
  if (!encoded) {
    encoded = [...names].map((name) => Buffer.from(name, 'utf8'));
    encodedNames.set(names, encoded);
  }
  return encoded;
}

function isWanted(bytes: Uint8Array, start: number, end: number, wanted: readonly Buffer[]): boolean {
  const length = end - start;
  for (const name of wanted) {
    if (name.length !== length) continue;
    let i = 0;
    while (i < length && name[i] === bytes[start + i]) i++;
    if (i === length) return true;
  }
  return false;
}

/**
 * Only the named top-level fields of a document, decoded (all of them when `names` is null): index keys need a
 * field or two of a 2 KB document. Walks the top level by the elements' sizes, comparing names as bytes, so
 * nothing is allocated for the fields left out (hand-written: bson's onDemand parser makes an array per element
 * and the name had to be decoded to compare it, which was most of a restart's index build), copies the wanted
 * elements into a small document and decodes that.
 */
export function decodeFields(bytes: Uint8Array, names: ReadonlySet<string> | null): Doc {
  if (names === null) return decodeDocument(bytes);
  const wanted = namesAsBytes(names);
  const documentEnd = int32At(bytes, 0) - 1; // the terminating zero
  const picked: number[] = [];
  let size = 5;
  let found = 0;
  for (let at = 4; at < documentEnd && found < wanted.length; ) {
    const type = bytes[at] as number;
    const nameEnd = cstringEnd(bytes, at + 1);
    const end = nameEnd + 1 + valueLength(bytes, type, nameEnd + 1);
    if (isWanted(bytes, at + 1, nameEnd, wanted)) {
      picked.push(at, end);
      size += end - at;
      found += 1;
    }
    at = end;
  }
  const mini = Buffer.allocUnsafe(size);
  mini.writeInt32LE(size, 0);
  let at = 4;
  for (let i = 0; i < picked.length; i += 2) {
    const start = picked[i] as number;
    const end = picked[i + 1] as number;
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

  /** Loading only (nothing is cached yet): store a document's bytes, replacing any with this key. */
  load(key: string, bytes: Buffer): void {
    const previous = this.bytes.get(key);
    if (previous) {
      this.total -= previous.length;
      this.forget(key);
    }
    this.total += bytes.length;
    this.bytes.set(key, bytes);
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
