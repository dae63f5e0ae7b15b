/**
 * On-disk format of the journal.
 *
 * The file starts with an 8-byte header naming the format. After it come frames, one per write:
 *
 *   frame  = magic u32 | bodyLength u32 | bodyCrc u32 | headerCrc u32 | body
 *   body   = record+            record = length u32 | payload
 *
 * All integers are little-endian; checksums are CRC-32 (zlib's, computed natively). One frame is what one
 * flush writes (a whole commit group, so a batch inside it is atomic too): after a crash only the last frame
 * can be incomplete, because the next frame is written only once the previous one is on disk. The header has
 * its own checksum so that a frame's extent can be trusted without reading its body: that tells a torn tail
 * (the last frame cut short) from damage in the middle of the file.
 */
import { crc32 } from 'node:zlib';

export const FILE_HEADER = Buffer.from('CPJRNL01', 'latin1');
export const FRAME_MAGIC = 0x4e524a43; // "CJRN" when read as little-endian bytes
export const FRAME_HEADER_SIZE = 16;
const RECORD_HEADER_SIZE = 4;
/** Larger than any MongoDB message (48 MB), small enough to allocate. */
export const MAX_FRAME_BODY = 256 * 1024 * 1024;

const MAGIC_BYTES = Buffer.alloc(4);
MAGIC_BYTES.writeUInt32LE(FRAME_MAGIC, 0);

export function bodySizeOf(payloads: readonly Buffer[]): number {
  let size = 0;
  for (const payload of payloads) size += RECORD_HEADER_SIZE + payload.length;
  return size;
}

/** One frame holding the payloads in order. */
export function encodeFrame(payloads: readonly Buffer[]): Buffer {
  const bodyLength = bodySizeOf(payloads);
  if (bodyLength === 0) throw new RangeError('A journal frame needs at least one record');
  if (bodyLength > MAX_FRAME_BODY) {
    throw new RangeError(`A journal frame of ${bodyLength} bytes is larger than the limit of ${MAX_FRAME_BODY}`);
  }
  const frame = Buffer.allocUnsafe(FRAME_HEADER_SIZE + bodyLength);
  let at = FRAME_HEADER_SIZE;
  for (const payload of payloads) {
    frame.writeUInt32LE(payload.length, at);
    payload.copy(frame, at + RECORD_HEADER_SIZE);
    at += RECORD_HEADER_SIZE + payload.length;
  }
  frame.writeUInt32LE(FRAME_MAGIC, 0);
  frame.writeUInt32LE(bodyLength, 4);
  frame.writeUInt32LE(crc32(frame.subarray(FRAME_HEADER_SIZE)), 8);
  frame.writeUInt32LE(crc32(frame.subarray(0, 12)), 12);
  return frame;
}

/** Frames of about `targetBytes` each (a single larger payload gets its own), made as they are consumed. */
export function* encodeFrames(payloads: Iterable<Buffer>, targetBytes: number): Generator<Buffer> {
  let group: Buffer[] = [];
  let groupBytes = 0;
  for (const payload of payloads) {
    if (group.length > 0 && groupBytes + payload.length > targetBytes) {
      yield encodeFrame(group);
      group = [];
      groupBytes = 0;
    }
    group.push(payload);
    groupBytes += RECORD_HEADER_SIZE + payload.length;
  }
  if (group.length > 0) yield encodeFrame(group);
}

/**
 * The bytes of one flush of several appends (each a list of payloads): normally one frame. Each append stays
 * whole inside one frame; a flush too large for one frame is split between appends.
 */
export function encodeFlush(appends: ReadonlyArray<readonly Buffer[]>): Buffer {
  const frames: Buffer[] = [];
  let payloads: Buffer[] = [];
  let size = 0;
  for (const append of appends) {
    const appendSize = bodySizeOf(append);
    if (payloads.length > 0 && size + appendSize > MAX_FRAME_BODY) {
      frames.push(encodeFrame(payloads));
      payloads = [];
      size = 0;
    }
    for (const payload of append) payloads.push(payload);
    size += appendSize;
  }
  frames.push(encodeFrame(payloads));
  return frames.length === 1 ? (frames[0] as Buffer) : Buffer.concat(frames);
}

export interface FrameHeader {
  bodyLength: number;
  bodyCrc: number;
}

/** The header at `at`, or null when those 16 bytes are not an intact frame header. */
export function readFrameHeader(bytes: Buffer, at: number): FrameHeader | null {
  if (at + FRAME_HEADER_SIZE > bytes.length) return null;
  if (bytes.readUInt32LE(at) !== FRAME_MAGIC) return null;
  if (crc32(bytes.subarray(at, at + 12)) !== bytes.readUInt32LE(at + 12)) return null;
  const bodyLength = bytes.readUInt32LE(at + 4);
  if (bodyLength < RECORD_HEADER_SIZE || bodyLength > MAX_FRAME_BODY) return null;
  return { bodyLength, bodyCrc: bytes.readUInt32LE(at + 8) };
}

export function bodyMatches(header: FrameHeader, body: Buffer): boolean {
  return body.length === header.bodyLength && crc32(body) === header.bodyCrc;
}

/**
 * Calls `onRecord` with each payload of an intact body (views into `body`, not copies) and returns how many.
 * Returns null when the records do not tile the body exactly, which a matching checksum makes a bug, not damage.
 */
export function forEachRecord(body: Buffer, onRecord: ((payload: Buffer) => void) | null): number | null {
  let at = 0;
  let count = 0;
  while (at < body.length) {
    if (at + RECORD_HEADER_SIZE > body.length) return null;
    const length = body.readUInt32LE(at);
    const end = at + RECORD_HEADER_SIZE + length;
    if (end > body.length) return null;
    onRecord?.(body.subarray(at + RECORD_HEADER_SIZE, end));
    at = end;
    count += 1;
  }
  return count;
}

/** The offset of the first intact frame (header and body) at or after `from` within `bytes`, or -1. */
export function findIntactFrame(bytes: Buffer, from: number): number {
  let at = bytes.indexOf(MAGIC_BYTES, from);
  while (at !== -1) {
    const header = readFrameHeader(bytes, at);
    if (header) {
      const end = at + FRAME_HEADER_SIZE + header.bodyLength;
      if (end <= bytes.length && bodyMatches(header, bytes.subarray(at + FRAME_HEADER_SIZE, end))) return at;
    }
    at = bytes.indexOf(MAGIC_BYTES, at + 1);
  }
  return -1;
}
