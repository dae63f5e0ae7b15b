/**
 * Media in the database itself, through GridFS: for several app machines sharing one MongoDB (MONGODB_URI),
 * where a local disk is not shared. Files are named by their storage key, so the same bytes are stored once.
 */
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GridFSBucket, type Db, type ObjectId } from 'mongodb';
import { hashFile, storageKeyOf, storageKeyPattern, type ByteRange, type MediaStorage, type StoredFile } from './storage';

export class GridFsStorage implements MediaStorage {
  private opened: GridFSBucket | undefined;

  /** `db` is asked for on first use, so the storage can be made before the connection opens. */
  constructor(
    private readonly db: () => Db | undefined,
    private readonly bucketName = 'media',
  ) {}

  private get bucket(): GridFSBucket {
    if (!this.opened) {
      const db = this.db();
      if (!db) throw new Error('GridFS media storage: the database is not connected');
      this.opened = new GridFSBucket(db, { bucketName: this.bucketName });
    }
    return this.opened;
  }

  private async find(storageKey: string): Promise<{ _id: ObjectId; length: number } | null> {
    if (!storageKeyPattern.test(storageKey)) return null;
    const [file] = await this.bucket.find({ filename: storageKey }).sort({ uploadDate: 1 }).limit(1).toArray();
    return file ? { _id: file._id, length: file.length } : null;
  }

  async putFile(sourcePath: string): Promise<StoredFile> {
    const sha256 = await hashFile(sourcePath);
    const storageKey = storageKeyOf(sha256);
    const existing = await this.find(storageKey);
    if (existing) return { storageKey, sha256, sizeBytes: existing.length };
    // Two processes storing the same new file at once make two copies under one name: harmless, `find`
    // always picks the oldest.
    await pipeline(createReadStream(sourcePath), this.bucket.openUploadStream(storageKey, { metadata: { sha256 } }));
    return { storageKey, sha256, sizeBytes: (await stat(sourcePath)).size };
  }

  async adoptFile(sourcePath: string, sha256: string): Promise<StoredFile> {
    const storageKey = storageKeyOf(sha256);
    try {
      const existing = await this.find(storageKey);
      if (existing) return { storageKey, sha256, sizeBytes: existing.length };
      const upload = this.bucket.openUploadStream(storageKey, { metadata: { sha256 } });
      try {
        await pipeline(createReadStream(sourcePath), upload);
      } catch (error) {
        // Deletes the chunks written so far: a failed copy leaves nothing in the bucket.
        await upload.abort().catch(() => undefined);
        throw error;
      }
      return { storageKey, sha256, sizeBytes: (await stat(sourcePath)).size };
    } finally {
      await rm(sourcePath, { force: true });
    }
  }

  async remove(storageKey: string): Promise<void> {
    if (!storageKeyPattern.test(storageKey)) return;
    const files = await this.bucket.find({ filename: storageKey }).toArray();
    for (const file of files) await this.bucket.delete(file._id);
  }

  async localPath(): Promise<string | null> {
    return null;
  }

  async openRead(storageKey: string, range?: ByteRange): Promise<Readable | null> {
    const file = await this.find(storageKey);
    if (!file) return null;
    // GridFS's `end` is exclusive; an HTTP range's is inclusive.
    return this.bucket.openDownloadStream(file._id, range ? { start: range.start, end: range.end + 1 } : {});
  }
}
