/**
 * The feedback loop's documents.
 *   FeedbackItem   what a learner said: end-of-module feedback (kind 'module': rating, confidence before and
 *                  after, most useful, what should change) or a flag on a lesson (kind 'lesson': unclear or wrong,
 *                  with a short note); its triage status, the decision that closed it, comments, the revision that
 *                  plans it and the note that answered it.
 *   Revision       a trainer's revision of a course opened from a set of items: the draft version it became.
 *   ChangeNote     "you said, we did": the summary for learners of what a published revision changed (and what it
 *                  did not, with the reason), and the items it answers.
 *   NoteDelivery   one note to one learner whose feedback it answers: shows on their dashboard and is emailed once
 *                  (the unique index on note + learner is what makes it once, across processes and restarts).
 */
import mongoose, { Schema, type Types } from 'mongoose';

export const FEEDBACK_STATUSES = ['new', 'planned', 'actioned', 'declined'] as const;
export type FeedbackStatus = (typeof FEEDBACK_STATUSES)[number];
export const CLOSED_STATUSES: readonly FeedbackStatus[] = ['actioned', 'declined'];

export const FLAG_KINDS = ['unclear', 'wrong'] as const;
export type FlagKind = (typeof FLAG_KINDS)[number];

const commentSchema = new Schema(
  {
    author: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    text: { type: String, required: true, maxlength: 2000 },
    at: { type: Date, required: true },
  },
  { _id: false },
);

const feedbackItemSchema = new Schema(
  {
    kind: { type: String, enum: ['module', 'lesson'], required: true },
    course: { type: Schema.Types.ObjectId, ref: 'Course', required: true },
    /** The course version the learner was taking when they spoke. */
    version: { type: Number, required: true },
    moduleKey: { type: String, required: true },
    /** Lesson flags only. */
    lessonKey: { type: String, default: null },
    learner: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    /** The learner chose to be named to the co-facilitators (trainers always see who it is). */
    nameToTeam: { type: Boolean, required: true, default: false },
    rating: { type: Number, min: 1, max: 5, default: null },
    confidenceBefore: { type: Number, min: 1, max: 5, default: null },
    confidenceAfter: { type: Number, min: 1, max: 5, default: null },
    mostUseful: { type: String, maxlength: 2000, default: '' },
    shouldChange: { type: String, maxlength: 2000, default: '' },
    flag: { type: String, enum: [...FLAG_KINDS, null], default: null },
    note: { type: String, maxlength: 500, default: '' },
    status: { type: String, enum: FEEDBACK_STATUSES, required: true, default: 'new' },
    /** Set when the item is closed (actioned or declined): what was decided and why. */
    decision: {
      type: new Schema(
        { reason: { type: String, required: true }, by: { type: Schema.Types.ObjectId, ref: 'User', required: true }, at: { type: Date, required: true } },
        { _id: false },
      ),
      default: null,
    },
    comments: { type: [commentSchema], default: [] },
    revision: { type: Schema.Types.ObjectId, ref: 'Revision', default: null },
    /** The draft version a revision planned this item into. */
    plannedVersion: { type: Number, default: null },
    answeredBy: { type: Schema.Types.ObjectId, ref: 'ChangeNote', default: null },
    answeredAt: { type: Date, default: null },
  },
  { timestamps: true },
);
// One end-of-module feedback per learner, module and version: a second send updates it.
feedbackItemSchema.index({ learner: 1, course: 1, moduleKey: 1, version: 1 }, { unique: true, partialFilterExpression: { kind: 'module' } });
// The board: a course's items by module and version; the figures group the same way.
feedbackItemSchema.index({ course: 1, moduleKey: 1, version: -1, createdAt: 1 });

