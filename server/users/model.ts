/**
 * User: one person who can sign in. Invited people exist as users with status 'invited' until they accept.
 */
import mongoose, { Schema, type InferSchemaType, type Types } from 'mongoose';
import { ROLES, TEXT_SIZES, THEMES } from './types';

export const USER_STATUSES = ['invited', 'active', 'disabled'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

const preferencesSchema = new Schema(
  {
    textSize: { type: String, enum: TEXT_SIZES, default: 'standard' },
    theme: { type: String, enum: THEMES, default: 'standard' },
    reducedMotion: { type: Boolean, default: false },
    readableFont: { type: Boolean, default: false },
    captionsOff: { type: Boolean, default: false },
  },
  { _id: false },
);

const userSchema = new Schema(
  {
    // Stored lowercased and trimmed, so the unique index means one account per address.
    email: { type: String, required: true, lowercase: true, trim: true, maxlength: 320 },
    // Empty until an invited person accepts and tells us their name.
    name: { type: String, trim: true, maxlength: 200, default: '' },
    roles: { type: [{ type: String, enum: ROLES }], default: [] },
    teams: { type: [{ type: Schema.Types.ObjectId, ref: 'Team' }], default: [] },
    passwordHash: { type: String },
    status: { type: String, enum: USER_STATUSES, required: true, default: 'invited' },
    preferences: { type: preferencesSchema, default: () => ({}) },
    lastSignInAt: { type: Date },
    // Stamped into each session at sign-in; raised to end every session at once (turned off, new password, sign
    // out everywhere). A session whose stamp differs signs no one in, even from a process's short memory.
    sessionVersion: { type: Number, default: 0 },
  },
  { timestamps: true },
);

userSchema.index({ email: 1 }, { unique: true });
// The people page lists and filters by status and role, newest first.
userSchema.index({ status: 1, createdAt: -1 });
userSchema.index({ roles: 1 });
userSchema.index({ teams: 1 });

export type UserDocument = InferSchemaType<typeof userSchema> & { _id: Types.ObjectId };

export const User = mongoose.model('User', userSchema);
