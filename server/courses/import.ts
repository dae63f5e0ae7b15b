/**
 * Imports course folders into the database. Idempotent by a hash of each folder: an unchanged course costs
 * one hash and one small query; a changed one becomes a draft version (published by the trainer or --publish);
 * a course seen for the first time is published at once. Invalid content imports nothing of that course.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Types } from 'mongoose';
import { Conflict } from '../errors';
import type { MediaService } from '../media/service';
import { Course, CourseVersion } from './model';
import { formatProblem, hashCourseDirectory, parseCourseDirectory, type ContentProblem, type ParsedCourse } from './parse';
import type { CoursesService } from './service';
import { sortSource } from './source';
import { isDuplicateKey } from '../db/mongo-errors';

export interface ImportOptions {
  /** Check everything, write nothing. */
  dryRun?: boolean;
  /** Publish a changed course's new version at once instead of leaving it as a draft. */
  publish?: boolean;
  /** Who published, when a person ran the import. */
  byUserId?: string;
}

export type ImportOutcome =
  | 'created' // first import: version 1, published
  | 'draft-created' // changed: a new draft version
  | 'draft-updated' // changed again before the last draft was published: that draft replaced
  | 'unchanged'
  | 'invalid'
  | 'valid'; // dry run: would import

export interface CourseImportResult {
  slug: string;
  outcome: ImportOutcome;
  courseId?: string;
  version?: number;
  published: boolean;
  problems: ContentProblem[];
}

export interface ImportReport {
  ok: boolean;
  courses: CourseImportResult[];
}

export interface CourseImportDeps {
  courses: Pick<CoursesService, 'publishVersion'>;
  /** Stores the media files a course's content names, in the app's media storage. */
  media: Pick<MediaService, 'storeContentFile' | 'storage'>;
}

interface LatestVersion {
  version: number;
  status: string;
  contentHash: string;
  editedAt?: Date | null;
}

/** The course folders under `dir` (each folder is one course), sorted; none when `dir` is not a folder. */
export async function courseFolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return [];
    throw error;
  });
  return entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => path.join(dir, entry.name))
    .sort();
}

/** One line per course, and each problem on its own line, for the console. */
export function describeImport(report: ImportReport, dryRun = false): string[] {
  const words: Record<ImportOutcome, string> = {
    created: 'imported and published',
    'draft-created': 'changed: saved as a new draft version',
    'draft-updated': 'changed: the waiting draft version was updated',
    unchanged: 'unchanged',
    invalid: 'NOT imported: the content has problems',
    valid: 'valid (dry run: nothing written)',
  };
  const lines: string[] = [];
  for (const course of report.courses) {
    const version = course.version ? ` (version ${course.version}${course.published && course.outcome.startsWith('draft-') ? ', published' : ''})` : '';
    lines.push(`${course.slug}: ${words[course.outcome]}${version}`);
    for (const problem of course.problems) lines.push(`  ${formatProblem(problem)}`);
  }
  if (report.courses.length === 0) lines.push(dryRun ? 'No course folders found (dry run).' : 'No course folders found.');
  return lines;
}

