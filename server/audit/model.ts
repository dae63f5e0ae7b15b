/**
 * AuditEvent: who did what, when, to what. Written for every security-relevant and content-changing action;
 * never updated or deleted by the app.
 */
import mongoose, { Schema, type InferSchemaType, type Types } from 'mongoose';

const auditEventSchema = new Schema({
  at: { type: Date, required: true, default: () => new Date() },
  /** What happened, as a short dotted word: 'sign-in', 'sign-in.failed', 'invitation.sent', 'user.roles-changed'. */
  action: { type: String, required: true, maxlength: 80 },
  /** The person who did it; absent for anonymous attempts. */
  actorId: { type: Schema.Types.ObjectId, ref: 'User' },
  /** Kept as text so the log stays readable after a person is erased. */
  actorEmail: { type: String, maxlength: 320 },
  targetType: { type: String, maxlength: 40 },
  targetId: { type: String, maxlength: 100 },
  /** A short plain-language description of the target ("jo@example.org", "Course: Meltdowns"). */
  targetLabel: { type: String, maxlength: 300 },
  /** Small structured facts (old and new roles, reason). Never secrets. */
  details: { type: Schema.Types.Mixed },
  ip: { type: String, maxlength: 64 },
});

// The audit page lists newest first, optionally filtered by action or by actor.
auditEventSchema.index({ at: -1 });
auditEventSchema.index({ action: 1, at: -1 });
auditEventSchema.index({ actorId: 1, at: -1 });

export type AuditEventDocument = InferSchemaType<typeof auditEventSchema> & { _id: Types.ObjectId };

export const AuditEvent = mongoose.model('AuditEvent', auditEventSchema);
