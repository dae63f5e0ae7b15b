/**
 * A course version as a ZIP of its content/ folder (course.md, the module files and the media, under a folder
 * named by the course's address), and such a ZIP imported as a new draft. Written with yazl and read with
 * yauzl (both streaming; yauzl refuses absolute and `..` names itself). Reading is guarded against zip-slip,
 * links, encrypted entries, too many entries and too many bytes (a ZIP bomb), and declared sizes are checked
 * against the bytes (validateEntrySizes). A ZIP that is refused, or whose content has problems, stores nothing:
 * it is unpacked into a temporary folder first, checked by the same parser as content/ folders, and only a valid
 * course has its media stored and a draft written.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { Forbidden, Invalid, NotFound } from '../errors';
import { Course, CourseVersion, type CourseVersionDoc } from '../courses/model';
import { checkUnusedMedia, courseSlugPattern, parseCourseSource, type ContentProblem } from '../courses/parse';
import { readCourseFolder } from '../courses/source';
import type { MediaService } from '../media/service';
import { storageKeyOf } from '../media/storage';
import { checkMediaFile } from '../media/validate';
import type { AuthoringService, TeamManager } from './service';

/** At most this many entries in a ZIP (a course has tens of files). */
export const ZIP_MAX_ENTRIES = 2000;
/** At most this many bytes unpacked in all (a ZIP bomb stops here). */
export const ZIP_MAX_TOTAL_BYTES = 1024 * 1024 * 1024;
/** At most this many bytes unpacked per entry: above the largest media file the parser accepts. */
export const ZIP_MAX_ENTRY_BYTES = 100 * 1024 * 1024;
/** A ZIP upload at most this large. */
export const ZIP_MAX_UPLOAD_BYTES = 1024 * 1024 * 1024;

/** Every entry is dated the same, so the same version always gives the same ZIP. */
const ENTRY_TIME = new Date(Date.UTC(2020, 0, 1));

export interface CourseZipsDeps {
  authoring: Pick<AuthoringService, 'isOnAuthoringTeam' | 'saveImportedDraft'>;
  media: Pick<MediaService, 'storage' | 'storeContentFile'>;
  /** Where uploaded ZIPs are unpacked while they are checked (removed afterwards, whatever happens). */
  workDir: string;
}

/** A ZIP refused before its content was read: the reason in plain words, on the form's file field. */
function refused(message: string): Invalid {
  return new Invalid({ zip: message }, 'This ZIP file cannot be imported.');
}

/** Refuses an unpacked entry once more bytes pass than allowed, per entry and in all (declared sizes may lie). */
class ByteLimit extends Transform {
  private seen = 0;
  constructor(private readonly all: { total: number }) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null, data?: Buffer) => void): void {
    this.seen += chunk.length;
    this.all.total += chunk.length;
    if (this.seen > ZIP_MAX_ENTRY_BYTES) callback(refused('A file inside the ZIP is larger than allowed.'));
    else if (this.all.total > ZIP_MAX_TOTAL_BYTES) callback(refused('The files inside the ZIP are larger than allowed in all.'));
    else callback(null, chunk);
  }
}

