/**
 * Editing a module file's text one lesson or one block at a time, leaving every other line as it was, so a
 * draft edited in the browser stays a `content/` module file a person can read and edit by hand. The outline
 * comes from the parser's own rules (courses/blocks.ts outlineModuleBody).
 */
import { createHash } from 'node:crypto';
import { outlineModuleBody, slugify, type LessonOutline } from '../courses/blocks';

export interface ModuleText {
  /** The front matter lines, `---` to `---` included. */
  frontMatter: string[];
  /** The body's lines. */
  body: string[];
}

export interface LessonText {
  key: string;
  title: string;
  /** Whether the title line carries `{#key}`. */
  explicitKey: boolean;
  /** The lesson's text below its title line, blank edges trimmed. */
  text: string;
  /** Each block's source text, in order. */
  blocks: string[];
  /** The hash of the lesson's whole text (title line included): an edit form carries it to detect a stale base. */
  hash: string;
}

/** Lines of a text, with Windows and old Mac line ends made plain. */
export function linesOf(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

export function splitModuleText(text: string): ModuleText {
  const lines = linesOf(text);
  if ((lines[0] ?? '').trim() !== '---') return { frontMatter: [], body: lines };
  const end = lines.findIndex((line, index) => index > 0 && line.trim() === '---');
  if (end < 0) return { frontMatter: [], body: lines };
  return { frontMatter: lines.slice(0, end + 1), body: lines.slice(end + 1) };
}

export function joinModuleText(module: ModuleText): string {
  const text = [...module.frontMatter, ...module.body].join('\n');
  return text.endsWith('\n') ? text : `${text}\n`;
}

export function hashText(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function lessonKeyOf(outline: LessonOutline): string {
  return outline.explicitKey ?? slugify(outline.title);
}

function trimBlankLines(lines: string[]): string[] {
  let start = 0;
  let end = lines.length;
  while (start < end && (lines[start] ?? '').trim() === '') start += 1;
  while (end > start && (lines[end - 1] ?? '').trim() === '') end -= 1;
  return lines.slice(start, end);
}

/** The lessons of a module, with their text and blocks. */
export function readLessons(module: ModuleText): LessonText[] {
  const { lessons } = outlineModuleBody(module.body);
  return lessons.map((outline) => {
    const section = module.body.slice(outline.start, outline.end);
    return {
      key: lessonKeyOf(outline),
      title: outline.title,
      explicitKey: outline.explicitKey !== undefined,
      text: trimBlankLines(section.slice(1)).join('\n'),
      blocks: outline.blocks.map((block) => module.body.slice(block.start, block.end).join('\n')),
      hash: hashText(trimBlankLines(section).join('\n')),
    };
  });
}

/** The title line of a lesson: `{#key}` is written whenever the title alone would give another key. */
export function lessonHeading(title: string, key: string): string {
  const clean = title.replace(/\s+/g, ' ').trim();
  return slugify(clean) === key ? `## ${clean}` : `## ${clean} {#${key}}`;
}

/** A lesson's section: its title line, a blank line, its text. */
function sectionLines(title: string, key: string, text: string): string[] {
  const body = trimBlankLines(linesOf(text));
  return [lessonHeading(title, key), ...(body.length > 0 ? ['', ...body] : [])];
}

/** Puts sections between the body's preamble (before the first lesson) with one blank line between each. */
function rebuildBody(preamble: string[], sections: string[][]): string[] {
  const lines = [...trimBlankLines(preamble)];
  for (const section of sections) {
    lines.push('', ...section);
  }
  lines.push('');
  return lines;
}

function sectionsOf(module: ModuleText): { preamble: string[]; sections: Array<{ key: string; lines: string[] }> } {
  const { lessons, firstLessonLine } = outlineModuleBody(module.body);
  return {
    preamble: module.body.slice(0, firstLessonLine),
    sections: lessons.map((outline) => ({ key: lessonKeyOf(outline), lines: trimBlankLines(module.body.slice(outline.start, outline.end)) })),
  };
}

/** Replaces one lesson's title and text (its key stays). */
export function replaceLesson(module: ModuleText, key: string, title: string, text: string): ModuleText {
  const { preamble, sections } = sectionsOf(module);
  const index = sections.findIndex((section) => section.key === key);
  if (index < 0) throw new Error(`no lesson ${key}`);
  const replaced = sections.map((section, i) => (i === index ? sectionLines(title, key, text) : section.lines));
  return { frontMatter: module.frontMatter, body: rebuildBody(preamble, replaced) };
}

/** Adds a lesson at the end (or after `afterKey`). */
export function addLesson(module: ModuleText, key: string, title: string, text: string, afterKey?: string): ModuleText {
  const { preamble, sections } = sectionsOf(module);
  const lines = sections.map((section) => section.lines);
  const after = afterKey ? sections.findIndex((section) => section.key === afterKey) : -1;
  lines.splice(after >= 0 ? after + 1 : lines.length, 0, sectionLines(title, key, text));
  return { frontMatter: module.frontMatter, body: rebuildBody(preamble, lines) };
}

export function removeLesson(module: ModuleText, key: string): ModuleText {
  const { preamble, sections } = sectionsOf(module);
  return { frontMatter: module.frontMatter, body: rebuildBody(preamble, sections.filter((s) => s.key !== key).map((s) => s.lines)) };
}

/** Moves a lesson one place up (-1) or down (+1); nothing happens at either end. */
export function moveLesson(module: ModuleText, key: string, direction: -1 | 1): ModuleText {
  const { preamble, sections } = sectionsOf(module);
  const index = sections.findIndex((section) => section.key === key);
  const target = index + direction;
  if (index < 0 || target < 0 || target >= sections.length) return module;
  const lines = sections.map((section) => section.lines);
  [lines[index], lines[target]] = [lines[target] ?? [], lines[index] ?? []];
  return { frontMatter: module.frontMatter, body: rebuildBody(preamble, lines) };
}

/** A lesson's text from its blocks: one blank line between blocks. */
export function lessonTextOfBlocks(blocks: string[]): string {
  return blocks.map((block) => trimBlankLines(linesOf(block)).join('\n')).filter((block) => block !== '').join('\n\n');
}

/**
 * Sets a top-level front matter setting to a one-line value, replacing the setting's lines (a folded value goes
 * on several lines) and keeping every other line and comment. Values are written as YAML double-quoted
 * strings (JSON strings are valid YAML) unless they are plain words.
 */
export function setFrontMatterValue(module: ModuleText, name: string, value: string): ModuleText {
  const written = /^[A-Za-z][A-Za-z0-9 -]*$/.test(value) && !/^(true|false|null|yes|no|on|off)$/i.test(value) ? value : JSON.stringify(value);
  const lines = [...module.frontMatter];
  if (lines.length < 2) throw new Error('the module has no front matter');
  const start = lines.findIndex((line, index) => index > 0 && line.startsWith(`${name}:`));
  if (start < 0) {
    lines.splice(lines.length - 1, 0, `${name}: ${written}`);
    return { frontMatter: lines, body: module.body };
  }
  let end = start + 1;
  while (end < lines.length - 1 && /^\s+\S/.test(lines[end] ?? '') ) end += 1;
  lines.splice(start, end - start, `${name}: ${written}`);
  return { frontMatter: lines, body: module.body };
}
