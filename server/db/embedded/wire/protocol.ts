/**
 * MongoDB wire protocol framing: the 16-byte header, OP_QUERY (only for the legacy first `hello`), OP_REPLY,
 * and OP_MSG with its kind 0 (body) and kind 1 (document sequence) sections.
 */
import { BSON } from 'bson';
import { MAX_BSON_BYTES } from '../bson/limits';
import { fromWire, type Doc } from '../bson/values';

export { MAX_BSON_BYTES };

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_MSG = 2013;

export const MAX_MESSAGE_BYTES = 48_000_000;

const FLAG_CHECKSUM_PRESENT = 1 << 0;
const FLAG_MORE_TO_COME = 1 << 1;
const KNOWN_FLAGS = FLAG_CHECKSUM_PRESENT | FLAG_MORE_TO_COME | (1 << 16);

export class ProtocolError extends Error {}

/** Room MongoDB leaves above 16 MiB for a document inside a command (16793600 bytes). */
export const MAX_DOCUMENT_IN_COMMAND = MAX_BSON_BYTES + 16 * 1024;

/**
 * A well-formed document bigger than a command may carry. MongoDB answers it with 10334 BSONObjectTooLarge and
 * keeps the connection, so this is not a ProtocolError.
 */
export class OversizedDocument extends Error {
  constructor(
    readonly size: number,
    firstElement: string,
  ) {
    super(
      `BSONObj size: ${size} (0x${size.toString(16).toUpperCase()}) is invalid. Size must be between 0 and ${MAX_DOCUMENT_IN_COMMAND}(16MB) First element: ${firstElement}`,
    );
  }
}

function describeFirstElement(doc: Doc): string {
  const [key, value] = Object.entries(doc)[0] ?? ['', undefined];
  if (typeof value === 'string') return `${key}: "${value.length > 20 ? `${value.slice(0, 20)}...` : value}"`;
  if (value && typeof value === 'object' && value.constructor?.name === 'ObjectId') return `${key}: ObjectId('${String(value)}')`;
  return `${key}: ${typeof value === 'object' ? '{ ... }' : String(value)}`;
}

export interface Header {
  length: number;
  requestId: number;
  responseTo: number;
  opCode: number;
}

export type Request =
  | { kind: 'query'; header: Header; collection: string; command: Doc }
  | { kind: 'msg'; header: Header; moreToCome: boolean; command: Doc };

/** Decode one BSON document strictly (a malformed one throws and the connection is closed). */
function decodeDocument(buf: Buffer, offset: number): { doc: Doc; size: number } {
  if (offset + 5 > buf.length) throw new ProtocolError('truncated BSON document');
  const size = buf.readInt32LE(offset);
  if (size < 5 || offset + size > buf.length) throw new ProtocolError(`invalid BSON document size ${size}`);
  const doc = BSON.deserialize(buf.subarray(offset, offset + size), {
    promoteValues: false,
    promoteBuffers: false,
    validation: { utf8: true },
  });
  if (size > MAX_DOCUMENT_IN_COMMAND) throw new OversizedDocument(size, describeFirstElement(doc));
  return { doc: fromWire(doc) as Doc, size };
}

function readCString(buf: Buffer, offset: number): { value: string; next: number } {
  const end = buf.indexOf(0, offset);
  if (end < 0) throw new ProtocolError('unterminated C string');
  return { value: buf.toString('utf8', offset, end), next: end + 1 };
}

export function parseHeader(buf: Buffer): Header {
  return {
    length: buf.readInt32LE(0),
    requestId: buf.readInt32LE(4),
    responseTo: buf.readInt32LE(8),
    opCode: buf.readInt32LE(12),
  };
}

