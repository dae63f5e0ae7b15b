import mongoose, { Schema, type InferSchemaType, type Types } from 'mongoose';
import type { CourseVersionContent, CreditEntry } from './types';

/**
 * A course is the stable identity (its slug) plus a copy of the fields the catalogue lists, taken from the
 * version that is published. The content itself lives in CourseVersion documents, one per version.
 */
const creditSchema = new Schema<CreditEntry>(
  {
    displayName: { type: String, required: true },
    display: { type: String, required: true },
    contribution: { type: String, required: true },
    role: { type: String, required: true },
    sample: { type: Boolean, required: true },
  },
  { _id: false },
);

const courseSchema = new Schema(
  {
    slug: { type: String, required: true },
    title: { type: String, required: true },
    summary: { type: String, required: true },
    audience: { type: String, required: true },
    status: { type: String, enum: ['draft', 'in_review', 'published', 'archived'], required: true, default: 'draft' },
    /** The version learners start now; null until the first publish. */
    publishedVersion: { type: Number, default: null },
    /** The highest version number that exists (draft or published). */
    latestVersion: { type: Number, required: true, default: 0 },
    estimatedMinutes: { type: Number, required: true },
    moduleCount: { type: Number, required: true, default: 0 },
    credits: { type: [creditSchema], default: [] },
    /**
     * The people who write this course's drafts: trainers and co-facilitators. `livedExperience` marks an
     * autistic young person or parent carer, whose approval is one of the two keys of a publish.
     */
    authoringTeam: {
      type: [
        new Schema(
          {
            user: { type: Schema.Types.ObjectId, ref: 'User', required: true },
            role: { type: String, enum: ['trainer', 'co-facilitator'], required: true },
            livedExperience: { type: Boolean, required: true, default: false },
            addedAt: { type: Date, required: true },
            addedBy: { type: Schema.Types.ObjectId, ref: 'User', default: null },
          },
          { _id: false },
        ),
      ],
      default: [],
    },
    /** Two-key publish (a trainer and a lived-experience co-facilitator approve); an admin may relax it per course. */
    twoKeyPublish: { type: Boolean, required: true, default: true },
  },
  { timestamps: true },
);
courseSchema.index({ slug: 1 }, { unique: true });
// "The courses I help write."
courseSchema.index({ 'authoringTeam.user': 1 });
// The catalogue: published courses in title order.
courseSchema.index({ status: 1, title: 1 });
// The trainer's list of every course.
courseSchema.index({ title: 1 });

export type CourseDoc = InferSchemaType<typeof courseSchema> & { _id: Types.ObjectId };
export const Course = mongoose.model('Course', courseSchema);

export const versionStatuses = ['draft', 'published', 'archived'] as const;
export type VersionStatus = (typeof versionStatuses)[number];

const courseVersionSchema = new Schema(
  {
    course: { type: Schema.Types.ObjectId, ref: 'Course', required: true },
    version: { type: Number, required: true },
    /** draft: not yet seen by learners; published: what new learners start; archived: an older published one. */
    status: { type: String, enum: versionStatuses, required: true },
    /** sha256 over the course's source files: an unchanged import is recognised without parsing anything. */
    contentHash: { type: String, required: true },
    /** The whole CourseVersionContent, stored as one document so a lesson page needs one read (or none: cached). */
    content: { type: Schema.Types.Mixed, required: true },
    changeSummary: { type: String, default: '' },
    importedAt: { type: Date, required: true },
    publishedAt: { type: Date, default: null },
    publishedBy: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    /**
     * The version as files, the form `content/` has: Markdown texts by path and media by path. Drafts are
     * edited here; `content` is compiled from it; `contentHash` is computed from it exactly as from a folder,
     * so an export and a re-import give the same hash. Null on versions stored before authoring existed.
     */
    source: { type: Schema.Types.Mixed, default: null },
    /**
     * What is wrong with the source of a draft saved with problems ({file, line, message}, see parse.ts): `content`
     * is then the last content that compiled, and the version cannot be published until the list is empty.
     */
    sourceProblems: { type: [Schema.Types.Mixed], default: [] },
    createdBy: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    /** The last save on the authoring pages: an import never replaces a draft people have edited in the browser. */
    editedAt: { type: Date, default: null },
    editedBy: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    submittedAt: { type: Date, default: null },
    submittedBy: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    /** Approvals of exactly one content hash each: a draft that changes after an approval voids it. */
    approvals: {
      type: [
        new Schema(
          {
            user: { type: Schema.Types.ObjectId, ref: 'User', required: true },
            as: { type: String, enum: ['trainer', 'lived-experience'], required: true },
            contentHash: { type: String, required: true },
            at: { type: Date, required: true },
          },
          { _id: false },
        ),
      ],
      default: [],
    },
  },
  // Mixed content is written once per version; minimize would drop empty arrays that the content contract expects.
  { timestamps: true, minimize: false },
);
courseVersionSchema.index({ course: 1, version: 1 }, { unique: true });
// The latest draft of a course, and a course's published version.
courseVersionSchema.index({ course: 1, status: 1, version: -1 });
// Who may fetch a media file: the versions whose source names it.
courseVersionSchema.index({ 'source.media.sha256': 1 });

export interface CourseVersionDoc {
  _id: Types.ObjectId;
  course: Types.ObjectId;
  version: number;
  status: VersionStatus;
  contentHash: string;
  content: CourseVersionContent;
  changeSummary: string;
  importedAt: Date;
  publishedAt: Date | null;
  publishedBy: Types.ObjectId | null;
  source?: CourseSource | null;
  sourceProblems?: Array<{ file: string; line?: number; message: string }>;
  createdBy?: Types.ObjectId | null;
  editedAt?: Date | null;
  editedBy?: Types.ObjectId | null;
  submittedAt?: Date | null;
  submittedBy?: Types.ObjectId | null;
  approvals?: VersionApproval[];
}

/** A version as the files of a `content/` course folder. */
export interface CourseSource {
  /** course.md and the NN-module.md files, by path relative to the course folder. */
  files: Array<{ path: string; text: string }>;
  /** Media by path relative to the course folder (e.g. media/calm-space.png), stored in the media storage. */
  media: Array<{ path: string; sha256: string; mimeType: string; sizeBytes: number }>;
}

export interface VersionApproval {
  user: Types.ObjectId;
  as: 'trainer' | 'lived-experience';
  contentHash: string;
  at: Date;
}

export const CourseVersion = mongoose.model('CourseVersion', courseVersionSchema);
