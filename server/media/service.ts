/**
 * Stored media: where the bytes live (chosen once per process by mediaStorageFor), content files stored once by
 * their bytes, and the assets the media route may send. Made once by the composition root (../services.ts).
 */
import path from 'node:path';
import mongoose, { Types } from 'mongoose';
import type { Logger } from 'pino';
import type { Config, UploadLimits } from '../config';
import { hasAnyRole, type Role } from '../people';
import { Conflict, Invalid, NotFound } from '../errors';
import type { AssetRef } from './types';
import type { MediaConversion } from './conversion';
import { createCaptions } from './captions';
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
  source: 'content' | 'upload';
  uploadedBy: string | null;
  /** The playable copy of audio or video that browsers cannot all play, once made (./conversion.ts). */
  playable: { storageKey: string; sha256: string; sizeBytes: number; mimeType: string } | null;
  /** Whether a conversion is still to finish (such an answer is not remembered: it changes). */
  converting: boolean;
  /**
   * Used by a published or archived version: every signed-in person may fetch it. Once true it stays true (a
   * published version never becomes a draft again), so it is remembered with the asset.
   */
  published: boolean;
}

/** Who asks for a file: the signed-in person. */
export interface MediaViewer {
  id: string;
  roles: Role[];
}

/**
 * What a person may fetch of a file: `team` the original and the playable copy (the uploader, trainers and
 * admins, the authoring team of a course whose version uses it); `learner` what learners get (it is used by a
 * published or archived version; the catalogue shows every published course to every signed-in person);
 * null: nothing, the file is answered as absent.
 */
export type MediaAccess = 'team' | 'learner' | null;

/** Which course versions use a file and who writes which course (server/courses/media-uses.ts). */
export interface MediaUsesLookup {
  versionsUsing(input: { sha256s: string[]; assetId?: string }): Promise<{ courseId: string; status: string }[]>;
  coursesWrittenBy(userId: string, courseIds: string[]): Promise<string[]>;
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
  /** Playable copies of audio and video (./conversion.ts); without it uploads are stored as they are. */
  conversion?: MediaConversion;
  /** Who may fetch what (server/courses/media-uses.ts); without it only trainers, admins and uploaders may. */
  uses?: MediaUsesLookup;
  logger?: Logger;
}

