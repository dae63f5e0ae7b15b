/**
 * mongodump's directory layout, as mongorestore reads it: `DIR/<db>/<collection>.bson` (the documents as BSON,
 * one after another) and `DIR/<db>/<collection>.metadata.json` (canonical Extended JSON with `indexes`,
 * `options`, `collectionName` and `type`). A view has only its metadata file.
 */
import { createReadStream } from 'node:fs';
import { BSON, EJSON, type Document } from 'bson';
import type { CollectionInfo } from './snapshot';

/** A collection name as a file name: '/' and '%' (and characters file systems refuse) percent-encoded. */
export function fileNameOf(collection: string): string {
  return collection.replace(/[%/\\\0:*?"<>|]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

export function collectionOfFile(fileName: string): string {
  return fileName.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

export function metadataJson(info: CollectionInfo): string {
  const metadata: Document = { indexes: info.indexes, collectionName: info.name, type: info.type, options: info.options };
  return EJSON.stringify(metadata, { relaxed: false });
}

export function parseMetadata(text: string, file: string): { indexes: Document[]; options: Document; type: string } {
  let parsed: Document;
  try {
    parsed = EJSON.parse(text, { relaxed: false }) as Document;
  } catch (error) {
    throw new Error(`${file} is not Extended JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return {
    indexes: Array.isArray(parsed.indexes) ? (parsed.indexes as Document[]) : [],
    options: (parsed.options as Document | undefined) ?? {},
    type: typeof parsed.type === 'string' ? parsed.type : 'collection',
  };
}

const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024 + 16 * 1024;

/** The documents of a .bson file, read as a stream, with their exact BSON types. */
export async function* readBsonFile(file: string): AsyncGenerator<Document> {
  let pending: Buffer = Buffer.alloc(0);
  let offset = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    pending = pending.length === 0 ? (chunk as Buffer) : Buffer.concat([pending, chunk as Buffer]);
    let at = 0;
    while (pending.length - at >= 4) {
      const size = pending.readInt32LE(at);
      if (size < 5 || size > MAX_DOCUMENT_BYTES) throw new Error(`${file} is damaged: a document at byte ${offset + at} claims ${size} bytes`);
      if (pending.length - at < size) break;
      yield BSON.deserialize(pending.subarray(at, at + size), { promoteValues: false, promoteLongs: false, promoteBuffers: false, bsonRegExp: true });
      at += size;
    }
    offset += at;
    pending = pending.subarray(at);
  }
  if (pending.length > 0) throw new Error(`${file} ends in the middle of a document (${pending.length} bytes left over)`);
}