export function createCourseImport({ courses, media }: CourseImportDeps) {
  /**
   * Stores every file of the folder: the media blocks use as assets (their ids go into the content), the others
   * as bytes only, so an export of the version gives back the whole folder (and the same hash).
   */
  async function storeMedia(parsed: ParsedCourse, courseDir: string): Promise<void> {
    const used = new Set(parsed.media.map((use) => use.absolutePath));
    for (const entry of parsed.source.media) {
      const absolute = path.join(courseDir, ...entry.path.split('/'));
      if (!used.has(absolute)) await media.storage.putFile(absolute);
    }
    for (const use of parsed.media) {
      const ref = await media.storeContentFile(use.absolutePath, {
        originalName: path.basename(use.src),
        mimeType: use.target.mimeType,
        altText: use.altText,
      });
      Object.assign(use.target, ref);
    }
  }

  /**
   * Publishes a course's first version. False when another process published it in the meantime (several app
   * processes starting together), which is just as good.
   */
  async function publishFirstVersion(courseId: string, version: number, byUserId?: string): Promise<boolean> {
    try {
      await courses.publishVersion(courseId, version, byUserId);
      return true;
    } catch (error) {
      if (!(error instanceof Conflict)) throw error;
      const now = await CourseVersion.findOne({ course: courseId, version }, 'status').lean<{ status: string }>();
      if (now?.status !== 'published') throw error;
      return false;
    }
  }

  /**
   * Versions stored before versions kept their source (older databases) get it from their folder while the folder
   * is unchanged (same hash), so they can be edited and exported. One small query when there is nothing to do.
   */
  async function backfillSource(courseId: Types.ObjectId, version: number, courseDir: string): Promise<void> {
    const missing = await CourseVersion.exists({ course: courseId, version, source: null });
    if (!missing) return;
    const parsed = await parseCourseDirectory(courseDir);
    if (parsed.problems.length > 0) return;
    await storeMedia(parsed, courseDir);
    await CourseVersion.updateOne({ course: courseId, version, source: null }, { $set: { source: sortSource(parsed.source) } });
  }

  /** Imports one course folder. When another process imports the same course at the same time, looks again. */
  async function importCourseFromDirectory(courseDir: string, options: ImportOptions = {}): Promise<CourseImportResult> {
    try {
      return await importOnce(courseDir, options);
    } catch (error) {
      // Several app processes starting together all import; the unique indexes let one win. Looking again
      // then finds its work (usually: unchanged).
      if (!isDuplicateKey(error)) throw error;
      return importOnce(courseDir, options);
    }
  }

  async function importOnce(courseDir: string, options: ImportOptions): Promise<CourseImportResult> {
    const slug = path.basename(courseDir);
    const contentHash = await hashCourseDirectory(courseDir);
    const course = await Course.findOne({ slug }, '_id publishedVersion')
      .lean<{ _id: Types.ObjectId; publishedVersion: number | null }>();
    const latest = course
      ? await CourseVersion.findOne({ course: course._id }, 'version status contentHash editedAt').sort({ version: -1 }).lean<LatestVersion>()
      : null;
    if (course && latest && latest.contentHash === contentHash) {
      if (course.publishedVersion == null && latest.status === 'draft' && !options.dryRun) {
        // A first import that stopped between saving and publishing: finish it, as the first import publishes.
        const publishedHere = await publishFirstVersion(course._id.toString(), latest.version, options.byUserId);
        const outcome = publishedHere ? 'created' : 'unchanged';
        return { slug, outcome, courseId: course._id.toString(), version: latest.version, published: true, problems: [] };
      }
      if (!options.dryRun) await backfillSource(course._id, latest.version, courseDir);
      return { slug, outcome: 'unchanged', courseId: course._id.toString(), version: latest.version, published: latest.status === 'published', problems: [] };
    }
    if (course && latest && latest.status === 'draft' && latest.editedAt) {
      // The team is editing a draft in the browser; a folder that is still what they started from is not news.
      const known = await CourseVersion.findOne({ course: course._id, contentHash }, 'version status').lean<{ version: number; status: string }>();
      if (known) return { slug, outcome: 'unchanged', courseId: course._id.toString(), version: known.version, published: known.status === 'published', problems: [] };
    }

    const parsed = await parseCourseDirectory(courseDir);
    if (parsed.problems.length > 0) return { slug, outcome: 'invalid', published: false, problems: parsed.problems };
    if (options.dryRun) return { slug, outcome: 'valid', courseId: course?._id.toString(), published: false, problems: [] };

    await storeMedia(parsed, courseDir);
    const source = sortSource(parsed.source);

    const content = parsed.content;
    const now = new Date();
    const changeSummary = content.changeSummary ?? '';

    if (!course) {
      const created = await Course.create({
        slug,
        title: content.title,
        summary: content.summary,
        audience: content.audience,
        status: 'draft',
        publishedVersion: null,
        latestVersion: 1,
        estimatedMinutes: content.estimatedMinutes,
        moduleCount: content.modules.length,
        credits: content.credits,
      });
      const courseId = created._id.toString();
      await CourseVersion.create({ course: created._id, version: 1, status: 'draft', contentHash, content, changeSummary, importedAt: now, source });
      const publishedHere = await publishFirstVersion(courseId, 1, options.byUserId);
      return { slug, outcome: publishedHere ? 'created' : 'unchanged', courseId, version: 1, published: true, problems: [] };
    }

    const courseId = course._id.toString();
    let version = (latest?.version ?? 0) + 1;
    let outcome: ImportOutcome = 'draft-created';
    if (latest && latest.status === 'draft') {
      // Nobody learns from a draft, so a draft that was never published is replaced rather than piled up.
      // The status in the filter matters: if a trainer published it a moment ago, it is left alone and a new
      // draft is made instead.
      const replaced = await CourseVersion.updateOne(
        // A draft people edited in the browser is theirs: the import makes a new draft after it instead.
        { course: course._id, version: latest.version, status: 'draft', editedAt: null },
        { $set: { contentHash, content, changeSummary, importedAt: now, source, sourceProblems: [] } },
      );
      if (replaced.matchedCount === 1) {
        version = latest.version;
        outcome = 'draft-updated';
      }
    }
    if (outcome === 'draft-created') {
      await CourseVersion.create({ course: course._id, version, status: 'draft', contentHash, content, changeSummary, importedAt: now, source });
      await Course.updateOne({ _id: course._id, latestVersion: { $lt: version } }, { $set: { latestVersion: version } });
    }
    if (!latest) {
      // The course was saved but its first version was not (a stop part-way through): this is its first import.
      const publishedHere = await publishFirstVersion(courseId, version, options.byUserId);
      return { slug, outcome: publishedHere ? 'created' : 'unchanged', courseId, version, published: true, problems: [] };
    }
    if (options.publish) {
      await courses.publishVersion(courseId, version, options.byUserId);
      return { slug, outcome, courseId, version, published: true, problems: [] };
    }
    return { slug, outcome, courseId, version, published: false, problems: [] };
  }

  /** Imports every course folder under `dir` (each folder is one course; its name is the course's address). */
  async function importCourses(options: ImportOptions & { dir: string }): Promise<ImportReport> {
    const courses: CourseImportResult[] = [];
    for (const folder of await courseFolders(options.dir)) courses.push(await importCourseFromDirectory(folder, options));
    return { ok: courses.every((c) => c.outcome !== 'invalid'), courses };
  }

  return {
    importCourseFromDirectory,
    importCourses,
  };
}

export type CourseImport = ReturnType<typeof createCourseImport>;