export function createMediaService({ storage, servableAssets: servableCache, uploads, conversion, uses, logger }: MediaServiceDeps) {
  const uploadStore = uploads
    ? createUploadStore({
        storage,
        ...uploads,
        inspectMedia: conversion?.inspectUpload,
        conversionState: conversion?.stateOf,
      })
    : undefined;

  /**
   * Streams a person's upload into storage and records it as an Asset: the one way authoring pages store files.
   * Refusals (wrong type for the kind, too large, empty, unreadable picture) are `Invalid` with a message naming
   * the file and why; a refused, interrupted or failed upload leaves no file and no record.
   */
  async function storeUpload(input: UploadInput): Promise<UploadedAsset> {
    if (!uploadStore) throw new Error('This media service was made without uploads (createMediaService({ uploads }))');
    const uploaded = await uploadStore.storeUpload(input);
    if (uploaded.conversion?.status === 'queued' && conversion) {
      // If this fails the asset stays queued: resumeConversions at the next start asks again.
      await conversion.requestConversion(uploaded.assetId).catch((error: unknown) => logger?.error({ err: error }, 'could not queue a media conversion'));
    }
    return uploaded;
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
    const rows = await Asset.find({ sha256: { $in: [...new Set(wanted.map((e) => e.sha256))] }, status: 'ready' }, '_id sha256 mimeType originalName source playback')
      .sort({ createdAt: 1 })
      .lean<Array<Pick<AssetDoc, '_id' | 'sha256' | 'mimeType' | 'originalName' | 'source' | 'playback'>>>();
    // A clip with a playable copy (made, or being made: ./conversion.ts) is served as that copy, so its blocks
    // name the copy's type (a <source type="video/quicktime"> would be skipped by most browsers).
    const servedType = new Map<string, string>();
    for (const row of rows) {
      if (row.playback && row.playback.status !== 'failed') servedType.set(row._id.toString(), row.playback.targetMimeType);
    }
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
      result.set(key, { assetId, fileName: path.posix.basename(entry.path), mimeType: servedType.get(assetId) ?? entry.mimeType, sizeBytes: entry.sizeBytes });
    }
    return result;
  }

  /** An upload's record as storeUpload returns it. */
  function uploadedAssetOf(doc: AssetDoc): UploadedAsset {
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
      conversion: conversion?.stateOf(doc.playback ?? null) ?? null,
    };
  }

  /** One of a person's own uploads, as storeUpload returned it; null if absent or someone else's. */
  async function findUpload(assetId: string, uploadedBy: string): Promise<UploadedAsset | null> {
    if (!Types.ObjectId.isValid(assetId) || !Types.ObjectId.isValid(uploadedBy)) return null;
    const doc = await Asset.findOne({ _id: assetId, source: 'upload', uploadedBy, status: 'ready' }).lean<AssetDoc>();
    if (!doc) return null;
    return uploadedAssetOf(doc);
  }

  async function findServableAsset(assetId: string): Promise<ServableAsset | null> {
    if (!Types.ObjectId.isValid(assetId) || String(new Types.ObjectId(assetId)) !== assetId) return null;
    const cached = servableCache.get(assetId);
    if (cached) return cached;
    // Receipts are never sent here: only through paid involvement, to the people who may see them (findReceipt).
    const doc = await Asset.findOne({ _id: assetId, status: 'ready', kind: { $ne: 'receipt' } }, 'originalName mimeType sizeBytes sha256 storageKey variants source uploadedBy playback').lean<AssetDoc>();
    if (!doc) return null;
    const playback = doc.playback ?? null;
    const ready = playback?.status === 'ready' && playback.storageKey && playback.sha256 && playback.sizeBytes !== null;
    const asset: ServableAsset = {
      id: assetId,
      originalName: doc.originalName,
      mimeType: doc.mimeType,
      sizeBytes: doc.sizeBytes,
      sha256: doc.sha256,
      storageKey: doc.storageKey,
      variants: (doc.variants ?? []).map(({ width, storageKey, sizeBytes, sha256 }) => ({ width, storageKey, sizeBytes, sha256 })),
      source: doc.source,
      uploadedBy: doc.uploadedBy ? doc.uploadedBy.toString() : null,
      playable: ready
        ? { storageKey: playback.storageKey ?? '', sha256: playback.sha256 ?? '', sizeBytes: playback.sizeBytes ?? 0, mimeType: playback.targetMimeType }
        : null,
      converting: playback?.status === 'queued' || playback?.status === 'converting',
      published: false,
    };
    remember(asset);
    return asset;
  }

  /**
   * A receipt (an upload of kind 'receipt') for paid involvement's route, which decides who may see it; never
   * cached, never sent by the media route.
   */
  async function findReceipt(assetId: string): Promise<ServableAsset | null> {
    if (!Types.ObjectId.isValid(assetId) || String(new Types.ObjectId(assetId)) !== assetId) return null;
    const doc = await Asset.findOne({ _id: assetId, status: 'ready', kind: 'receipt' }, 'originalName mimeType sizeBytes sha256 storageKey').lean<AssetDoc>();
    if (!doc) return null;
    return { id: assetId, originalName: doc.originalName, mimeType: doc.mimeType, sizeBytes: doc.sizeBytes, sha256: doc.sha256, storageKey: doc.storageKey, variants: [], source: 'upload', uploadedBy: null, playable: null, converting: false, published: false };
  }

  /** Only what cannot change is remembered: a finished conversion, or none at all. */
  function remember(asset: ServableAsset): void {
    if (asset.converting) return;
    if (servableCache.size >= cacheLimit) servableCache.clear();
    servableCache.set(asset.id, asset);
  }

  /** See MediaAccess. `needTeam`: only the team's answer will do (the original of a converted clip). */
  async function accessTo(asset: ServableAsset, viewer: MediaViewer, needTeam = false): Promise<MediaAccess> {
    if (hasAnyRole(viewer, ['trainer', 'admin'])) return 'team';
    if (asset.uploadedBy !== null && asset.uploadedBy === viewer.id) return 'team';
    if (asset.published && !needTeam) return 'learner';
    if (!uses) return null;
    const sha256s = [asset.sha256, ...(asset.playable ? [asset.playable.sha256] : [])];
    const found = await uses.versionsUsing({ sha256s, assetId: asset.id });
    if (found.some((use) => use.status === 'published' || use.status === 'archived')) {
      asset.published = true;
      remember(asset);
    }
    const courseIds = [...new Set(found.map((use) => use.courseId))];
    if (courseIds.length > 0 && (await uses.coursesWrittenBy(viewer.id, courseIds)).length > 0) return 'team';
    return asset.published ? 'learner' : null;
  }

  /**
   * The file a person may fetch, and which bytes: the playable copy when there is one (the original only to
   * the team, asked for with `original`), else the original. Null when the file is absent or not theirs to see.
   */
  async function findServableFor(assetId: string, viewer: MediaViewer, options: { original?: boolean } = {}) {
    const asset = await findServableAsset(assetId);
    if (!asset) return null;
    const wantOriginal = options.original === true && asset.playable !== null;
    const access = await accessTo(asset, viewer, wantOriginal);
    if (access === null || (wantOriginal && access !== 'team')) return null;
    const bytes = asset.playable && !wantOriginal ? { ...asset.playable } : { storageKey: asset.storageKey, sha256: asset.sha256, sizeBytes: asset.sizeBytes, mimeType: asset.mimeType };
    return { asset, access, ...bytes };
  }

  /**
   * An audio or video clip the person may work on as one of its team (its uploader, trainers and admins, the
   * authoring team of a course using it), or null: for the caption editor.
   */
  async function findClipForTeam(assetId: string, viewer: MediaViewer) {
    const asset = await findServableAsset(assetId);
    if (!asset || !(asset.mimeType.startsWith('audio/') || asset.mimeType.startsWith('video/'))) return null;
    if ((await accessTo(asset, viewer, true)) !== 'team') return null;
    const doc = await Asset.findById(assetId, 'kind durationSeconds').lean<Pick<AssetDoc, 'kind' | 'durationSeconds'>>();
    return {
      assetId: asset.id,
      fileName: asset.originalName,
      kind: asset.mimeType.startsWith('video/') && doc?.kind !== 'audio' ? ('video' as const) : ('audio' as const),
      durationSeconds: doc?.durationSeconds ?? null,
    };
  }

  /**
   * What of an upload goes into a lesson (authoring's addUploadedMedia): the upload itself, or for a converted
   * clip its playable copy (an MP4 or M4A, stored under its own bytes' key, so a draft's source names it like any
   * file). Conflict while the copy is still being made; Invalid when it could not be made.
   */
  async function uploadForLesson(assetId: string, viewer: MediaViewer): Promise<UploadedAsset> {
    const asset = await findServableAsset(assetId);
    if (!asset || (await accessTo(asset, viewer, true)) !== 'team') throw new NotFound('This file is not available.');
    const doc = await Asset.findById(assetId).lean<AssetDoc>();
    if (!doc) throw new NotFound('This file is not available.');
    const upload = uploadedAssetOf(doc);
    const playback = doc.playback;
    if (!playback) return upload;
    if (playback.status === 'failed') throw new Invalid({ file: playback.failure ?? 'This clip could not be changed into a form every browser can play.' });
    if (playback.status !== 'ready' || !playback.sha256 || playback.sizeBytes === null) {
      throw new Conflict('This clip is still being changed into a form every browser can play. Try again when the upload page says it is ready.');
    }
    const extension = playback.targetMimeType === 'audio/mp4' ? '.m4a' : '.mp4';
    return { ...upload, fileName: doc.originalName.replace(/\.[A-Za-z0-9]{1,5}$/, '') + extension, mimeType: playback.targetMimeType, sizeBytes: playback.sizeBytes, sha256: playback.sha256 };
  }

  /** A conversion's state for the page that shows it: the uploader's own upload, or any for trainers and admins. */
  async function conversionOf(assetId: string, viewer: MediaViewer) {
    if (!Types.ObjectId.isValid(assetId)) return null;
    const filter: Record<string, unknown> = { _id: assetId, status: 'ready' };
    if (!hasAnyRole(viewer, ['trainer', 'admin'])) filter.uploadedBy = viewer.id;
    const doc = await Asset.findOne(filter, 'playback').lean<Pick<AssetDoc, 'playback'>>();
    if (!doc) return null;
    return { conversion: conversion?.stateOf(doc.playback ?? null) ?? null };
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
    uploadLimits: uploads?.limits ?? ({ image: 0, audio: 0, video: 0, document: 0, captions: 0, receipt: 0 } as UploadLimits),
    findServableAsset,
    findReceipt,
    findServableFor,
    conversionOf,
    /** The background conversions (jobs, resume at start, stop), when this service was made with them. */
    conversion,
    findClipForTeam,
    uploadForLesson,
    /**
     * Captions of a clip (./captions.ts): `captionsOf(clipId)` and `saveCues(clipId, cues, by)` give
     * { captions: AssetRef & { sha256 }, cues, transcript }, what authoring attaches to a block (the .vtt in the
     * draft's source.media, the block's captions attribute, its transcript).
     */
    captions: createCaptions({ storage, storeUpload }),
  };
}

export type MediaService = ReturnType<typeof createMediaService>;