/** Parse one complete message (header included). Throws ProtocolError on anything malformed. */
export function parseMessage(msg: Buffer): Request {
  const header = parseHeader(msg);
  if (header.opCode === OP_QUERY) {
    let offset = 16 + 4; // flags
    const name = readCString(msg, offset);
    offset = name.next + 8; // numberToSkip, numberToReturn
    const { doc } = decodeDocument(msg, offset);
    return { kind: 'query', header, collection: name.value, command: doc };
  }
  if (header.opCode === OP_MSG) {
    const flags = msg.readUInt32LE(16);
    if ((flags & ~KNOWN_FLAGS & 0xffff) !== 0) throw new ProtocolError(`unknown required OP_MSG flag bits ${flags}`);
    const end = flags & FLAG_CHECKSUM_PRESENT ? msg.length - 4 : msg.length;
    if (flags & FLAG_CHECKSUM_PRESENT) {
      if (end < 21) throw new ProtocolError('OP_MSG too short for its checksum');
      if (crc32c(msg.subarray(0, end)) !== msg.readUInt32LE(end)) throw new ProtocolError('OP_MSG checksum mismatch');
    }
    let offset = 20;
    let body: Doc | undefined;
    const sequences: Array<{ id: string; docs: Doc[] }> = [];
    while (offset < end) {
      const kind = msg.readUInt8(offset);
      offset += 1;
      if (kind === 0) {
        if (body) throw new ProtocolError('OP_MSG with two body sections');
        const { doc, size } = decodeDocument(msg, offset);
        body = doc;
        offset += size;
      } else if (kind === 1) {
        if (offset + 4 > end) throw new ProtocolError('truncated document sequence');
        const size = msg.readInt32LE(offset);
        const sectionEnd = offset + size;
        if (size < 5 || sectionEnd > end) throw new ProtocolError('invalid document sequence size');
        const id = readCString(msg, offset + 4);
        let p = id.next;
        const docs: Doc[] = [];
        while (p < sectionEnd) {
          const d = decodeDocument(msg, p);
          if (p + d.size > sectionEnd) throw new ProtocolError('document crosses its sequence');
          docs.push(d.doc);
          p += d.size;
        }
        sequences.push({ id: id.value, docs });
        offset = sectionEnd;
      } else {
        throw new ProtocolError(`unknown OP_MSG section kind ${kind}`);
      }
    }
    if (offset !== end) throw new ProtocolError('OP_MSG sections overrun the message');
    if (!body) throw new ProtocolError('OP_MSG without a body section');
    for (const seq of sequences) {
      const existing = body[seq.id];
      body[seq.id] = Array.isArray(existing) ? [...(existing as Doc[]), ...seq.docs] : seq.docs;
    }
    return { kind: 'msg', header, moreToCome: (flags & FLAG_MORE_TO_COME) !== 0, command: body };
  }
  throw new ProtocolError(`unsupported opCode ${header.opCode}`);
}

/** CRC-32C (Castagnoli), the checksum OP_MSG carries when its checksumPresent flag is set. */
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = (CRC32C_TABLE[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

let nextRequestId = 1;

function serializeReplyDoc(doc: Doc): Buffer {
  return Buffer.from(BSON.serialize(doc, { ignoreUndefined: true }));
}

export function buildOpMsg(responseTo: number, doc: Doc): Buffer {
  const body = serializeReplyDoc(doc);
  const header = Buffer.alloc(21);
  header.writeInt32LE(16 + 4 + 1 + body.length, 0);
  header.writeInt32LE(nextRequestId++ & 0x7fffffff, 4);
  header.writeInt32LE(responseTo, 8);
  header.writeInt32LE(OP_MSG, 12);
  header.writeUInt32LE(0, 16);
  header.writeUInt8(0, 20);
  return Buffer.concat([header, body]);
}

export function buildOpReply(responseTo: number, doc: Doc): Buffer {
  const body = serializeReplyDoc(doc);
  const header = Buffer.alloc(36);
  header.writeInt32LE(36 + body.length, 0);
  header.writeInt32LE(nextRequestId++ & 0x7fffffff, 4);
  header.writeInt32LE(responseTo, 8);
  header.writeInt32LE(OP_REPLY, 12);
  header.writeInt32LE(0, 16); // responseFlags
  header.writeBigInt64LE(0n, 20); // cursorID
  header.writeInt32LE(0, 28); // startingFrom
  header.writeInt32LE(1, 32); // numberReturned
  return Buffer.concat([header, body]);
}
