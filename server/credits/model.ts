/**
 * A Credit: one real contributor (a user) on one module of one course, with everything they did there and how
 * they chose to be shown. Module keys are stable across versions (they come from the content files), so a credit
 * follows its module from version to version. Pages and certificates read the CURRENT choice from here when they
 * render; nothing copies it.
 *
 * Consent: a trainer may record that a person contributed, but nobody is named until the person themselves has
 * chosen how (consentGivenAt set, withdrawnAt null). Until then, and after a withdrawal, they are shown only as
 * "a contributor who is not named", with the kinds of contribution and nothing that could identify them.
 */
import mongoose, { Schema, type Types } from 'mongoose';
import type { ContributionKind, CreditDisplay } from '../courses/types';

export const CONTRIBUTION_KINDS = ['co-author', 'lived-experience voice', 'artwork', 'video', 'review'] as const satisfies readonly ContributionKind[];
export const DISPLAY_CHOICES = ['full-name', 'first-name', 'pseudonym', 'anonymous'] as const satisfies readonly CreditDisplay[];

const creditSchema = new Schema(
  {
    user: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    course: { type: Schema.Types.ObjectId, ref: 'Course', required: true },
    moduleKey: { type: String, required: true },
    kinds: { type: [{ type: String, enum: CONTRIBUTION_KINDS }], required: true },
    /** A few words on who they are, in their own words ("parent carer"); shown beside their name. */
    about: { type: String, default: '' },
    /** Null until the person chooses. */
    display: { type: String, enum: [...DISPLAY_CHOICES, null], default: null },
    pseudonym: { type: String, default: '' },
    consentGivenAt: { type: Date, default: null },
    changedAt: { type: Date, default: null },
    withdrawnAt: { type: Date, default: null },
    addedAt: { type: Date, required: true },
    addedBy: { type: Schema.Types.ObjectId, ref: 'User', default: null },
  },
  { versionKey: false },
);
// One credit per person per module: a second contribution adds its kind to the same record.
creditSchema.index({ course: 1, moduleKey: 1, user: 1 }, { unique: true });
// "How I am credited": a person's own credits.
creditSchema.index({ user: 1 });

export interface CreditRecord {
  _id: Types.ObjectId;
  user: Types.ObjectId;
  course: Types.ObjectId;
  moduleKey: string;
  kinds: ContributionKind[];
  about: string;
  display: CreditDisplay | null;
  pseudonym: string;
  consentGivenAt: Date | null;
  changedAt: Date | null;
  withdrawnAt: Date | null;
  addedAt: Date;
  addedBy: Types.ObjectId | null;
}

export const Credit = mongoose.model('Credit', creditSchema);
