/**
 * A course version as the files of a `content/` folder (CourseSource): read from a folder, hashed exactly as
 * the folder is hashed (hashCourseDirectory), so a course edited in the browser, exported as a ZIP and imported
 * again is recognised as the same. Parsing a source is in parse.ts (parseCourseSource); both the import and the
 * authoring pages use it, so there is one parser.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { hashFile } from '../media/storage';
import type { CourseSource } from './model';

export type SourceFile = CourseSource['files'][number];
export type SourceMedia = CourseSource['media'][number];

/**
 * Orders paths as a folder walk meets them: each folder's entries sorted by name, a folder's contents where its
 * name sorts. Comparing segment by segment gives exactly that ("media/x" before "media.txt": "media" < "media.txt").
 */
export function compareSourcePaths(a: string, b: string): number {
  const left = a.split('/');
  const right = b.split('/');
  for (let i = 0; i < Math.min(left.length, right.length); i += 1) {
    const l = left[i] ?? '';
    const r = right[i] ?? '';
    if (l !== r) return l < r ? -1 : 1;
  }
  return left.length - right.length;
}

export function sha256OfText(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * The hash of a source: `path\0sha256\0` for every file in walk order, the formula of hashCourseDirectory, so
 * the hash of a folder and of the source read from it are equal.
 */
export function hashCourseSource(source: CourseSource): string {
  const entries = [
    ...source.files.map((file) => ({ path: file.path, sha256: sha256OfText(file.text) })),
    ...source.media.map((media) => ({ path: media.path, sha256: media.sha256 })),
  ].sort((a, b) => compareSourcePaths(a.path, b.path));
  const hash = createHash('sha256');
  for (const entry of entries) hash.update(`${entry.path}\0${entry.sha256}\0`);
  return hash.digest('hex');
}

/** Sorts a source's files and media in walk order (a source is kept sorted so exports and diffs are stable). */
export function sortSource(source: CourseSource): CourseSource {
  return {
    files: [...source.files].sort((a, b) => compareSourcePaths(a.path, b.path)),
    media: [...source.media].sort((a, b) => compareSourcePaths(a.path, b.path)),
  };
}

/** A deep copy a caller may change. */
export function copySource(source: CourseSource): CourseSource {
  return { files: source.files.map((file) => ({ ...file })), media: source.media.map((media) => ({ ...media })) };
}

/** The text files of a source: the Markdown files at the top of the course folder (course.md, NN-module.md). */
export function isSourceTextPath(relativePath: string): boolean {
  return !relativePath.includes('/') && relativePath.toLowerCase().endsWith('.md');
}

/** A course folder read into memory: the source, and where each media file is on disk (to check and store it). */
export interface FolderSource {
  source: CourseSource;
  absolutePaths: Map<string, string>;
  /** What was left out and why (a symbolic link), to explain a block that names it. */
  skipped: Map<string, string>;
}

/**
 * Reads a course folder as hashCourseDirectory walks it: names starting with a dot are skipped, and so is
 * anything that is neither a file nor a folder (a symbolic link could point anywhere on the machine). Top-level
 * Markdown files become text; every other file is media, hashed but not checked (its type is checked by what a
 * block uses it for, in parse.ts), with an empty type until then.
 */
export async function readCourseFolder(courseDir: string): Promise<FolderSource> {
  const source: CourseSource = { files: [], media: [] };
  const absolutePaths = new Map<string, string>();
  const skipped = new Map<string, string>();
  const walk = async (dir: string, prefix: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.')).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      const absolute = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(absolute, relative);
      else if (entry.isFile()) {
        if (isSourceTextPath(relative)) {
          const bytes = await readFile(absolute);
          const text = decodeUtf8(bytes);
          // A Markdown file that is not UTF-8 would not come back byte for byte: kept as bytes, reported by the parser.
          if (text !== null) {
            source.files.push({ path: relative, text });
            continue;
          }
        }
        const [sha256, info] = await Promise.all([hashFile(absolute), stat(absolute)]);
        source.media.push({ path: relative, sha256, mimeType: '', sizeBytes: info.size });
        absolutePaths.set(relative, absolute);
      } else if (entry.isSymbolicLink()) skipped.set(relative, 'this is a link to another file; put the file itself here');
    }
  };
  await walk(courseDir, '');
  return { source, absolutePaths, skipped };
}

/** The text of UTF-8 bytes when they decode and encode back to the same bytes; null otherwise. */
export function decodeUtf8(bytes: Buffer): string | null {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return null;
  }
  return Buffer.from(text, 'utf8').equals(bytes) ? text : null;
}
