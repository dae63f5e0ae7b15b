/**
 * Storing an upload: the bytes stream from the request to a temporary file under the incoming folder (never
 * held whole in memory), checked on the way: the type from the first bytes against the kind's allow-list, the
 * size against the kind's limit, and a sha256 computed as they pass. Pictures are then re-encoded (sharp) with
 * every piece of metadata dropped (EXIF with GPS and camera, XMP, ICC, comments) and smaller copies made for
 * srcset. Only then do the bytes move into storage and the record get written.
 *
 * A refused, interrupted or failed upload leaves no file and no record: temporary files are removed in every
 * case, and stored bytes that no record refers to are removed if writing the record fails.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Types } from 'mongoose';
import sharp from 'sharp';
import type { UploadKind, UploadLimits } from '../config';
import { Invalid } from '../errors';
import { Asset, type AssetPlayback, type AssetVariant } from './model';
import type { ConversionState, UploadInspection } from './conversion';
import { hashFile, type MediaStorage, type StoredFile } from './storage';
import { acceptType, describeKind, detectType, isTextType, SNIFF_BYTES, textProblem } from './upload-kinds';
import { checkWebVtt } from './validate';

/** Widths of the smaller copies of a picture, for `srcset`; only those narrower than the picture are made. */
export const VARIANT_WIDTHS = [320, 640, 1024, 1600] as const;

export interface UploadInput {
  stream: Readable;
  /** The name the person's file had: shown back to them, never used to decide anything. */
  originalName: string;
  kind: UploadKind;
  /** Null for a person without an account (an answer to a call through a personal link). */
  uploadedBy: string | null;
  /** The form field, for the error message's place on the page. */
  field?: string;
}

/** What an upload became: the Asset record's essentials. */
export interface UploadedAsset {
  assetId: string;
  fileName: string;
  kind: UploadKind;
  mimeType: string;
  sizeBytes: number;
  sha256: string;
  width: number | null;
  height: number | null;
  /** Widths available for srcset (the full picture's width included). */
  widths: number[];
  /** Audio and video that needs a playable copy: how its conversion is going (null: it plays as it is). */
  conversion: ConversionState | null;
}

export interface UploadStoreDeps {
  storage: MediaStorage;
  /** Temporary files of uploads in progress; inside the disk storage's root, so finishing is a rename. */
  incomingDir: string;
  limits: UploadLimits;
  /** Reads an audio or video upload (ffmpeg): refused if it is not one, else whether it needs a playable copy. */
  inspectMedia?: (file: string, kind: 'audio' | 'video', mimeType: string) => Promise<UploadInspection>;
  /** The conversion state shown for a recorded playback. */
  conversionState?: (playback: AssetPlayback | null) => ConversionState | null;
}

function megabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return mb >= 1024 ? `${Math.round((mb / 1024) * 10) / 10} GB` : `${Math.round(mb * 10) / 10} MB`;
}

/** The name as the person will recognise it in a message, without control characters. */
function shownName(name: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = name.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 120);
  return clean || 'The file';
}

function refusal(field: string, name: string, problem: string): Invalid {
  return new Invalid({ [field]: `"${shownName(name)}" was not accepted: ${problem}.` });
}

/** Checks the bytes as they pass: size limit, sha256, and the type from the first bytes before any byte goes on. */
class UploadCheck extends Transform {
  readonly hash = createHash('sha256');
  size = 0;
  mimeType: string | undefined;
  private head: Buffer[] = [];
  private headLength = 0;

  constructor(
    private readonly kind: UploadKind,
    private readonly limit: number,
    private readonly refuse: (problem: string) => Invalid,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.limit) {
      callback(this.refuse(`it is larger than ${megabytes(this.limit)}, the most for ${describeKind(this.kind)}`));
      return;
    }
    this.hash.update(chunk);
    if (this.mimeType) {
      callback(null, chunk);
      return;
    }
    this.head.push(chunk);
    this.headLength += chunk.length;
    if (this.headLength < SNIFF_BYTES) {
      callback();
      return;
    }
    this.decide(false).then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    if (this.mimeType) {
      callback();
      return;
    }
    if (this.size === 0) {
      callback(this.refuse('the file is empty'));
      return;
    }
    this.decide(true).then(() => callback(), callback);
  }

  private async decide(complete: boolean): Promise<void> {
    const head = Buffer.concat(this.head);
    this.head = [];
    const verdict = acceptType(this.kind, await detectType(head, complete));
    if ('problem' in verdict) throw this.refuse(verdict.problem);
    this.mimeType = verdict.mimeType;
    this.push(head);
  }
}

const sharpFormats: Record<string, keyof sharp.FormatEnum> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/gif': 'gif',
};

