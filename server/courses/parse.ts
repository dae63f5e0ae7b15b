/**
 * Reads one course folder (course.md, NN-module.md files and the media beside them) into a course version's
 * content, checking everything. Nothing is written anywhere: the import decides what to store.
 */
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { checkMediaFile, describePurpose, expectedMimeType, allowedExtensions, purposesOfExtension, type MediaCheck, type MediaPurpose } from '../media/validate';
import { hashFile } from '../media/storage';
import { parseModuleBody, type MediaUse } from './blocks';
import { courseFrontMatter, frontMatterProblems, FrontMatterError, moduleFrontMatter, resolveCredit, splitFrontMatter } from './front-matter';
import type { CourseSource } from './model';
import { isSourceTextPath, readCourseFolder, type SourceMedia } from './source';
import type { CourseModule, CourseVersionContent } from './types';

/** A problem in the content: the file (as the author would find it), the line when known, and what is wrong. */
export interface ContentProblem {
  file: string;
  line?: number;
  message: string;
}

export function formatProblem(problem: ContentProblem): string {
  return `${problem.file}${problem.line ? `:${problem.line}` : ''}: ${problem.message}`;
}

/** A checked media file with the absolute path it was read from. */
export interface CheckedMedia extends MediaUse {
  absolutePath: string;
}

export interface ParsedCourse {
  slug: string;
  content: CourseVersionContent;
  media: CheckedMedia[];
  problems: ContentProblem[];
  /** The folder as read, with the media types filled in where a block uses them (what the import stores). */
  source: CourseSource;
}

/** A media file a block uses, with the source entry it names. */
export interface SourceMediaUse extends MediaUse {
  entry: SourceMedia;
}

/** A source compiled into a version's content. The media references get their asset ids from the caller. */
export interface ParsedSource {
  slug: string;
  content: CourseVersionContent;
  uses: SourceMediaUse[];
  problems: ContentProblem[];
}

export interface ParseSourceOptions {
  /** How a file is named in problems; default: its path inside the course folder. */
  fileLabel?: (relativePath: string) => string;
  /**
   * Checks a media file's bytes for the purpose a block uses it for (a folder or ZIP, whose bytes are at hand).
   * Without it, the type stored in the source is trusted: it was checked when the file entered the source.
   */
  checkMedia?: (entry: SourceMedia, purpose: MediaPurpose) => Promise<MediaCheck>;
  /** Why a path a block names is not in the source, when the reader knows (a link, say). */
  explainMissing?: (relativePath: string) => string | undefined;
}

export const courseSlugPattern = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const moduleFilePattern = /^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$/;

/** How a file is named in messages: relative to the working folder when inside it. */
function displayName(filePath: string): string {
  const relative = path.relative(process.cwd(), filePath);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : filePath;
}

/**
 * The hash of everything in a course folder (names and bytes, in a fixed order): equal hashes mean nothing
 * changed, so an unchanged course is recognised without parsing. Files starting with a dot are ignored.
 */
export async function hashCourseDirectory(courseDir: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (dir: string, prefix: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.')).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(path.join(dir, entry.name), relative);
      else if (entry.isFile()) hash.update(`${relative}\0${await hashFile(path.join(dir, entry.name))}\0`);
    }
  };
  await walk(courseDir, '');
  return hash.digest('hex');
}

/** Resolves a src attribute to a path inside the course folder; null when it points outside it. */
function sourcePathOf(src: string): string | null {
  if (!src || path.posix.isAbsolute(src) || src.includes('\\') || src.split('/').includes('..')) return null;
  const normalised = path.posix.normalize(src);
  return normalised.startsWith('../') || normalised === '.' ? null : normalised;
}

/**
 * Compiles a course's source into a version's content, checking everything: the one parser of courses, used by
 * the folder import (parseCourseDirectory), ZIP import and every save of a draft. Nothing is written anywhere.
 */
