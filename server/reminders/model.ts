/**
 * SentReminder: one reminder email to one learner about one assignment. The unique index on (assignment,
 * learner, kind, dueAt) is what makes each reminder go at most once, however many processes or restarts: a
 * process claims a reminder by inserting it, and only the one whose insert succeeds sends it. `dueAt` tells
 * rounds apart (a recertification round has a new due day and its own reminders).
 * ReminderSettings: which reminders a person has turned off. SentDigest: the weekly digest to a trainer, one per week.
 */
import mongoose, { Schema, type Types } from 'mongoose';
import { REMINDER_KINDS, type ReminderKind } from '../assignments/rules';

const sentReminderSchema = new Schema(
  {
    assignment: { type: Schema.Types.ObjectId, ref: 'Assignment', required: true },
    learner: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    course: { type: Schema.Types.ObjectId, ref: 'Course', required: true },
    kind: { type: String, enum: REMINDER_KINDS, required: true },
    dueAt: { type: Date, required: true },
    /** When a process took it on; a claim never followed by sentAt is taken again after CLAIM_TIMEOUT. */
    claimedAt: { type: Date, required: true },
    sentAt: { type: Date, default: null },
  },
  { versionKey: false },
);
sentReminderSchema.index({ assignment: 1, learner: 1, kind: 1, dueAt: 1 }, { unique: true });
// The learner's reminders page, newest first.
sentReminderSchema.index({ learner: 1, claimedAt: -1 });

export interface SentReminderRecord {
  _id: Types.ObjectId;
  assignment: Types.ObjectId;
  learner: Types.ObjectId;
  course: Types.ObjectId;
  kind: ReminderKind;
  dueAt: Date;
  claimedAt: Date;
  sentAt: Date | null;
}

export const SentReminder = mongoose.model('SentReminder', sentReminderSchema);

const reminderSettingsSchema = new Schema(
  {
    user: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    /** "Coming up" a week before the due day. */
    before: { type: Boolean, default: true },
    /** On the due day. */
    on: { type: Boolean, default: true },
    /** Trainers: the weekly list of who is overdue in their teams. */
    digest: { type: Boolean, default: true },
  },
  { versionKey: false },
);
reminderSettingsSchema.index({ user: 1 }, { unique: true });

export interface ReminderSettingsRecord {
  user: Types.ObjectId;
  before: boolean;
  on: boolean;
  digest: boolean;
}

export const ReminderSettings = mongoose.model('ReminderSettings', reminderSettingsSchema);

const sentDigestSchema = new Schema(
  {
    trainer: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    /** The Monday (midnight UTC) of the week it covers. */
    week: { type: Date, required: true },
    claimedAt: { type: Date, required: true },
    sentAt: { type: Date, default: null },
    overdueCount: { type: Number, required: true },
  },
  { versionKey: false },
);
sentDigestSchema.index({ trainer: 1, week: 1 }, { unique: true });

export interface SentDigestRecord {
  _id: Types.ObjectId;
  trainer: Types.ObjectId;
  week: Date;
  claimedAt: Date;
  sentAt: Date | null;
  overdueCount: number;
}

export const SentDigest = mongoose.model('SentDigest', sentDigestSchema);
