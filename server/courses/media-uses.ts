/**
 * Which course versions use a stored media file, and who writes a course: what the media route needs to decide
 * who may fetch a file (server/media/access.ts) without the media feature reading the courses' models itself.
 *
 * A version uses a file when its source names the file's bytes (`source.media.sha256`, indexed), or, for
 * versions imported before authoring kept a source, when its compiled content refers to the file's id.
 */
import { Types } from 'mongoose';
import { Course, CourseVersion, type VersionStatus } from './model';

export interface MediaUse {
  courseId: string;
  version: number;
  status: VersionStatus;
}

/** Where compiled content refers to a file by id (video and audio blocks, their captions, pictures, files, profiles). */
const contentRefPaths = [
  'content.modules.lessons.blocks.media.assetId',
  'content.modules.lessons.blocks.captions.assetId',
  'content.modules.lessons.blocks.image.assetId',
  'content.modules.lessons.blocks.file.assetId',
];

export function createMediaUses() {
  /** The versions that use a file with any of these sha256s (or, without a source, this asset id). */
  async function versionsUsing(input: { sha256s: string[]; assetId?: string }): Promise<MediaUse[]> {
    const or: Record<string, unknown>[] = [];
    const sha256s = input.sha256s.filter((sha) => /^[0-9a-f]{64}$/.test(sha));
    if (sha256s.length > 0) or.push({ 'source.media.sha256': { $in: sha256s } });
    if (input.assetId) {
      for (const refPath of contentRefPaths) or.push({ source: null, [refPath]: input.assetId });
    }
    if (or.length === 0) return [];
    const rows = await CourseVersion.find({ $or: or }, 'course version status').lean<{ course: Types.ObjectId; version: number; status: VersionStatus }[]>();
    return rows.map((row) => ({ courseId: row.course.toString(), version: row.version, status: row.status }));
  }

  /** The courses among `courseIds` whose authoring team has this person. */
  async function coursesWrittenBy(userId: string, courseIds: string[]): Promise<string[]> {
    const ids = courseIds.filter((id) => Types.ObjectId.isValid(id));
    if (!Types.ObjectId.isValid(userId) || ids.length === 0) return [];
    const rows = await Course.find({ _id: { $in: ids }, 'authoringTeam.user': new Types.ObjectId(userId) }, '_id').lean<{ _id: Types.ObjectId }[]>();
    return rows.map((row) => row._id.toString());
  }

  return { versionsUsing, coursesWrittenBy };
}

export type MediaUses = ReturnType<typeof createMediaUses>;
