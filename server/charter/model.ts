/**
 * The organisation's co-production charter: each published text is a new version (never edited in place), and
 * each acceptance names the version the person read. A new version asks everyone again.
 */
import mongoose, { Schema, type Types } from 'mongoose';

const charterVersionSchema = new Schema(
  {
    version: { type: Number, required: true },
    /** Markdown: paragraphs, lists and ### headings (rendered and sanitised as lesson text is). */
    text: { type: String, required: true },
    /** What changed from the previous version, in plain words; shown to people asked to accept again. */
    changeNote: { type: String, default: '' },
    publishedAt: { type: Date, required: true },
    /** Null for the shipped first version. */
    publishedBy: { type: Schema.Types.ObjectId, ref: 'User', default: null },
  },
  { versionKey: false },
);
// One text per version number: two admins publishing at once cannot both take the same number.
charterVersionSchema.index({ version: 1 }, { unique: true });

export interface CharterVersionRecord {
  _id: Types.ObjectId;
  version: number;
  text: string;
  changeNote: string;
  publishedAt: Date;
  publishedBy: Types.ObjectId | null;
}

export const CharterVersion = mongoose.model('CharterVersion', charterVersionSchema);

const charterAcceptanceSchema = new Schema(
  {
    user: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    version: { type: Number, required: true },
    acceptedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
// Accepting the same version twice records it once; "has this person accepted version N" is one index read.
charterAcceptanceSchema.index({ user: 1, version: 1 }, { unique: true });
// The admin page: who accepted, newest first.
charterAcceptanceSchema.index({ acceptedAt: -1 });

export interface CharterAcceptanceRecord {
  _id: Types.ObjectId;
  user: Types.ObjectId;
  version: number;
  acceptedAt: Date;
}

export const CharterAcceptance = mongoose.model('CharterAcceptance', charterAcceptanceSchema);