export function createCourseZips({ authoring, media, workDir }: CourseZipsDeps) {
  async function mayExport(courseId: string, by: TeamManager): Promise<boolean> {
    return by.roles.includes('trainer') || by.roles.includes('admin') || authoring.isOnAuthoringTeam(courseId, by.id);
  }

  /**
   * Writes a version as a ZIP to `out`: `<slug>/course.md`, `<slug>/NN-module.md`, `<slug>/media/...`, the
   * bytes exactly as stored, so importing it (or its folder) gives the same content hash.
   */
  async function exportVersion(courseId: string, version: number, by: TeamManager, out: Writable): Promise<void> {
    const course = await Course.findById(courseId, 'slug').lean<{ slug: string }>();
    if (!course) throw new NotFound('There is no such course.');
    if (!(await mayExport(courseId, by))) throw new Forbidden('Only the course’s authoring team and trainers can download its files.');
    const doc = await CourseVersion.findOne({ course: courseId, version }, 'source').lean<Pick<CourseVersionDoc, 'source'>>();
    if (!doc) throw new NotFound('This course has no such version.');
    if (!doc.source) throw new NotFound('This version was stored before courses kept their files, so it cannot be downloaded as files.');
    const zip = new yazl.ZipFile();
    const written = pipeline(zip.outputStream as Readable, out);
    for (const file of doc.source.files) zip.addBuffer(Buffer.from(file.text, 'utf8'), `${course.slug}/${file.path}`, { mtime: ENTRY_TIME });
    for (const entry of doc.source.media) {
      zip.addReadStreamLazy(`${course.slug}/${entry.path}`, { mtime: ENTRY_TIME, size: entry.sizeBytes }, (callback) => {
        media.storage.openRead(storageKeyOf(entry.sha256)).then(
          (stream) => callback(stream ? null : new Error(`The stored file for ${entry.path} is missing`), stream as Readable),
          (error: unknown) => callback(error, undefined as unknown as Readable),
        );
      });
    }
    zip.end();
    await written;
  }

  /** Unpacks a ZIP into `target`, refusing anything unsafe. Returns the course folder inside it and its address. */
  async function unpack(zipPath: string, target: string): Promise<{ folder: string; slug: string | null }> {
    let zipfile: yauzl.ZipFile;
    try {
      zipfile = await yauzl.openPromise(zipPath, { lazyEntries: true, validateEntrySizes: true, strictFileNames: true, autoClose: true });
    } catch {
      throw refused('This is not a ZIP file we can read.');
    }
    const names: string[] = [];
    try {
      if (zipfile.entryCount > ZIP_MAX_ENTRIES) throw refused(`The ZIP holds ${zipfile.entryCount} files; at most ${ZIP_MAX_ENTRIES} are allowed.`);
      const unpacked = { total: 0 };
      for await (const entry of zipfile.eachEntry()) {
        const name = entry.fileName;
        // yauzl has refused absolute names and `..` already; this keeps every path inside the target regardless.
        const resolved = path.resolve(target, name);
        if (!resolved.startsWith(path.resolve(target) + path.sep)) throw refused(`"${name}" would be written outside the course folder.`);
        if (name.split('/').some((part) => part.startsWith('.') && part !== '')) continue; // dot files: ignored, as in folders
        const mode = (entry.externalFileAttributes >>> 16) & 0o170000;
        if (mode === 0o120000) throw refused(`"${name}" is a link to another file; put the file itself in the ZIP.`);
        if (entry.isEncrypted()) throw refused(`"${name}" is encrypted; make the ZIP without a password.`);
        if (name.endsWith('/')) {
          await mkdir(resolved, { recursive: true });
          continue;
        }
        if (entry.uncompressedSize > ZIP_MAX_ENTRY_BYTES) throw refused(`"${name}" is larger than allowed.`);
        await mkdir(path.dirname(resolved), { recursive: true });
        const stream = await zipfile.openReadStreamPromise(entry);
        await pipeline(stream, new ByteLimit(unpacked), createWriteStream(resolved, { flags: 'wx' }));
        names.push(name);
      }
    } catch (error) {
      zipfile.close();
      if (error instanceof Invalid) throw error;
      throw refused(`The ZIP is damaged or unsafe: ${(error as Error).message}`);
    }
    if (names.includes('course.md')) return { folder: target, slug: null };
    const tops = new Set(names.map((name) => name.split('/')[0]));
    const [top] = [...tops];
    if (tops.size === 1 && top && names.includes(`${top}/course.md`)) return { folder: path.join(target, top), slug: top };
    throw refused('The ZIP has no course.md: it should hold one course folder (course.md, the module files and media/).');
  }

  /**
   * Imports a ZIP as a new draft of the course at its folder's address (or `slug`, for a ZIP of the files
   * alone). Content problems come back as a list and store nothing.
   */
  async function importZip(
    zipPath: string,
    by: TeamManager,
    options: { slug?: string } = {},
  ): Promise<{ ok: true; courseId: string; slug: string; version: number; createdCourse: boolean } | { ok: false; slug: string; problems: ContentProblem[] }> {
    await mkdir(workDir, { recursive: true });
    const target = await mkdtemp(path.join(workDir, 'zip-'));
    try {
      const { folder, slug: fromZip } = await unpack(zipPath, target);
      const slug = options.slug ?? fromZip;
      if (!slug || !courseSlugPattern.test(slug)) throw refused('Name the course folder inside the ZIP by its address: lower-case letters, digits and dashes.');
      if (options.slug && fromZip && fromZip !== options.slug) {
        throw refused(`This ZIP holds the course "${fromZip}", not "${options.slug}". Import it from that course's page, or from New course.`);
      }
      const { source, absolutePaths, skipped } = await readCourseFolder(folder);
      const parsed = await parseCourseSource(slug, source, {
        explainMissing: (relative) => skipped.get(relative),
        checkMedia: async (entry, purpose) => {
          const absolute = absolutePaths.get(entry.path);
          return absolute ? checkMediaFile(absolute, purpose) : { ok: false, problem: 'the file does not exist' };
        },
      });
      if (parsed.problems.length > 0) return { ok: false, slug, problems: parsed.problems };
      const used = new Set(parsed.uses.map((use) => use.entry.path));
      await checkUnusedMedia(source, absolutePaths, used);
      // Media first: a draft never names bytes that are not stored.
      for (const entry of source.media) {
        const absolute = absolutePaths.get(entry.path) ?? '';
        if (!used.has(entry.path)) await media.storage.putFile(absolute);
      }
      for (const use of parsed.uses) {
        const ref = await media.storeContentFile(absolutePaths.get(use.entry.path) ?? '', {
          originalName: path.posix.basename(use.entry.path),
          mimeType: use.target.mimeType,
          altText: use.altText,
        });
        Object.assign(use.target, ref);
      }
      const saved = await authoring.saveImportedDraft(by, slug, source, parsed.content);
      return { ok: true, slug, ...saved };
    } finally {
      await rm(target, { recursive: true, force: true });
    }
  }

  return { exportVersion, importZip };
}

export type CourseZips = ReturnType<typeof createCourseZips>;