export async function parseCourseSource(slug: string, source: CourseSource, options: ParseSourceOptions = {}): Promise<ParsedSource> {
  const label = options.fileLabel ?? ((relative: string) => relative);
  const problems: ContentProblem[] = [];
  const content: CourseVersionContent = { title: '', summary: '', audience: '', estimatedMinutes: 0, credits: [], modules: [] };
  const uses: SourceMediaUse[] = [];
  if (!courseSlugPattern.test(slug)) {
    problems.push({ file: label('.'), message: 'a course folder name is its address: lower-case letters, digits and dashes' });
  }
  const texts = new Map(source.files.map((file) => [file.path, file.text]));
  const mediaByPath = new Map(source.media.map((entry) => [entry.path, entry]));
  for (const entry of source.media) {
    if (isSourceTextPath(entry.path)) problems.push({ file: label(entry.path), message: 'the file is not UTF-8 text: save it as UTF-8' });
  }

  const courseText = texts.get('course.md');
  if (courseText === undefined) {
    if (!mediaByPath.has('course.md')) problems.push({ file: label('course.md'), message: 'every course folder needs a course.md file' });
  } else {
    try {
      const split = splitFrontMatter(courseText);
      const parsed = courseFrontMatter.safeParse(split.data);
      if (!parsed.success) {
        for (const p of frontMatterProblems(split, parsed.error)) problems.push({ file: label('course.md'), ...p });
      } else {
        content.title = parsed.data.title;
        content.summary = parsed.data.summary;
        content.audience = parsed.data.audience;
        content.estimatedMinutes = parsed.data.estimatedMinutes;
        content.credits = parsed.data.credits.map(resolveCredit);
        if (parsed.data.changes) content.changeSummary = parsed.data.changes;
      }
    } catch (error) {
      if (!(error instanceof FrontMatterError)) throw error;
      problems.push({ file: label('course.md'), line: error.line, message: error.message });
    }
  }

  const moduleFiles = source.files.map((file) => file.path).filter((p) => isSourceTextPath(p) && p !== 'course.md').sort();
  const numbers = new Set<string>();
  const checks = new Map<string, Promise<MediaCheck>>();
  for (const name of moduleFiles) {
    const match = moduleFilePattern.exec(name);
    if (!match) {
      problems.push({ file: label(name), message: 'a module file is named with two digits and its address, like 01-getting-to-know-the-child.md' });
      continue;
    }
    if (numbers.has(match[1] ?? '')) problems.push({ file: label(name), message: `two module files start with ${match[1]}` });
    numbers.add(match[1] ?? '');
    const parsedModule = parseModuleText(texts.get(name) ?? '', match[2] ?? '', label(name), problems);
    if (!parsedModule) continue;
    content.modules.push(parsedModule.module);
    for (const use of parsedModule.media) {
      const checked = await checkSourceMediaUse(use, mediaByPath, checks, options);
      if ('problem' in checked) problems.push({ file: label(name), line: use.line, message: checked.problem });
      else uses.push(checked);
    }
  }
  if (moduleFiles.length === 0) problems.push({ file: label('.'), message: 'the course has no module files (01-first-module.md, ...)' });
  return { slug, content, uses, problems };
}

