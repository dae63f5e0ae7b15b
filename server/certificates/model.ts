/**
 * A certificate, issued once when an enrolment is completed. It keeps its own copy of what it certifies
 * (name, course title, version, date) so it reads the same however the course changes later. Credits are NOT
 * copied: each contributor's current choice is resolved whenever the certificate is shown (credits/service.ts),
 * so a changed or withdrawn credit applies to every certificate at once. `credits` remains only for
 * certificates issued before that, and is never shown.
 */
import mongoose, { Schema, type Types } from 'mongoose';

const creditSchema = new Schema(
  {
    displayName: { type: String, required: true },
    contribution: { type: String, required: true },
    role: { type: String, required: true },
  },
  { _id: false },
);

const certificateSchema = new Schema(
  {
    /** Shown on the certificate and in its address; only its owner and their trainers may open it. */
    number: { type: String, required: true },
    /** Given out by the learner to whoever should check it; the public verify page looks it up. */
    verificationCode: { type: String, required: true },
    enrolment: { type: Schema.Types.ObjectId, ref: 'Enrolment', required: true },
    /** Which round of the enrolment it certifies: 1, then 2 after a retake when a certificate expired... */
    round: { type: Number, default: 1 },
    learner: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    learnerName: { type: String, required: true },
    course: { type: Schema.Types.ObjectId, ref: 'Course', required: true },
    courseSlug: { type: String, required: true },
    courseTitle: { type: String, required: true },
    version: { type: Number, required: true },
    completedAt: { type: Date, required: true },
    credits: { type: [creditSchema], default: [] },
  },
  { versionKey: false },
);
certificateSchema.index({ number: 1 }, { unique: true });
certificateSchema.index({ verificationCode: 1 }, { unique: true });
// One certificate per round of an enrolment, however many requests race to finish it.
certificateSchema.index({ enrolment: 1, round: 1 }, { unique: true });
certificateSchema.index({ learner: 1 });

export interface CertificateRecord {
  _id: Types.ObjectId;
  number: string;
  verificationCode: string;
  enrolment: Types.ObjectId;
  /** Absent on certificates issued before rounds (the first round). */
  round?: number;
  learner: Types.ObjectId;
  learnerName: string;
  course: Types.ObjectId;
  courseSlug: string;
  courseTitle: string;
  version: number;
  completedAt: Date;
  credits: { displayName: string; contribution: string; role: string }[];
}

export const Certificate = mongoose.model('Certificate', certificateSchema);

/**
 * Databases made before retakes hold a unique index on `enrolment` alone, which would refuse the certificate of
 * a second round: drop it (the index on enrolment and round replaces it). Run once at start; idempotent.
 */
export async function dropSingleRoundCertificateIndex(): Promise<void> {
  const indexes = await Certificate.collection.indexes().catch(() => []);
  const old = indexes.find((index) => index.name === 'enrolment_1' && index.unique);
  if (old) await Certificate.collection.dropIndex('enrolment_1');
}