export interface FeedbackItemRecord {
  _id: Types.ObjectId;
  kind: 'module' | 'lesson';
  course: Types.ObjectId;
  version: number;
  moduleKey: string;
  lessonKey: string | null;
  learner: Types.ObjectId;
  nameToTeam: boolean;
  rating: number | null;
  confidenceBefore: number | null;
  confidenceAfter: number | null;
  mostUseful: string;
  shouldChange: string;
  flag: FlagKind | null;
  note: string;
  status: FeedbackStatus;
  decision: { reason: string; by: Types.ObjectId; at: Date } | null;
  comments: Array<{ author: Types.ObjectId; text: string; at: Date }>;
  revision: Types.ObjectId | null;
  plannedVersion: number | null;
  answeredBy: Types.ObjectId | null;
  answeredAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export const FeedbackItem = mongoose.model('FeedbackItem', feedbackItemSchema);

const revisionSchema = new Schema(
  {
    course: { type: Schema.Types.ObjectId, ref: 'Course', required: true },
    /** The draft version the revision became (authoring's startDraft). */
    version: { type: Number, required: true },
    items: { type: [Schema.Types.ObjectId], default: [] },
    openedBy: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    openedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
revisionSchema.index({ course: 1, version: 1 }, { unique: true });

export interface RevisionRecord {
  _id: Types.ObjectId;
  course: Types.ObjectId;
  version: number;
  items: Types.ObjectId[];
  openedBy: Types.ObjectId;
  openedAt: Date;
}

export const Revision = mongoose.model('Revision', revisionSchema);

const changeNoteSchema = new Schema(
  {
    course: { type: Schema.Types.ObjectId, ref: 'Course', required: true },
    revision: { type: Schema.Types.ObjectId, ref: 'Revision', required: true },
    /** The published version the change shipped in. */
    version: { type: Number, required: true },
    summary: { type: String, required: true, maxlength: 4000 },
    /** The modules whose items it answers: it shows on each of their module pages. */
    moduleKeys: { type: [String], default: [] },
    /** The lessons that changed, each linked from the note (in the version it shipped in). */
    lessons: { type: [new Schema({ moduleKey: String, lessonKey: String, title: String }, { _id: false })], default: [] },
    items: { type: [Schema.Types.ObjectId], default: [] },
    authors: { type: [Schema.Types.ObjectId], default: [] },
    publishedAt: { type: Date, required: true },
    /** Set once the items are marked answered and the deliveries made (the email job completes a note left halfway). */
    completedAt: { type: Date, default: null },
  },
  { versionKey: false },
);
// One note per revision.
changeNoteSchema.index({ revision: 1 }, { unique: true });
// The email job's first step: notes a crash left halfway.
changeNoteSchema.index({ completedAt: 1 });
// A module page's notes, newest first.
changeNoteSchema.index({ course: 1, moduleKeys: 1, publishedAt: -1 });

export interface ChangeNoteRecord {
  _id: Types.ObjectId;
  course: Types.ObjectId;
  revision: Types.ObjectId;
  version: number;
  summary: string;
  moduleKeys: string[];
  lessons: Array<{ moduleKey: string; lessonKey: string; title: string }>;
  items: Types.ObjectId[];
  authors: Types.ObjectId[];
  publishedAt: Date;
  completedAt: Date | null;
}

export const ChangeNote = mongoose.model('ChangeNote', changeNoteSchema);

const noteDeliverySchema = new Schema(
  {
    note: { type: Schema.Types.ObjectId, ref: 'ChangeNote', required: true },
    learner: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    course: { type: Schema.Types.ObjectId, ref: 'Course', required: true },
    createdAt: { type: Date, required: true },
    /** When a process took on the email; a claim never followed by sentAt is taken again after a timeout. */
    claimedAt: { type: Date, default: null },
    sentAt: { type: Date, default: null },
  },
  { versionKey: false },
);
noteDeliverySchema.index({ note: 1, learner: 1 }, { unique: true });
// The learner's dashboard, newest first.
noteDeliverySchema.index({ learner: 1, createdAt: -1 });
// The email job: deliveries not yet sent.
noteDeliverySchema.index({ sentAt: 1, claimedAt: 1 });

export interface NoteDeliveryRecord {
  _id: Types.ObjectId;
  note: Types.ObjectId;
  learner: Types.ObjectId;
  course: Types.ObjectId;
  createdAt: Date;
  claimedAt: Date | null;
  sentAt: Date | null;
}

export const NoteDelivery = mongoose.model('NoteDelivery', noteDeliverySchema);
