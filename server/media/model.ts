import mongoose, { Schema, type Types } from 'mongoose';

export const PLAYBACK_STATUSES = ['queued', 'converting', 'ready', 'failed'] as const;
export type PlaybackStatus = (typeof PLAYBACK_STATUSES)[number];

const playbackFields = {
  status: { type: String, enum: PLAYBACK_STATUSES, required: true },
  /** What the playable copy is: video/mp4 (H.264/AAC) or audio/mp4 (AAC). */
  targetMimeType: { type: String, required: true },
  /** Length of the clip (seconds), from ffmpeg's reading of the upload; progress is measured against it. */
  durationSeconds: { type: Number, default: null },
  /** 0 to 1, while converting. */
  progress: { type: Number, required: true, default: 0 },
  /** Which run holds the conversion and when it last said so: a run that stops saying so is taken over. */
  claimedBy: { type: String, default: null },
  heartbeatAt: { type: Date, default: null },
  /** Shown to the team when the conversion failed, in plain words. */
  failure: { type: String, default: null },
  /** The playable copy's bytes, once ready. */
  storageKey: { type: String, default: null },
  sha256: { type: String, default: null },
  sizeBytes: { type: Number, default: null },
  finishedAt: { type: Date, default: null },
};

/**
 * A stored media file. The bytes live in a MediaStorage under a content-addressed key (its sha256), so the same
 * file imported twice is stored once and a served file never changes under its id.
 */
const assetSchema = new Schema(
  {
    originalName: { type: String, required: true },
    /** The type checked against the file's content (server/media/validate.ts), never the one a client sent. */
    mimeType: { type: String, required: true },
    sizeBytes: { type: Number, required: true },
    sha256: { type: String, required: true },
    storageKey: { type: String, required: true },
    /** Where it came from: a course's content files or an upload by a person. */
    source: { type: String, enum: ['content', 'upload'], required: true },
    uploadedBy: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    altText: { type: String, default: '' },
    /** Caption file for audio or video, when the upload carries one. */
    captions: { type: Schema.Types.ObjectId, ref: 'Asset', default: null },
    status: { type: String, enum: ['ready', 'withdrawn'], required: true, default: 'ready' },
    /** For uploads: the kind of block it was uploaded for (server/config.ts UPLOAD_KINDS). */
    kind: { type: String, default: null },
    /** Pictures: the size of the stored (re-encoded) picture, and smaller copies for srcset. */
    width: { type: Number, default: null },
    height: { type: Number, default: null },
    variants: {
      type: [
        new Schema(
          {
            width: { type: Number, required: true },
            height: { type: Number, required: true },
            sizeBytes: { type: Number, required: true },
            sha256: { type: String, required: true },
            storageKey: { type: String, required: true },
          },
          { _id: false },
        ),
      ],
      default: [],
    },
    /**
     * Audio and video that browsers cannot all play (a phone's HEVC .mov, FLAC, AMR, MKV...): the playable copy
     * made by ffmpeg in a background job (./conversion.ts). Null when the upload plays everywhere as it is. The
     * original stays under `storageKey` for the team; learners are sent the playable copy.
     */
    playback: { type: new Schema(playbackFields, { _id: false }), default: null },
    /** Audio and video: the clip's length in seconds, as ffmpeg read it at upload (null when unknown). */
    durationSeconds: { type: Number, default: null },
  },
  { timestamps: true },
);
// The import finds an already stored file by its hash and type before storing it again.
assetSchema.index({ sha256: 1, mimeType: 1, source: 1 });
assetSchema.index({ uploadedBy: 1, createdAt: -1 });
// Stored bytes are removed only when no record refers to them any more.
assetSchema.index({ storageKey: 1 });
assetSchema.index({ 'playback.storageKey': 1 });
// Who may fetch a playable copy: the versions whose source names it (or its original).
assetSchema.index({ 'playback.sha256': 1 });
// Conversions to resume at start.
assetSchema.index({ 'playback.status': 1 });

export interface AssetDoc {
  _id: Types.ObjectId;
  originalName: string;
  mimeType: string;
  sizeBytes: number;
  sha256: string;
  storageKey: string;
  source: 'content' | 'upload';
  uploadedBy: Types.ObjectId | null;
  altText: string;
  captions: Types.ObjectId | null;
  status: 'ready' | 'withdrawn';
  kind?: string | null;
  width?: number | null;
  height?: number | null;
  variants?: AssetVariant[];
  playback?: AssetPlayback | null;
  durationSeconds?: number | null;
  createdAt?: Date;
}

export interface AssetPlayback {
  status: PlaybackStatus;
  targetMimeType: string;
  durationSeconds: number | null;
  progress: number;
  claimedBy: string | null;
  heartbeatAt: Date | null;
  failure: string | null;
  storageKey: string | null;
  sha256: string | null;
  sizeBytes: number | null;
  finishedAt: Date | null;
}

export interface AssetVariant {
  width: number;
  height: number;
  sizeBytes: number;
  sha256: string;
  storageKey: string;
}

export const Asset = mongoose.model('Asset', assetSchema);
