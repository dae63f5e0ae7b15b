import mongoose, { Schema, type Types } from 'mongoose';

/**
 * A review comment on one lesson of one draft version. A thread is a first comment (parent null) and its replies
 * (parent: the first comment's id; replies to a reply join the same thread). Resolving marks the whole thread.
 */
const reviewCommentSchema = new Schema(
  {
    course: { type: Schema.Types.ObjectId, ref: 'Course', required: true },
    version: { type: Number, required: true },
    /** "moduleKey/lessonKey": the stable keys of the lesson, so comments stay beside it when the draft changes. */
    lesson: { type: String, required: true },
    parent: { type: Schema.Types.ObjectId, ref: 'ReviewComment', default: null },
    author: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    body: { type: String, required: true },
    /** Only on a thread's first comment. */
    resolvedAt: { type: Date, default: null },
    resolvedBy: { type: Schema.Types.ObjectId, ref: 'User', default: null },
  },
  { timestamps: true },
);
// The review page: every comment on a draft, in the order written.
reviewCommentSchema.index({ course: 1, version: 1, createdAt: 1 });

export interface ReviewCommentDoc {
  _id: Types.ObjectId;
  course: Types.ObjectId;
  version: number;
  lesson: string;
  parent: Types.ObjectId | null;
  author: Types.ObjectId;
  body: string;
  resolvedAt: Date | null;
  resolvedBy: Types.ObjectId | null;
  createdAt: Date;
}

export const ReviewComment = mongoose.model('ReviewComment', reviewCommentSchema);
