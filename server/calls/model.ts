/**
 * Calls for contributions: an online focus group on a module in development. A trainer asks one question in plain
 * words; co-facilitators answer signed in, and invited parent carers and young people answer through a personal
 * link that needs no account. Answers come in any form and carry their own consent, credit choice and payment claim.
 */
import mongoose, { Schema, type Types } from 'mongoose';

export const CALL_AUDIENCES = ['co-facilitators', 'invited', 'both'] as const;
export type CallAudience = (typeof CALL_AUDIENCES)[number];

const callSchema = new Schema(
  {
    course: { type: Schema.Types.ObjectId, ref: 'Course', required: true },
    /** The module the answers are for (its key, stable across versions). */
    moduleKey: { type: String, required: true },
    question: { type: String, required: true, maxlength: 500 },
    /** Optional words that help people answer ("You can write, record your voice, or draw"). */
    guidance: { type: String, default: '', maxlength: 1000 },
    closesAt: { type: Date, required: true },
    audience: { type: String, enum: CALL_AUDIENCES, required: true },
    openedBy: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    /** Set when a trainer closes the call before its date. */
    closedAt: { type: Date, default: null },
  },
  { timestamps: true },
);
// A course's calls, newest first.
callSchema.index({ course: 1, createdAt: -1 });
// Open calls a co-facilitator may answer.
callSchema.index({ closesAt: 1, audience: 1 });

export interface CallDoc {
  _id: Types.ObjectId;
  course: Types.ObjectId;
  moduleKey: string;
  question: string;
  guidance: string;
  closesAt: Date;
  audience: CallAudience;
  openedBy: Types.ObjectId;
  closedAt: Date | null;
  createdAt: Date;
}

export const Call = mongoose.model('Call', callSchema);

export const INVITEE_RELATIONSHIPS = ['young person', 'parent carer', 'other'] as const;
export type InviteeRelationship = (typeof INVITEE_RELATIONSHIPS)[number];

/** A personal link to answer one call: for one named person, with an end date, revocable. Only its hash is kept. */
const callInvitationSchema = new Schema(
  {
    call: { type: Schema.Types.ObjectId, ref: 'Call', required: true },
    name: { type: String, required: true, maxlength: 120 },
    relationship: { type: String, enum: INVITEE_RELATIONSHIPS, required: true },
    tokenHash: { type: String, required: true },
    expiresAt: { type: Date, required: true },
    revokedAt: { type: Date, default: null },
    createdBy: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    lastUsedAt: { type: Date, default: null },
  },
  { timestamps: true },
);
callInvitationSchema.index({ tokenHash: 1 }, { unique: true });
callInvitationSchema.index({ call: 1, createdAt: 1 });

export interface CallInvitationDoc {
  _id: Types.ObjectId;
  call: Types.ObjectId;
  name: string;
  relationship: InviteeRelationship;
  tokenHash: string;
  expiresAt: Date;
  revokedAt: Date | null;
  createdBy: Types.ObjectId;
  lastUsedAt: Date | null;
  createdAt: Date;
}

export const CallInvitation = mongoose.model('CallInvitation', callInvitationSchema);

export const ANSWER_FORMS = ['writing', 'recording', 'picture'] as const;
export type AnswerForm = (typeof ANSWER_FORMS)[number];
export const ANSWER_CREDITS = ['full-name', 'first-name', 'pseudonym', 'anonymous'] as const;
export type AnswerCredit = (typeof ANSWER_CREDITS)[number];
export const PAYMENT_CLAIMS = ['paid', 'voucher', 'none'] as const;
export type PaymentClaim = (typeof PAYMENT_CLAIMS)[number];

const callAnswerSchema = new Schema(
  {
    call: { type: Schema.Types.ObjectId, ref: 'Call', required: true },
    /** Who answered: a signed-in person, or the holder of a personal link. Exactly one is set. */
    answeredBy: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    invitation: { type: Schema.Types.ObjectId, ref: 'CallInvitation', default: null },
    form: { type: String, enum: ANSWER_FORMS, required: true },
    /** The written answer, or for a recording or picture what it is about, in the person's words. */
    text: { type: String, default: '', maxlength: 10_000 },
    asset: { type: Schema.Types.ObjectId, ref: 'Asset', default: null },
    /** A note for the team in the person's own words. */
    note: { type: String, default: '', maxlength: 1000 },
    consentAt: { type: Date, required: true },
    credit: {
      display: { type: String, enum: ANSWER_CREDITS, required: true },
      /** The name (full or first is taken from it) or the pseudonym, as the person typed it. */
      name: { type: String, default: '', maxlength: 120 },
      /** Who they are, in their own words ("parent carer of an autistic boy"). */
      role: { type: String, default: '', maxlength: 200 },
    },
    claim: { type: String, enum: PAYMENT_CLAIMS, required: true },
    /** Set when the team turned the answer into a block of a draft. */
    usedIn: {
      type: new Schema(
        {
          version: { type: Number, required: true },
          moduleKey: { type: String, required: true },
          lessonKey: { type: String, required: true },
          at: { type: Date, required: true },
          by: { type: Schema.Types.ObjectId, ref: 'User', required: true },
        },
        { _id: false },
      ),
      default: null,
    },
  },
  { timestamps: true },
);
// A call's answers in the order they came.
callAnswerSchema.index({ call: 1, createdAt: 1 });
// "My answers" for a signed-in person and for a link holder.
callAnswerSchema.index({ answeredBy: 1, call: 1 });
callAnswerSchema.index({ invitation: 1 });

export interface CallAnswerDoc {
  _id: Types.ObjectId;
  call: Types.ObjectId;
  answeredBy: Types.ObjectId | null;
  invitation: Types.ObjectId | null;
  form: AnswerForm;
  text: string;
  asset: Types.ObjectId | null;
  note: string;
  consentAt: Date;
  credit: { display: AnswerCredit; name: string; role: string };
  claim: PaymentClaim;
  usedIn: { version: number; moduleKey: string; lessonKey: string; at: Date; by: Types.ObjectId } | null;
  createdAt: Date;
}

export const CallAnswer = mongoose.model('CallAnswer', callAnswerSchema);
