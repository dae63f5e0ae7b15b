/**
 * Where media bytes live. Local disk by default (one machine, or a shared volume behind several app processes);
 * a GridFS or S3 storage can implement the same interface when the app runs on several machines.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat, copyFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface StoredFile {
  /** Content-addressed: the same bytes always get the same key. */
  storageKey: string;
  sha256: string;
  sizeBytes: number;
}

/** Inclusive byte positions, as in an HTTP Range header. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface MediaStorage {
  /** Copies a file into storage; storing the same bytes again is cheap and returns the same key. */
  putFile(sourcePath: string): Promise<StoredFile>;
  /**
   * Moves a finished upload (a temporary file under the incoming folder, already hashed while it streamed in)
   * into storage: no second copy on disk. The source file is gone afterwards, whatever happens.
   */
  adoptFile(sourcePath: string, sha256: string): Promise<StoredFile>;
  /** Deletes stored bytes (the media service calls it only when no record refers to them). */
  remove(storageKey: string): Promise<void>;
  /** The file on local disk for a key (so Express sends it, with Range support), or null if not on this disk. */
  localPath(storageKey: string): Promise<string | null>;
  /** The stored bytes (or a range of them) as a stream, or null if absent. */
  openRead(storageKey: string, range?: ByteRange): Promise<Readable | null>;
}

/** The key of a file: the same in every storage, so files can be moved between storages unchanged. */
export function storageKeyOf(sha256: string): string {
  return `${sha256.slice(0, 2)}/${sha256}`;
}

/** sha256 of a file, streamed so large videos are never held in memory. */
export async function hashFile(filePath: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(filePath), hash);
  return hash.digest('hex');
}

export const storageKeyPattern = /^[0-9a-f]{2}\/[0-9a-f]{64}$/;

/** Files under `root/<first two hex digits>/<sha256>`. */
export class LocalDiskStorage implements MediaStorage {
  constructor(readonly root: string) {}

  private pathOf(storageKey: string): string {
    // Keys come from our own database, but a malformed one must never reach outside the root.
    if (!storageKeyPattern.test(storageKey)) throw new Error(`Not a media storage key: ${storageKey}`);
    return path.join(this.root, storageKey);
  }

  async putFile(sourcePath: string): Promise<StoredFile> {
    const sha256 = await hashFile(sourcePath);
    const storageKey = storageKeyOf(sha256);
    const target = this.pathOf(storageKey);
    const existing = await stat(target).catch(() => null);
    if (existing?.isFile()) return { storageKey, sha256, sizeBytes: existing.size };
    await mkdir(path.dirname(target), { recursive: true });
    // Copy to a temporary name and rename, so a reader never sees half a file.
    const temporary = `${target}.${randomUUID()}.part`;
    try {
      await copyFile(sourcePath, temporary);
      await rename(temporary, target);
    } finally {
      await rm(temporary, { force: true });
    }
    const stored = await stat(target);
    return { storageKey, sha256, sizeBytes: stored.size };
  }

  async adoptFile(sourcePath: string, sha256: string): Promise<StoredFile> {
    const storageKey = storageKeyOf(sha256);
    const target = this.pathOf(storageKey);
    try {
      const existing = await stat(target).catch(() => null);
      if (existing?.isFile()) return { storageKey, sha256, sizeBytes: existing.size };
      await mkdir(path.dirname(target), { recursive: true });
      // The incoming folder is inside the root (same disk), so this is a rename, never a copy: atomic for readers.
      await rename(sourcePath, target);
      const stored = await stat(target);
      return { storageKey, sha256, sizeBytes: stored.size };
    } finally {
      await rm(sourcePath, { force: true });
    }
  }

  async remove(storageKey: string): Promise<void> {
    await rm(this.pathOf(storageKey), { force: true });
  }

  async localPath(storageKey: string): Promise<string | null> {
    const target = this.pathOf(storageKey);
    const info = await stat(target).catch(() => null);
    return info?.isFile() ? target : null;
  }

  async openRead(storageKey: string, range?: ByteRange): Promise<Readable | null> {
    const target = await this.localPath(storageKey);
    return target ? createReadStream(target, range ? { start: range.start, end: range.end } : {}) : null;
  }
}