/** Checks one media file a block refers to, and fills in its type and size. */
async function checkSourceMediaUse(
  use: MediaUse,
  mediaByPath: Map<string, SourceMedia>,
  checks: Map<string, Promise<MediaCheck>>,
  options: ParseSourceOptions,
): Promise<SourceMediaUse | { problem: string }> {
  const relative = sourcePathOf(use.src);
  if (!relative) return { problem: `${use.src} must be a file inside the course folder` };
  const extension = path.posix.extname(relative).slice(1).toLowerCase();
  const expected = expectedMimeType(use.purpose, extension);
  if (!expected) {
    return { problem: `${use.src}: ${describePurpose(use.purpose)} must be one of: ${allowedExtensions(use.purpose).map((e) => `.${e}`).join(', ')}` };
  }
  const entry = mediaByPath.get(relative);
  if (!entry) return { problem: `${use.src}: ${options.explainMissing?.(relative) ?? 'the file does not exist'}` };
  const checkMedia = options.checkMedia;
  if (checkMedia) {
    const key = `${use.purpose}\0${relative}`;
    let check = checks.get(key);
    if (!check) {
      check = checkMedia(entry, use.purpose);
      checks.set(key, check);
    }
    const result = await check;
    if (!result.ok) {
      const where = result.line ? ` (line ${result.line} of ${use.src})` : '';
      return { problem: `${use.src}: ${result.problem}${where}` };
    }
    entry.mimeType = result.mimeType;
    entry.sizeBytes = result.sizeBytes;
  } else if (entry.mimeType !== expected) {
    return { problem: `${use.src}: this file was not accepted as ${describePurpose(use.purpose)}; upload it again for this block` };
  }
  use.target.mimeType = entry.mimeType;
  use.target.sizeBytes = entry.sizeBytes;
  use.target.fileName = path.posix.basename(relative);
  return { ...use, entry };
}

function parseModuleText(
  text: string,
  moduleKey: string,
  file: string,
  problems: ContentProblem[],
): { module: CourseModule; media: MediaUse[] } | null {
  let split;
  try {
    split = splitFrontMatter(text);
  } catch (error) {
    if (!(error instanceof FrontMatterError)) throw error;
    problems.push({ file, line: error.line, message: error.message });
    return null;
  }
  const front = moduleFrontMatter.safeParse(split.data);
  if (!front.success) for (const p of frontMatterProblems(split, front.error)) problems.push({ file, ...p });
  const body = parseModuleBody(moduleKey, split.bodyLines, split.bodyStartLine);
  for (const p of body.problems) problems.push({ file, ...p });
  if (!front.success) return null;
  return {
    module: {
      key: moduleKey,
      title: front.data.title,
      summary: front.data.summary,
      coProductionLevel: front.data.coProductionLevel,
      credits: front.data.credits.map(resolveCredit),
      lessons: body.lessons,
    },
    media: body.media,
  };
}

/**
 * Gives media no block uses a type when their bytes pass the check for a purpose their extension allows, so a
 * block added later can use them; those that pass none keep an empty type (and cannot be used until uploaded again).
 */
export async function checkUnusedMedia(source: CourseSource, absolutePaths: Map<string, string>, used: Set<string>): Promise<void> {
  for (const entry of source.media) {
    if (used.has(entry.path) || entry.mimeType) continue;
    const absolute = absolutePaths.get(entry.path);
    if (!absolute) continue;
    for (const purpose of purposesOfExtension(path.posix.extname(entry.path).slice(1))) {
      const check = await checkMediaFile(absolute, purpose);
      if (check.ok) {
        entry.mimeType = check.mimeType;
        break;
      }
    }
  }
}

/**
 * Reads and parses one course folder: the folder read into a source (source.ts), then parseCourseSource with
 * each media file checked by its bytes. Problems name files as the author finds them (relative to the working folder).
 */
export async function parseCourseDirectory(courseDir: string): Promise<ParsedCourse> {
  const slug = path.basename(courseDir);
  const { source, absolutePaths, skipped } = await readCourseFolder(courseDir);
  const parsed = await parseCourseSource(slug, source, {
    fileLabel: (relative) => displayName(relative === '.' ? courseDir : path.join(courseDir, relative)),
    explainMissing: (relative) => skipped.get(relative),
    checkMedia: async (entry, purpose) => {
      const absolute = absolutePaths.get(entry.path);
      return absolute ? checkMediaFile(absolute, purpose) : { ok: false, problem: 'the file does not exist' };
    },
  });
  await checkUnusedMedia(source, absolutePaths, new Set(parsed.uses.map((use) => use.entry.path)));
  const media = parsed.uses.map((use) => ({ ...use, absolutePath: absolutePaths.get(use.entry.path) ?? '' }));
  return { slug, content: parsed.content, media, problems: parsed.problems, source };
}
