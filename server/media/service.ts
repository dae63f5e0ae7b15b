/**
 * Stored media: where the bytes live (chosen once per process by mediaStorageFor), content files stored once by
 * their bytes, and the assets the media route may send. Made once by the composition root (../services.ts).
 */
import path from 'node:path';
import mongoose, { Types } from 'mongoose';
import type { Config, UploadLimits } from '../config';
import type { AssetRef } from './types';
import { GridFsStorage } from './gridfs-storage';
import { Asset, type AssetDoc } from './model';
import { LocalDiskStorage, storageKeyOf, type MediaStorage } from './storage';
import { createUploadStore, type UploadInput, type UploadedAsset } from './uploads';

export type { UploadInput, UploadedAsset } from './uploads';

/** Where uploads in progress are written: inside the disk storage's root, so finishing one is a rename. */
export function incomingDirFor(config: Pick<Config, 'dataDir'>): string {
  return path.join(config.dataDir, 'media', '.incoming');
}

/**
 * Where this app keeps media: on local disk under $DATA_DIR/media with the embedded database (one machine), in
 * GridFS when MONGODB_URI names a MongoDB that several app machines share. The import and the media route
 * must use the same choice: both call this.
 */
export function mediaStorageFor(config: Pick<Config, 'dataDir' | 'mongodbUri'>): MediaStorage {
  if (config.mongodbUri) return new GridFsStorage(() => mongoose.connection.db);
  return new LocalDiskStorage(path.join(config.dataDir, 'media'));
}

/** What the media route needs to send a file. */
export interface ServableAsset {
  id: string;
  originalName: string;
  mimeType: string;
  sizeBytes: number;
  sha256: string;
  storageKey: string;
  /** Smaller copies of a picture, by width. */
  variants: { width: number; storageKey: string; sizeBytes: number; sha256: string }[];
}

/**
 * Stored bytes never change under an id (content-addressed), so a found asset can be remembered: the cache is
 * owned by the composition root (../services.ts), one per app.
 */
export type ServableAssetCache = Map<string, ServableAsset>;
const cacheLimit = 5000;

export function createServableAssetCache(): ServableAssetCache {
  return new Map();
}

export interface MediaServiceDeps {
  /** Where the bytes live (mediaStorageFor, once per process). */
  storage: MediaStorage;
  servableAssets: ServableAssetCache;
  /** For uploads by people (storeUpload): the incoming folder (incomingDirFor) and the size limit per kind. */
  uploads?: { incomingDir: string; limits: UploadLimits };
}

