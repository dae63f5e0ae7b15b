/**
 * Assignment: a published course given to a team or to one person, with a due rule and optional recertification.
 * RecordedCompletion: a trainer's record that a learner completed a course elsewhere (reason required, evidence
 * optional); it counts as a completion until withdrawn, and is shown as recorded in every report.
 *
 * How these turn into a due date and a state per learner and course: ./rules.ts (and the comment at the top of
 * ./service.ts, for aggregation pipelines).
 */
import mongoose, { Schema, type Types } from 'mongoose';

export const DUE_RULES = ['fixed', 'after-assigned', 'after-joined'] as const;
/**
 * fixed           due on `dueAt` (midnight UTC of the chosen day)
 * after-assigned  due `dueDays` days after the learner got the assignment: the day it was made, or for a team
 *                 the day they joined the team if that was later
 * after-joined    due `dueDays` days after the learner joined the team (team assignments only; for induction
 *                 courses: someone who joined long ago is overdue at once)
 */
export type DueRule = (typeof DUE_RULES)[number];

const assignmentSchema = new Schema(
  {
    course: { type: Schema.Types.ObjectId, ref: 'Course', required: true },
    /** Exactly one of learner or team. */
    learner: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    team: { type: Schema.Types.ObjectId, ref: 'Team', default: null },
    /** Absent on assignments stored before due rules: those are 'fixed'. */
    dueRule: { type: String, enum: DUE_RULES, default: 'fixed' },
    /** For 'fixed': the due day (midnight UTC). Null for relative rules. */
    dueAt: { type: Date, default: null },
    /** For relative rules: how many days. Null for 'fixed'. */
    dueDays: { type: Number, default: null },
    /** A completion expires this many months after it (then the course is due again). Null: never expires. */
    recertifyMonths: { type: Number, default: null },
    assignedBy: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    assignedAt: { type: Date, required: true },
    /** Withdrawn assignments are kept for the record and ignored everywhere else. */
    withdrawnAt: { type: Date, default: null },
    withdrawnBy: { type: Schema.Types.ObjectId, ref: 'User', default: null },
  },
  { versionKey: false },
);
// The dashboard: assignments to this person, and to each of their teams (withdrawnAt: null in every read).
assignmentSchema.index({ learner: 1, course: 1 });
assignmentSchema.index({ team: 1, course: 1 });
// Reminders and reports walk the live assignments of a course.
assignmentSchema.index({ course: 1, withdrawnAt: 1 });

export interface AssignmentRecord {
  _id: Types.ObjectId;
  course: Types.ObjectId;
  learner: Types.ObjectId | null;
  team: Types.ObjectId | null;
  dueRule?: DueRule;
  dueAt: Date | null;
  dueDays?: number | null;
  recertifyMonths?: number | null;
  assignedBy: Types.ObjectId | null;
  assignedAt: Date;
  withdrawnAt?: Date | null;
  withdrawnBy?: Types.ObjectId | null;
}

export const Assignment = mongoose.model('Assignment', assignmentSchema);

const evidenceSchema = new Schema(
  {
    /** In media storage (content-addressed); served only through the assignments feature's own route. */
    storageKey: { type: String, required: true },
    fileName: { type: String, required: true },
    mimeType: { type: String, required: true },
    sizeBytes: { type: Number, required: true },
  },
  { _id: false },
);

const recordedCompletionSchema = new Schema(
  {
    learner: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    course: { type: Schema.Types.ObjectId, ref: 'Course', required: true },
    /** The day it was completed elsewhere. */
    completedAt: { type: Date, required: true },
    reason: { type: String, required: true, maxlength: 1000 },
    evidence: { type: evidenceSchema, default: null },
    recordedBy: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    recordedAt: { type: Date, required: true },
    withdrawnAt: { type: Date, default: null },
    withdrawnBy: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    withdrawReason: { type: String, default: null, maxlength: 1000 },
  },
  { versionKey: false },
);
// A learner's completions of a course (due state) and a course's completions (reports).
recordedCompletionSchema.index({ learner: 1, course: 1 });
recordedCompletionSchema.index({ course: 1, withdrawnAt: 1 });

export interface EvidenceRecord {
  storageKey: string;
  fileName: string;
  mimeType: string;
  sizeBytes: number;
}

export interface RecordedCompletionRecord {
  _id: Types.ObjectId;
  learner: Types.ObjectId;
  course: Types.ObjectId;
  completedAt: Date;
  reason: string;
  evidence: EvidenceRecord | null;
  recordedBy: Types.ObjectId;
  recordedAt: Date;
  withdrawnAt: Date | null;
  withdrawnBy: Types.ObjectId | null;
  withdrawReason: string | null;
}

export const RecordedCompletion = mongoose.model('RecordedCompletion', recordedCompletionSchema);
