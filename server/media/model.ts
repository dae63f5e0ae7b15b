import mongoose, { Schema, type Types } from 'mongoose';

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
  },
  { timestamps: true },
);
// The import finds an already stored file by its hash and type before storing it again.
assetSchema.index({ sha256: 1, mimeType: 1, source: 1 });
assetSchema.index({ uploadedBy: 1, createdAt: -1 });
// Stored bytes are removed only when no record refers to them any more.
assetSchema.index({ storageKey: 1 });

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
}

export interface AssetVariant {
  width: number;
  height: number;
  sizeBytes: number;
  sha256: string;
  storageKey: string;
}

export const Asset = mongoose.model('Asset', assetSchema);
