/**
 * Paid involvement: the organisation's dated rate card, each person's payment choice, and the entries people log.
 * Money is whole pence (integers) everywhere; see ./pay.ts for the rules.
 */
import mongoose, { Schema, type Types } from 'mongoose';

export const ACTIVITIES = ['workshop', 'writing', 'recording', 'review', 'co-delivery'] as const;
export type Activity = (typeof ACTIVITIES)[number];

export const EXPENSE_KINDS = ['travel', 'care'] as const;
export type ExpenseKind = (typeof EXPENSE_KINDS)[number];

export const PAYMENT_CHOICES = ['paid', 'voucher', 'declined'] as const;
export type PaymentChoice = (typeof PAYMENT_CHOICES)[number];

export const ENTRY_STATUSES = ['logged', 'approved', 'paid', 'rejected'] as const;
export type EntryStatus = (typeof ENTRY_STATUSES)[number];

const wholePence = { type: Number, required: true, min: 0, validate: { validator: Number.isSafeInteger, message: 'whole pence' } };

/**
 * One row of the rate card: the rates from a start date on. Rows are added, never changed: the rate for a day is
 * the row with the latest start on or before it (pay.ts ratesOn).
 */
const rateCardSchema = new Schema(
  {
    effectiveFrom: { type: Date, required: true },
    hourlyPence: wholePence,
    halfDayPence: wholePence,
    dayPence: wholePence,
    setBy: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    setAt: { type: Date, required: true },
  },
  { collection: 'involvement_rates' },
);
// One row per start date; also the order the card is read and shown in.
rateCardSchema.index({ effectiveFrom: 1 }, { unique: true });

export interface RateCardDoc {
  _id: Types.ObjectId;
  effectiveFrom: Date;
  hourlyPence: number;
  halfDayPence: number;
  dayPence: number;
  setBy: Types.ObjectId;
  setAt: Date;
}

export const RateCard = mongoose.model('InvolvementRate', rateCardSchema);

/** A person's choice of how they are paid, and when they confirmed reading the note about benefits. */
const profileSchema = new Schema(
  {
    user: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    paymentChoice: { type: String, enum: PAYMENT_CHOICES, required: true },
    benefitsNoteReadAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'involvement_profiles' },
);
profileSchema.index({ user: 1 }, { unique: true });

export interface ProfileDoc {
  _id: Types.ObjectId;
  user: Types.ObjectId;
  paymentChoice: PaymentChoice;
  benefitsNoteReadAt: Date;
  updatedAt: Date;
}

export const InvolvementProfile = mongoose.model('InvolvementProfile', profileSchema);

const expenseSchema = new Schema(
  {
    kind: { type: String, enum: EXPENSE_KINDS, required: true },
    amountPence: wholePence,
    note: { type: String, default: '' },
  },
  { _id: false },
);

/**
 * A receipt: an Asset of kind 'receipt', sent only through the involvement routes and only as a download. Kept
 * beside the expenses (not inside them), so changing an amount while the entry is logged keeps its receipts.
 */
const receiptSchema = new Schema(
  {
    asset: { type: Schema.Types.ObjectId, ref: 'Asset', required: true },
    expense: { type: String, enum: EXPENSE_KINDS, required: true },
    fileName: { type: String, required: true },
    addedAt: { type: Date, required: true },
  },
  { _id: false },
);

/**
 * One piece of involvement: a session of work on a day, with its expenses. The rate it was worked out with is
 * kept on the entry (`rate`), so changing the rate card never rewrites it. `paymentChoice` is the person's choice
 * when the entry was logged (or last changed while logged): the finance export pays cash only for 'paid'.
 */
const entrySchema = new Schema(
  {
    person: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    loggedBy: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    /** The day of the work, UTC midnight. */
    date: { type: Date, required: true },
    activity: { type: String, enum: ACTIVITIES, required: true },
    minutes: { type: Number, required: true, min: 1 },
    course: { type: Schema.Types.ObjectId, ref: 'Course', default: null },
    module: { type: String, default: '' },
    notes: { type: String, default: '' },
    rate: {
      type: new Schema(
        { effectiveFrom: { type: Date, required: true }, hourlyPence: wholePence, halfDayPence: wholePence, dayPence: wholePence },
        { _id: false },
      ),
      required: true,
    },
    basis: { type: String, enum: ['hourly', 'half-day', 'day'], required: true },
    timePence: wholePence,
    expenses: { type: [expenseSchema], default: [] },
    expensesPence: wholePence,
    receipts: { type: [receiptSchema], default: [] },
    totalPence: wholePence,
    paymentChoice: { type: String, enum: PAYMENT_CHOICES, required: true },
    status: { type: String, enum: ENTRY_STATUSES, required: true, default: 'logged' },
    approvedBy: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    approvedAt: { type: Date, default: null },
    paidBy: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    paidAt: { type: Date, default: null },
    rejectedBy: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    rejectedAt: { type: Date, default: null },
    rejectionReason: { type: String, default: '' },
  },
  { collection: 'involvement_entries', timestamps: true },
);
// A person's own log, newest first, and their totals by date.
entrySchema.index({ person: 1, date: -1 });
// The approval list (status, then the people a trainer may approve for) and the finance export by period.
entrySchema.index({ status: 1, person: 1, date: -1 });
entrySchema.index({ date: 1, status: 1 });
// Who may fetch a receipt: the entry that holds it.
entrySchema.index({ 'receipts.asset': 1 });

export interface ExpenseDoc {
  kind: ExpenseKind;
  amountPence: number;
  note: string;
}

export interface ReceiptDoc {
  asset: Types.ObjectId;
  expense: ExpenseKind;
  fileName: string;
  addedAt: Date;
}

export interface EntryDoc {
  _id: Types.ObjectId;
  person: Types.ObjectId;
  loggedBy: Types.ObjectId;
  date: Date;
  activity: Activity;
  minutes: number;
  course: Types.ObjectId | null;
  module: string;
  notes: string;
  rate: { effectiveFrom: Date; hourlyPence: number; halfDayPence: number; dayPence: number };
  basis: 'hourly' | 'half-day' | 'day';
  timePence: number;
  expenses: ExpenseDoc[];
  expensesPence: number;
  receipts: ReceiptDoc[];
  totalPence: number;
  paymentChoice: PaymentChoice;
  status: EntryStatus;
  approvedBy: Types.ObjectId | null;
  approvedAt: Date | null;
  paidBy: Types.ObjectId | null;
  paidAt: Date | null;
  rejectedBy: Types.ObjectId | null;
  rejectedAt: Date | null;
  rejectionReason: string;
  createdAt: Date;
  updatedAt: Date;
}

export const InvolvementEntry = mongoose.model('InvolvementEntry', entrySchema);
