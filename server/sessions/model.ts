/**
 * Revocation: a note that what app processes remember about a person (or one session) is out of date and must be
 * forgotten: their account was turned off, a role was taken away, their password changed, or they signed out.
 * Every app process reads the notes written since its last look, several times a second (./feed.ts), with one
 * indexed query; the notes are kept for an hour, long past the few seconds anyone needs them.
 */
import mongoose, { Schema, type InferSchemaType, type Types } from 'mongoose';

/** How long a note is kept: far longer than any process's polling window, short enough to stay a tiny collection. */
export const REVOCATION_KEEP_SECONDS = 60 * 60;

const revocationSchema = new Schema(
  {
    /** The person whose remembered account (roles, status, session version) is out of date. */
    userId: { type: String },
    /** One session that ended (a sign-out): processes forget their copy of it. */
    sessionId: { type: String },
    /** Set by the database's clock ($currentDate), so every process compares against one clock. */
    at: { type: Date, required: true },
  },
  { versionKey: false },
);

// The feed's one query (`at` after a moment), and the removal of old notes.
revocationSchema.index({ at: 1 }, { expireAfterSeconds: REVOCATION_KEEP_SECONDS });

export type RevocationDocument = InferSchemaType<typeof revocationSchema> & { _id: Types.ObjectId };

export const Revocation = mongoose.model('Revocation', revocationSchema);