export function createUploadStore({ storage, incomingDir, limits, inspectMedia, conversionState }: UploadStoreDeps) {
  const temporary = (): string => path.join(incomingDir, `${randomUUID()}.part`);

  /** Removes stored bytes unless some record still refers to them (the same bytes may be stored for others). */
  async function releaseStored(storageKeys: string[]): Promise<void> {
    for (const storageKey of storageKeys) {
      const used = await Asset.exists({ $or: [{ storageKey }, { 'variants.storageKey': storageKey }, { 'playback.storageKey': storageKey }] });
      if (!used) await storage.remove(storageKey);
    }
  }

  /**
   * Re-encodes a picture with no metadata at all (sharp keeps none unless asked: no EXIF, GPS, XMP, IPTC, ICC or
   * comments), turned upright first so dropping the EXIF orientation does not turn it on its side.
   */
  async function reencode(source: string, mimeType: string, refuse: (problem: string) => Invalid, withVariants: boolean) {
    const format = sharpFormats[mimeType];
    if (!format) throw new Error(`No encoder for ${mimeType}`);
    const animated = mimeType === 'image/gif' || mimeType === 'image/webp';
    const main = temporary();
    let info: sharp.OutputInfo;
    try {
      info = await sharp(source, { animated }).rotate().toFormat(format).toFile(main);
    } catch {
      await rm(main, { force: true });
      throw refuse('the picture could not be read; it may be damaged');
    }
    const height = info.pageHeight ?? info.height;
    const variants: { path: string; width: number; height: number }[] = [];
    for (const width of withVariants ? VARIANT_WIDTHS.filter((w) => w < info.width) : []) {
      const variantPath = temporary();
      variants.push({ path: variantPath, width, height: 0 });
      const made = await sharp(main, { animated }).resize({ width }).toFormat(format).toFile(variantPath);
      variants[variants.length - 1] = { path: variantPath, width: made.width, height: made.pageHeight ?? made.height };
    }
    return { main, width: info.width, height, variants };
  }

  /** Streams an upload into storage and records it; see the file's comment. Refusals are `Invalid` naming the file. */
  async function storeUpload(input: UploadInput): Promise<UploadedAsset> {
    const field = input.field ?? 'file';
    const refuse = (problem: string): Invalid => refusal(field, input.originalName, problem);
    const limit = limits[input.kind];
    const temporaries: string[] = [];
    const stored: string[] = [];
    let recorded = false;
    try {
      await mkdir(incomingDir, { recursive: true });
      const incoming = temporary();
      temporaries.push(incoming);
      const check = new UploadCheck(input.kind, limit, refuse);
      try {
        await pipeline(input.stream, check, createWriteStream(incoming, { flags: 'wx' }));
      } catch (error) {
        // Whatever went wrong, the rest of the request body is not wanted: let it drain.
        if (!input.stream.destroyed) input.stream.resume();
        throw error;
      }
      const mimeType = check.mimeType ?? '';

      if (isTextType(mimeType) && mimeType !== 'image/svg+xml') {
        const text = (await readFile(incoming)).toString('utf8');
        const problem = mimeType === 'text/vtt' ? checkWebVtt(text) : textProblem(text) ? { problem: textProblem(text) ?? '' } : null;
        if (problem) throw refuse(`${problem.problem}${'line' in problem && problem.line ? ` (line ${problem.line})` : ''}`);
      }

      let playback: Extract<UploadInspection, { playback: unknown }>['playback'] = null;
      let durationSeconds: number | null = null;
      if ((input.kind === 'audio' || input.kind === 'video') && inspectMedia) {
        const inspection = await inspectMedia(incoming, input.kind, mimeType);
        if ('problem' in inspection) throw refuse(inspection.problem);
        playback = inspection.playback;
        durationSeconds = inspection.durationSeconds;
      }

      let main: StoredFile;
      let width: number | null = null;
      let height: number | null = null;
      const variants: AssetVariant[] = [];
      // Photos of receipts are re-encoded too (no GPS or camera data kept), without the smaller copies.
      const picture = input.kind === 'image' || (input.kind === 'receipt' && mimeType in sharpFormats);
      if (picture) {
        const encoded = await reencode(incoming, mimeType, refuse, input.kind === 'image');
        temporaries.push(encoded.main, ...encoded.variants.map((variant) => variant.path));
        main = await storage.adoptFile(encoded.main, await hashFile(encoded.main));
        stored.push(main.storageKey);
        width = encoded.width;
        height = encoded.height;
        for (const variant of encoded.variants) {
          const file = await storage.adoptFile(variant.path, await hashFile(variant.path));
          stored.push(file.storageKey);
          variants.push({ width: variant.width, height: variant.height, sizeBytes: file.sizeBytes, sha256: file.sha256, storageKey: file.storageKey });
        }
      } else {
        main = await storage.adoptFile(incoming, check.hash.digest('hex'));
        stored.push(main.storageKey);
      }

      const created = await Asset.create({
        originalName: shownName(input.originalName),
        mimeType,
        sizeBytes: main.sizeBytes,
        sha256: main.sha256,
        storageKey: main.storageKey,
        source: 'upload',
        uploadedBy: input.uploadedBy ? new Types.ObjectId(input.uploadedBy) : null,
        kind: input.kind,
        width,
        height,
        variants,
        playback,
        durationSeconds,
        status: 'ready',
      });
      recorded = true;
      const recordedPlayback = (created.toObject() as { playback?: AssetPlayback | null }).playback ?? null;
      return {
        assetId: created._id.toString(),
        fileName: created.originalName,
        kind: input.kind,
        mimeType,
        sizeBytes: main.sizeBytes,
        sha256: main.sha256,
        width,
        height,
        widths: width === null ? [] : [...variants.map((variant) => variant.width), width],
        conversion: conversionState?.(recordedPlayback) ?? null,
      };
    } finally {
      await Promise.all(temporaries.map((file) => rm(file, { force: true })));
      if (!recorded) await releaseStored(stored);
    }
  }

  /**
   * Removes an upload's record and its bytes (unless other records share them): when a request fails after
   * the file was stored, for example another file in the same form was refused.
   */
  async function discardUpload(assetId: string): Promise<void> {
    if (!Types.ObjectId.isValid(assetId)) return;
    const doc = await Asset.findOneAndDelete({ _id: assetId, source: 'upload' }).lean<{ storageKey: string; variants?: AssetVariant[]; playback?: AssetPlayback | null }>();
    if (!doc) return;
    const playable = doc.playback?.storageKey ? [doc.playback.storageKey] : [];
    await releaseStored([doc.storageKey, ...(doc.variants ?? []).map((variant) => variant.storageKey), ...playable]);
  }

  return { storeUpload, discardUpload };
}
