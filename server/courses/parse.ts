/**
 * Reads one course folder (course.md, NN-module.md files and the media beside them) into a course version's
 * content, checking everything. Nothing is written anywhere: the import decides what to store.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { checkMediaFile } from '../media/validate';
import { hashFile } from '../media/storage';
import { parseModuleBody, type MediaUse } from './blocks';
import { courseFrontMatter, frontMatterProblems, FrontMatterError, moduleFrontMatter, resolveCredit, splitFrontMatter } from './front-matter';
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

/** Resolves a src attribute inside the course folder; null when it points outside it. */
function resolveSource(courseDir: string, src: string): string | null {
  if (path.isAbsolute(src) || src.includes('\\') || src.split('/').includes('..')) return null;
  const resolved = path.resolve(courseDir, src);
  return resolved.startsWith(path.resolve(courseDir) + path.sep) ? resolved : null;
}

async function readText(filePath: string): Promise<string | null> {
  try {
    return await readFile(filePath, 'utf8');
  } catch {
    return null;
  }
}

export async function parseCourseDirectory(courseDir: string): Promise<ParsedCourse> {
  const slug = path.basename(courseDir);
  const problems: ContentProblem[] = [];
  const content: CourseVersionContent = { title: '', summary: '', audience: '', estimatedMinutes: 0, credits: [], modules: [] };
  const media: CheckedMedia[] = [];
  if (!courseSlugPattern.test(slug)) {
    problems.push({ file: displayName(courseDir), message: 'a course folder name is its address: lower-case letters, digits and dashes' });
  }

  const courseFile = path.join(courseDir, 'course.md');
  const courseText = await readText(courseFile);
  if (courseText === null) {
    problems.push({ file: displayName(courseFile), message: 'every course folder needs a course.md file' });
  } else {
    try {
      const split = splitFrontMatter(courseText);
      const parsed = courseFrontMatter.safeParse(split.data);
      if (!parsed.success) {
        for (const p of frontMatterProblems(split, parsed.error)) problems.push({ file: displayName(courseFile), ...p });
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
      problems.push({ file: displayName(courseFile), line: error.line, message: error.message });
    }
  }

  const entries = (await readdir(courseDir, { withFileTypes: true })).filter((e) => e.isFile() && e.name.endsWith('.md') && e.name !== 'course.md');
  const moduleFiles = entries.map((e) => e.name).sort();
  const numbers = new Set<string>();
  for (const name of moduleFiles) {
    const file = path.join(courseDir, name);
    const match = moduleFilePattern.exec(name);
    if (!match) {
      problems.push({ file: displayName(file), message: 'a module file is named with two digits and its address, like 01-getting-to-know-the-child.md' });
      continue;
    }
    if (numbers.has(match[1] ?? '')) problems.push({ file: displayName(file), message: `two module files start with ${match[1]}` });
    numbers.add(match[1] ?? '');
    const parsedModule = await parseModuleFile(file, match[2] ?? '', problems);
    if (parsedModule) {
      content.modules.push(parsedModule.module);
      for (const use of parsedModule.media) {
        const checked = await checkMediaUse(courseDir, use, displayName(file));
        if ('problem' in checked) problems.push(checked.problem);
        else media.push(checked);
      }
    }
  }
  if (moduleFiles.length === 0) problems.push({ file: displayName(courseDir), message: 'the course has no module files (01-first-module.md, ...)' });
  return { slug, content, media, problems };
}

/** Checks one media file a block refers to, and fills in its type and size. */
async function checkMediaUse(courseDir: string, use: MediaUse, file: string): Promise<CheckedMedia | { problem: ContentProblem }> {
  const absolutePath = resolveSource(courseDir, use.src);
  if (!absolutePath) return { problem: { file, line: use.line, message: `${use.src} must be a file inside the course folder` } };
  const check = await checkMediaFile(absolutePath, use.purpose);
  if (!check.ok) {
    const where = check.line ? ` (line ${check.line} of ${use.src})` : '';
    return { problem: { file, line: use.line, message: `${use.src}: ${check.problem}${where}` } };
  }
  use.target.mimeType = check.mimeType;
  use.target.sizeBytes = check.sizeBytes;
  use.target.fileName = path.basename(use.src);
  return { ...use, absolutePath };
}

async function parseModuleFile(
  file: string,
  moduleKey: string,
  problems: ContentProblem[],
): Promise<{ module: CourseModule; media: MediaUse[] } | null> {
  const text = await readText(file);
  if (text === null) {
    problems.push({ file: displayName(file), message: 'the file cannot be read' });
    return null;
  }
  let split;
  try {
    split = splitFrontMatter(text);
  } catch (error) {
    if (!(error instanceof FrontMatterError)) throw error;
    problems.push({ file: displayName(file), line: error.line, message: error.message });
    return null;
  }
  const front = moduleFrontMatter.safeParse(split.data);
  if (!front.success) for (const p of frontMatterProblems(split, front.error)) problems.push({ file: displayName(file), ...p });
  const body = parseModuleBody(moduleKey, split.bodyLines, split.bodyStartLine);
  for (const p of body.problems) problems.push({ file: displayName(file), ...p });
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
