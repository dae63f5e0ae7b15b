/**
 * OneTimeToken: the secret behind an invitation link or a password reset link. Only the sha256 of the token is
 * stored, so a copy of the database cannot be used to take over accounts. A token works once, until it expires.
 * Purposes: an invitation, a password reset, and an email change (the link sent to the new address).
 */
import mongoose, { Schema, type InferSchemaType, type Types } from 'mongoose';

export const TOKEN_PURPOSES = ['invitation', 'password-reset', 'email-change'] as const;
export type TokenPurpose = (typeof TOKEN_PURPOSES)[number];

const oneTimeTokenSchema = new Schema({
  tokenHash: { type: String, required: true },
  purpose: { type: String, enum: TOKEN_PURPOSES, required: true },
  userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
  createdBy: { type: Schema.Types.ObjectId, ref: 'User' },
  createdAt: { type: Date, required: true, default: () => new Date() },
  expiresAt: { type: Date, required: true },
  usedAt: { type: Date },
  /** For an email change: the new address, which the link was sent to and which it confirms. */
  newEmail: { type: String },
});

oneTimeTokenSchema.index({ tokenHash: 1 }, { unique: true });
oneTimeTokenSchema.index({ userId: 1, purpose: 1 });

export type OneTimeTokenDocument = InferSchemaType<typeof oneTimeTokenSchema> & { _id: Types.ObjectId };

export const OneTimeToken = mongoose.model('OneTimeToken', oneTimeTokenSchema);
