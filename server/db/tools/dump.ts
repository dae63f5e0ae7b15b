/**
 * A dump in mongodump's layout (see layout.ts) of a snapshot (see snapshot.ts). It is written into a folder next
 * to the destination and renamed into place once every file is on disk, so a dump that was interrupted never
 * looks complete.
 */
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { MongoClient } from 'mongodb';
import { fileNameOf, metadataJson } from './layout';
import { openSnapshot, type SnapshotOptions } from './snapshot';
import { ToolError } from './source';

export interface DumpedCollection {
  db: string;
  name: string;
  type: string;
  documents: number;
  bytes: number;
  indexes: number;
}

export interface DumpResult {
  pointInTime: boolean;
  snapshotTime?: Date;
  collections: DumpedCollection[];
}

const WRITE_BUFFER = 1 << 20;

/** Buffered appends to one .bson file. */
class BsonFileWriter {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private constructor(private readonly handle: FileHandle) {}

  static async create(file: string): Promise<BsonFileWriter> {
    return new BsonFileWriter(await fsp.open(file, 'wx'));
  }

  async add(bytes: Uint8Array): Promise<void> {
    this.chunks.push(bytes);
    this.buffered += bytes.length;
    if (this.buffered >= WRITE_BUFFER) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.buffered === 0) return;
    await this.handle.write(Buffer.concat(this.chunks, this.buffered));
    this.chunks = [];
    this.buffered = 0;
  }

  async close(): Promise<void> {
    try {
      await this.flush();
      await this.handle.datasync();
    } finally {
      await this.handle.close();
    }
  }

  async abandon(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}

async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await fsp.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeDurably(file: string, text: string): Promise<void> {
  const handle = await fsp.open(file, 'wx');
  try {
    await handle.writeFile(text);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

async function isEmptyOrMissing(dir: string): Promise<boolean> {
  try {
    return (await fsp.readdir(dir)).length === 0;
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return true;
    throw error;
  }
}

export async function dumpDatabase(client: MongoClient, outDir: string, options: SnapshotOptions = {}): Promise<DumpResult> {
  const out = path.resolve(outDir);
  if (!(await isEmptyOrMissing(out))) throw new ToolError(`${out} already holds files: dump into a new or empty folder.`);
  const snapshot = await openSnapshot(client, options);
  const partial = `${out}.partial-${process.pid}`;
  await fsp.rm(partial, { recursive: true, force: true });
  await fsp.mkdir(partial, { recursive: true });
  const collections: DumpedCollection[] = [];
  const dbDirs = new Set<string>();
  let writer: BsonFileWriter | undefined;
  let current: DumpedCollection | undefined;
  try {
    for await (const item of snapshot.items) {
      if ('collection' in item) {
        await writer?.close();
        writer = undefined;
        const info = item.collection;
        const dbDir = path.join(partial, info.db);
        if (!dbDirs.has(dbDir)) {
          await fsp.mkdir(dbDir, { recursive: true });
          dbDirs.add(dbDir);
        }
        const base = path.join(dbDir, fileNameOf(info.name));
        await writeDurably(`${base}.metadata.json`, metadataJson(info));
        current = { db: info.db, name: info.name, type: info.type, documents: 0, bytes: 0, indexes: info.indexes.length };
        collections.push(current);
        if (info.type !== 'view') writer = await BsonFileWriter.create(`${base}.bson`);
        continue;
      }
      if (!writer || !current) throw new Error('The snapshot gave a document before its collection');
      const bytes = item.bson;
      await writer.add(bytes);
      current.documents += 1;
      current.bytes += bytes.length;
    }
    await writer?.close();
    writer = undefined;
    for (const dir of dbDirs) await fsyncDirectory(dir);
    await fsyncDirectory(partial);
    await fsp.rm(out, { recursive: true, force: true }); // empty (checked above)
    await fsp.rename(partial, out);
    await fsyncDirectory(path.dirname(out));
  } catch (error) {
    await writer?.abandon();
    await snapshot.items.return(undefined);
    await fsp.rm(partial, { recursive: true, force: true });
    throw error;
  }
  return { pointInTime: snapshot.pointInTime, snapshotTime: snapshot.snapshotTime, collections };
}
