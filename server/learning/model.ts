/**
 * Enrolment: one per learner and course, pinned to the course version the learner started.
 * Progress is kept so that every change is ONE atomic update of this document:
 * completing a block sets `blocks.<key>` (never read-modify-write of the whole map), a check attempt is a
 * `$push`, and completion is a conditional update that succeeds once.
 *
 * A completed enrolment can be taken again when the course's certificate has expired (assignments with
 * recertification): the finished round moves to `previousCompletions`, with its certificate, and the enrolment
 * starts fresh. Assignments live in server/assignments/.
 */
import mongoose, { Schema, type Types } from 'mongoose';

/**
 * Block keys become field names inside `blocks` and `reflections`, where MongoDB gives `.` and a leading `$`
 * a meaning. Course keys are slugs joined by `/`, so this rarely changes anything, but it keeps any key safe.
 */
export function fieldKey(blockKey: string): string {
  if (!/[%.$]/.test(blockKey)) return blockKey;
  return blockKey.replace(/%/g, '%25').replace(/\./g, '%2E').replace(/\$/g, '%24');
}

export function blockKeyOf(fieldName: string): string {
  if (!fieldName.includes('%')) return fieldName;
  return fieldName.replace(/%24/g, '$').replace(/%2E/g, '.').replace(/%25/g, '%');
}

/** The keys of the blocks a learner has done, from their enrolment. */
export function doneKeys(enrolment: { blocks?: Record<string, unknown> | null }): Set<string> {
  return new Set(Object.keys(enrolment.blocks ?? {}).map(blockKeyOf));
}

const attemptSchema = new Schema(
  {
    block: { type: String, required: true },
    /** question key -> chosen option keys */
    answers: { type: Schema.Types.Mixed, required: true },
    score: { type: Number, required: true },
    total: { type: Number, required: true },
    passed: { type: Boolean, required: true },
    at: { type: Date, required: true },
    /** The seed of the order the options were shown in (../assessment/order.ts); null before shuffling. */
    seed: { type: Number, default: null },
  },
  { _id: false },
);

const reflectionSchema = new Schema(
  {
    text: { type: String, required: true },
    savedAt: { type: Date, required: true },
  },
  { _id: false },
);

const previousCompletionSchema = new Schema(
  {
    version: { type: Number, required: true },
    startedAt: { type: Date, required: true },
    completedAt: { type: Date, required: true },
    certificateNumber: { type: String, default: null },
    /** When the learner started again. */
    restartedAt: { type: Date, required: true },
  },
  { _id: false },
);

const enrolmentSchema = new Schema(
  {
    learner: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    course: { type: Schema.Types.ObjectId, ref: 'Course', required: true },
    /** The course's slug (stable), so a lesson page finds the enrolment in one read without the course. */
    courseSlug: { type: String, required: true },
    /** The version the learner started; they finish it unless they choose to switch. */
    version: { type: Number, required: true },
    /** fieldKey(block key) -> when it was done. A check is done when it has been passed. */
    blocks: { type: Map, of: Date, default: () => new Map() },
    /** The lesson the learner was last on (module key / lesson key): "Continue" returns there. */
    lastLesson: { type: String, default: null },
    attempts: { type: [attemptSchema], default: [] },
    /** fieldKey(block key) -> the seed of the option order for the learner's next attempt at that check. */
    checkOrders: { type: Map, of: Number, default: () => new Map() },
    /** fieldKey(block key) -> the learner's reflection. Private to the learner and their trainers. */
    reflections: { type: Map, of: reflectionSchema, default: () => new Map() },
    startedAt: { type: Date, required: true },
    completedAt: { type: Date, default: null },
    certificateNumber: { type: String, default: null },
    /** Rounds finished before this one (oldest first): each kept with its certificate, shown as expired. */
    previousCompletions: { type: [previousCompletionSchema], default: [] },
  },
  // minimize off: an empty progress map is still a map, and updates of `blocks.<key>` need it to be one.
  { minimize: false, versionKey: false },
);
enrolmentSchema.index({ learner: 1, course: 1 }, { unique: true });
// The lesson page and "Continue": a learner's enrolment by course slug.
enrolmentSchema.index({ learner: 1, courseSlug: 1 }, { unique: true });
// Reports and "who is part-way through this course".
enrolmentSchema.index({ course: 1, completedAt: 1 });

export interface AttemptRecord {
  block: string;
  answers: Record<string, string[]>;
  score: number;
  total: number;
  passed: boolean;
  at: Date;
  seed?: number | null;
}

export interface ReflectionRecord {
  text: string;
  savedAt: Date;
}

/** An enrolment as read with `.lean()`: maps arrive as plain objects keyed by fieldKey. */
export interface EnrolmentRecord {
  _id: Types.ObjectId;
  learner: Types.ObjectId;
  course: Types.ObjectId;
  courseSlug: string;
  version: number;
  blocks: Record<string, Date>;
  lastLesson: string | null;
  attempts: AttemptRecord[];
  /** Absent on enrolments made before options were shuffled. */
  checkOrders?: Record<string, number>;
  reflections: Record<string, ReflectionRecord>;
  startedAt: Date;
  completedAt: Date | null;
  certificateNumber: string | null;
  /** Absent on enrolments stored before rounds were kept. */
  previousCompletions?: PreviousCompletionRecord[];
}

export interface PreviousCompletionRecord {
  version: number;
  startedAt: Date;
  completedAt: Date;
  certificateNumber: string | null;
  restartedAt: Date;
}

export const Enrolment = mongoose.model('Enrolment', enrolmentSchema);
