import mongoose, { Schema, type Types } from 'mongoose';

/**
 * A note a contributor wrote about their contribution, in their own words ("I recorded this on the bus home,
 * it says what I wanted"), shown to the authoring team beside the lesson. Not part of the course's text: it is
 * not exported and learners never see it.
 */
const contributionNoteSchema = new Schema(
  {
    course: { type: Schema.Types.ObjectId, ref: 'Course', required: true },
    version: { type: Number, required: true },
    moduleKey: { type: String, required: true },
    lessonKey: { type: String, required: true },
    /** What the note is about, in words the page shows ("the picture media/calm-corner.jpg"). */
    about: { type: String, default: '' },
    text: { type: String, required: true, maxlength: 2000 },
    by: { type: Schema.Types.ObjectId, ref: 'User', required: true },
  },
  { timestamps: true },
);
// The notes of one lesson, oldest first.
contributionNoteSchema.index({ course: 1, moduleKey: 1, lessonKey: 1, createdAt: 1 });

export interface ContributionNoteDoc {
  _id: Types.ObjectId;
  course: Types.ObjectId;
  version: number;
  moduleKey: string;
  lessonKey: string;
  about: string;
  text: string;
  by: Types.ObjectId;
  createdAt: Date;
}

export const ContributionNote = mongoose.model('ContributionNote', contributionNoteSchema);