export function createMediaService({ storage, servableAssets: servableCache, uploads }: MediaServiceDeps) {
  const uploadStore = uploads ? createUploadStore({ storage, ...uploads }) : undefined;

  /**
   * Streams a person's upload into storage and records it as an Asset: the one way authoring pages store files.
   * Refusals (wrong type for the kind, too large, empty, unreadable picture) are `Invalid` with a message naming
   * the file and why; a refused, interrupted or failed upload leaves no file and no record.
   */
  async function storeUpload(input: UploadInput): Promise<UploadedAsset> {
    if (!uploadStore) throw new Error('This media service was made without uploads (createMediaService({ uploads }))');
    return uploadStore.storeUpload(input);
  }

  /** Removes an upload's record and its bytes (unless shared with another record). */
  async function discardUpload(assetId: string): Promise<void> {
    if (!uploadStore) return;
    servableCache.delete(assetId);
    await uploadStore.discardUpload(assetId);
  }

  /**
   * Stores a file that came with a course's content (already checked by validate.ts) and returns its reference.
   * A file with the same bytes and type is stored once: re-importing a course reuses its assets, so asset ids stay
   * the same across versions and an unchanged clip does not count as a change.
   */
  async function storeContentFile(
    filePath: string,
    details: { originalName: string; mimeType: string; altText?: string },
  ): Promise<AssetRef> {
    const stored = await storage.putFile(filePath);
    const existing = await Asset.findOne(
      { sha256: stored.sha256, mimeType: details.mimeType, source: 'content', status: 'ready' },
      '_id originalName',
    ).lean<Pick<AssetDoc, '_id' | 'originalName'>>();
    if (existing) {
      return { assetId: existing._id.toString(), fileName: existing.originalName, mimeType: details.mimeType, sizeBytes: stored.sizeBytes };
    }
    const created = await Asset.create({
      originalName: details.originalName,
      mimeType: details.mimeType,
      sizeBytes: stored.sizeBytes,
      sha256: stored.sha256,
      storageKey: stored.storageKey,
      source: 'content',
      altText: details.altText ?? '',
      status: 'ready',
    });
    return { assetId: created._id.toString(), fileName: details.originalName, mimeType: details.mimeType, sizeBytes: stored.sizeBytes };
  }

  /**
   * The assets for media files of a course's source (already in storage under their sha256), by `sha256 type`:
   * an existing ready asset with the same bytes and type is reused (a content file or an upload), else a content
   * asset is recorded for the stored bytes. What a draft's blocks point at when its source is compiled.
   */
  async function assetsForSourceMedia(entries: Array<{ path: string; sha256: string; mimeType: string; sizeBytes: number }>): Promise<Map<string, AssetRef>> {
    const result = new Map<string, AssetRef>();
    const wanted = entries.filter((entry) => entry.mimeType && /^[0-9a-f]{64}$/.test(entry.sha256));
    if (wanted.length === 0) return result;
    const rows = await Asset.find({ sha256: { $in: [...new Set(wanted.map((e) => e.sha256))] }, status: 'ready' }, '_id sha256 mimeType originalName source')
      .sort({ createdAt: 1 })
      .lean<Array<Pick<AssetDoc, '_id' | 'sha256' | 'mimeType' | 'originalName' | 'source'>>>();
    const found = new Map<string, string>();
    // Content assets first: the ids an import gave stay the ids of the same files in later versions.
    for (const row of [...rows.filter((r) => r.source === 'content'), ...rows.filter((r) => r.source !== 'content')]) {
      const key = `${row.sha256} ${row.mimeType}`;
      if (!found.has(key)) found.set(key, row._id.toString());
    }
    for (const entry of wanted) {
      const key = `${entry.sha256} ${entry.mimeType}`;
      let assetId = found.get(key);
      if (!assetId) {
        const created = await Asset.create({
          originalName: path.posix.basename(entry.path),
          mimeType: entry.mimeType,
          sizeBytes: entry.sizeBytes,
          sha256: entry.sha256,
          storageKey: storageKeyOf(entry.sha256),
          source: 'content',
          status: 'ready',
        });
        assetId = created._id.toString();
        found.set(key, assetId);
      }
      result.set(key, { assetId, fileName: path.posix.basename(entry.path), mimeType: entry.mimeType, sizeBytes: entry.sizeBytes });
    }
    return result;
  }

  /** One of a person's own uploads, as storeUpload returned it; null if absent or someone else's. */
  async function findUpload(assetId: string, uploadedBy: string): Promise<UploadedAsset | null> {
    if (!Types.ObjectId.isValid(assetId) || !Types.ObjectId.isValid(uploadedBy)) return null;
    const doc = await Asset.findOne({ _id: assetId, source: 'upload', uploadedBy, status: 'ready' }).lean<AssetDoc>();
    if (!doc) return null;
    return {
      assetId: doc._id.toString(),
      fileName: doc.originalName,
      kind: (doc.kind ?? 'document') as UploadedAsset['kind'],
      mimeType: doc.mimeType,
      sizeBytes: doc.sizeBytes,
      sha256: doc.sha256,
      width: doc.width ?? null,
      height: doc.height ?? null,
      widths: doc.width ? [...(doc.variants ?? []).map((variant) => variant.width), doc.width] : [],
    };
  }

  async function findServableAsset(assetId: string): Promise<ServableAsset | null> {
    if (!Types.ObjectId.isValid(assetId) || String(new Types.ObjectId(assetId)) !== assetId) return null;
    const cached = servableCache.get(assetId);
    if (cached) return cached;
    const doc = await Asset.findOne({ _id: assetId, status: 'ready' }, 'originalName mimeType sizeBytes sha256 storageKey variants').lean<AssetDoc>();
    if (!doc) return null;
    const asset: ServableAsset = {
      id: assetId,
      originalName: doc.originalName,
      mimeType: doc.mimeType,
      sizeBytes: doc.sizeBytes,
      sha256: doc.sha256,
      storageKey: doc.storageKey,
      variants: (doc.variants ?? []).map(({ width, storageKey, sizeBytes, sha256 }) => ({ width, storageKey, sizeBytes, sha256 })),
    };
    if (servableCache.size >= cacheLimit) servableCache.clear();
    servableCache.set(assetId, asset);
    return asset;
  }

  return {
    /** Where the bytes live, for the media route to stream from. */
    storage,
    storeContentFile,
    assetsForSourceMedia,
    storeUpload,
    discardUpload,
    findUpload,
    /** Largest upload per kind, in bytes (from configuration). */
    uploadLimits: uploads?.limits ?? ({ image: 0, audio: 0, video: 0, document: 0, captions: 0 } as UploadLimits),
    findServableAsset,
  };
}

export type MediaService = ReturnType<typeof createMediaService>;
