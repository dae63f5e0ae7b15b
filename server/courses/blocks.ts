/**
 * The body of a module file: `## Lesson title` starts a lesson; `:::kind{attributes}` ... `:::` is a block;
 * plain Markdown between blocks is a text block. The syntax is documented in content/README.md.
 */
import type { MediaPurpose } from '../media/validate';
import { findMarkdownProblems, renderMarkdown } from './markdown';
import type { AssetRef, Block, CheckOption, CheckQuestion, Lesson } from './types';

export interface LineProblem {
  line: number;
  message: string;
}

/** A media file a block refers to; `target` is filled in once the file is checked and stored. */
export interface MediaUse {
  purpose: MediaPurpose;
  src: string;
  line: number;
  target: AssetRef;
  altText?: string;
}

interface NumberedLine {
  text: string;
  line: number;
}

const directiveNames = ['video', 'audio', 'image', 'file', 'check', 'reflection', 'profile'] as const;
type DirectiveName = (typeof directiveNames)[number];

/** The attributes each block accepts; anything else is a typo worth reporting. */
const allowedAttributes: Record<DirectiveName, string[]> = {
  video: ['src', 'captions', 'title', 'id', 'optional', 'required'],
  audio: ['src', 'captions', 'title', 'id', 'optional', 'required'],
  image: ['src', 'alt', 'id', 'optional', 'required'],
  file: ['src', 'label', 'id', 'optional', 'required'],
  check: ['title', 'passMark', 'id', 'optional', 'required'],
  reflection: ['id', 'optional', 'required'],
  profile: ['name', 'image', 'alt', 'id', 'optional', 'required'],
};

const lessonHeading = /^##\s+(.+?)\s*(?:\{#([a-z0-9]+(?:-[a-z0-9]+)*)\})?\s*$/;
const directiveOpen = /^:::([A-Za-z]+)\s*(\{.*\})?\s*$/;
const directiveClose = /^:::\s*$/;
const fence = /^ {0,3}(`{3,}|~{3,})/;
const keyPattern = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export function slugify(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/g, '');
}

/** Parses `{src="a.mp4" title='A title' passMark=2 optional}`. */
export function parseAttributes(source: string): { attributes: Map<string, string>; problem?: string } {
  const attributes = new Map<string, string>();
  const inner = source.trim().replace(/^\{/, '').replace(/\}$/, '');
  const pattern = /\s*([A-Za-z][\w-]*)(?:=(?:"([^"]*)"|'([^']*)'|([^\s"'}]+)))?/y;
  let position = 0;
  while (position < inner.length) {
    if (/^\s*$/.test(inner.slice(position))) break;
    pattern.lastIndex = position;
    const match = pattern.exec(inner);
    if (!match || match[0].length === 0) {
      return { attributes, problem: `cannot read the attributes near "${inner.slice(position).trim().slice(0, 30)}" (use name="value")` };
    }
    const name = match[1] ?? '';
    if (attributes.has(name)) return { attributes, problem: `the attribute ${name} is given twice` };
    attributes.set(name, match[2] ?? match[3] ?? match[4] ?? '');
    position = pattern.lastIndex;
  }
  return { attributes };
}

interface Directive {
  name: string;
  attributes: Map<string, string>;
  line: number;
  body: NumberedLine[];
}

type Chunk = { kind: 'text'; lines: NumberedLine[] } | { kind: 'directive'; directive: Directive };

interface RawLesson {
  title: string;
  explicitKey?: string;
  line: number;
  chunks: Chunk[];
}

/** Splits the body into lessons and chunks, keeping each line's number in the file. */
function splitLessons(lines: string[], firstLine: number, problems: LineProblem[]): RawLesson[] {
  const lessons: RawLesson[] = [];
  let text: NumberedLine[] = [];
  let directive: Directive | null = null;
  let inFence: string | null = null;

  const flushText = (): void => {
    if (text.some((l) => l.text.trim() !== '')) {
      const lesson = lessons.at(-1);
      const first = text.find((l) => l.text.trim() !== '');
      if (lesson) lesson.chunks.push({ kind: 'text', lines: text });
      else if (first) problems.push({ line: first.line, message: 'start the module with a lesson title line: ## Lesson title' });
    }
    text = [];
  };

  lines.forEach((raw, index) => {
    const line = firstLine + index;
    if (directive) {
      if (directiveClose.test(raw)) {
        const lesson = lessons.at(-1);
        if (lesson) lesson.chunks.push({ kind: 'directive', directive });
        else problems.push({ line: directive.line, message: 'start the module with a lesson title line: ## Lesson title' });
        directive = null;
      } else if (directiveOpen.test(raw)) {
        problems.push({ line, message: `a block cannot start inside the :::${directive.name} block that starts on line ${directive.line}; close that one with ::: first` });
      } else {
        directive.body.push({ text: raw, line });
      }
      return;
    }
    if (inFence) {
      if (raw.trim().startsWith(inFence)) inFence = null;
      text.push({ text: raw, line });
      return;
    }
    const fenceMatch = fence.exec(raw);
    if (fenceMatch) {
      inFence = fenceMatch[1] ?? null;
      text.push({ text: raw, line });
      return;
    }
    const heading = lessonHeading.exec(raw);
    if (heading) {
      flushText();
      lessons.push({ title: heading[1] ?? '', explicitKey: heading[2], line, chunks: [] });
      return;
    }
    if (raw.startsWith('##') && !raw.startsWith('###')) {
      problems.push({ line, message: 'a lesson title line is written ## Title, optionally followed by {#lesson-key}' });
      return;
    }
    const open = directiveOpen.exec(raw);
    if (open) {
      flushText();
      const parsed = parseAttributes(open[2] ?? '');
      if (parsed.problem) problems.push({ line, message: parsed.problem });
      directive = { name: open[1] ?? '', attributes: parsed.attributes, line, body: [] };
      return;
    }
    if (directiveClose.test(raw)) {
      problems.push({ line, message: 'this ::: closes nothing: no block is open here' });
      return;
    }
    text.push({ text: raw, line });
  });
  flushText();
  const unclosed = directive as Directive | null;
  if (unclosed) problems.push({ line: unclosed.line, message: `the :::${unclosed.name} block that starts here has no closing ::: line` });
  return lessons;
}

function trimBlankEdges(lines: NumberedLine[]): NumberedLine[] {
  let start = 0;
  let end = lines.length;
  while (start < end && (lines[start]?.text.trim() ?? '') === '') start += 1;
  while (end > start && (lines[end - 1]?.text.trim() ?? '') === '') end -= 1;
  return lines.slice(start, end);
}

/** Renders Markdown lines, reporting what a lesson must express differently. */
function markdownOf(lines: NumberedLine[], problems: LineProblem[]): string {
  const trimmed = trimBlankEdges(lines);
  if (trimmed.length === 0) return '';
  const source = trimmed.map((l) => l.text).join('\n');
  const firstLine = trimmed[0]?.line ?? 0;
  for (const problem of findMarkdownProblems(source)) problems.push({ line: firstLine + problem.lineOffset, message: problem.message });
  return renderMarkdown(source);
}

function placeholder(src: string): AssetRef {
  return { assetId: '', fileName: src, mimeType: '', sizeBytes: 0 };
}

interface BlockContext {
  keyPrefix: string;
  counters: Map<string, number>;
  usedKeys: Set<string>;
  media: MediaUse[];
  problems: LineProblem[];
}

function blockKey(context: BlockContext, kind: string, directive: Directive | null, line: number): string {
  const count = (context.counters.get(kind) ?? 0) + 1;
  context.counters.set(kind, count);
  const id = directive?.attributes.get('id');
  if (id !== undefined && !keyPattern.test(id)) {
    context.problems.push({ line, message: 'an id uses lower-case letters, digits and dashes, like id=first-check' });
  }
  const key = `${context.keyPrefix}/${id ?? `${kind}-${count}`}`;
  if (context.usedKeys.has(key)) context.problems.push({ line, message: `two blocks in this lesson have the key ${key}; give one an id=` });
  context.usedKeys.add(key);
  return key;
}

function isRequired(directive: Directive, byDefault: boolean): boolean {
  if (directive.attributes.has('optional')) return false;
  if (directive.attributes.has('required')) return true;
  return byDefault;
}

function requireAttribute(directive: Directive, name: string, problems: LineProblem[], hint: string): string {
  const value = directive.attributes.get(name)?.trim() ?? '';
  if (!value) problems.push({ line: directive.line, message: `the :::${directive.name} block needs ${name}="..." (${hint})` });
  return value;
}

function useMedia(context: BlockContext, purpose: MediaPurpose, src: string, line: number, altText?: string): AssetRef {
  const target = placeholder(src);
  if (src) context.media.push({ purpose, src, line, target, altText });
  return target;
}

function checkAltText(alt: string, src: string, line: number, problems: LineProblem[]): void {
  if (!alt) return;
  const fileName = src.split('/').at(-1) ?? src;
  if (alt.length < 5 || alt.toLowerCase() === fileName.toLowerCase() || /\.(png|jpe?g|gif|webp)$/i.test(alt)) {
    problems.push({ line, message: 'the alt text must describe what the picture shows, in words (not the file name)' });
  }
}

function parseCheck(directive: Directive, context: BlockContext): { questions: CheckQuestion[]; passMark: number } {
  const questions: CheckQuestion[] = [];
  const problems = context.problems;
  let current: (CheckQuestion & { line: number }) | null = null;
  const finish = (): void => {
    if (!current) return;
    const correct = current.options.filter((o) => o.correct).length;
    if (current.options.length < 2) problems.push({ line: current.line, message: 'a question needs at least two answers to choose from' });
    else if (correct === 0) problems.push({ line: current.line, message: 'this question has no right answer: mark one with - [x]' });
    else if (!current.multiple && correct > 1) {
      problems.push({ line: current.line, message: 'this question has more than one right answer: add {multiple} after the question to make it "tick all that apply"' });
    }
    const { line: _line, ...question } = current;
    questions.push(question);
    current = null;
  };
  for (const { text, line } of directive.body) {
    const trimmed = text.trim();
    if (!trimmed) continue;
    const question = /^\?\s+(.+?)\s*(\{multiple\})?$/.exec(trimmed);
    if (question) {
      finish();
      current = { key: `q${questions.length + 1}`, prompt: question[1] ?? '', multiple: Boolean(question[2]), options: [], line };
      continue;
    }
    const answer = /^[-*]\s+\[( |x|X)\]\s+(.+)$/.exec(trimmed);
    if (answer) {
      if (!current) {
        problems.push({ line, message: 'an answer must come after its question line (? Question)' });
        continue;
      }
      const [optionText, ...feedbackParts] = (answer[2] ?? '').split(/\s+::\s+/);
      const feedback = feedbackParts.join(' :: ').trim();
      if (!feedback) problems.push({ line, message: 'every answer needs feedback after " :: ", saying why it is right or not' });
      const option: CheckOption = {
        key: String.fromCharCode(97 + current.options.length),
        text: (optionText ?? '').trim(),
        correct: answer[1] !== ' ',
        feedback,
      };
      current.options.push(option);
      continue;
    }
    problems.push({ line, message: 'in a check, a line is a question (? Question) or an answer (- [x] Right answer :: feedback, - [ ] Wrong answer :: feedback)' });
  }
  finish();
  if (questions.length === 0) problems.push({ line: directive.line, message: 'the check has no questions' });
  const passMarkText = directive.attributes.get('passMark');
  let passMark = questions.length;
  if (passMarkText !== undefined) {
    passMark = Number(passMarkText);
    if (!Number.isInteger(passMark) || passMark < 1) {
      problems.push({ line: directive.line, message: 'passMark must be a whole number of questions, at least 1' });
    } else if (passMark > questions.length) {
      problems.push({ line: directive.line, message: `passMark is ${passMark} but the check has only ${questions.length} question${questions.length === 1 ? '' : 's'}` });
    }
  }
  return { questions, passMark };
}

function parseProfile(directive: Directive, problems: LineProblem[]): { introHtml?: string; communication: string[]; loves: string[]; mustKnow: string[] } {
  const intro: NumberedLine[] = [];
  const sections: Record<'communication' | 'loves' | 'mustKnow', string[]> = { communication: [], loves: [], mustKnow: [] };
  let section: keyof typeof sections | null = null;
  for (const { text, line } of directive.body) {
    const heading = /^###\s+(.+)$/.exec(text.trim());
    if (heading) {
      const title = (heading[1] ?? '').toLowerCase();
      section = title.includes('must know') ? 'mustKnow' : title.includes('communicat') ? 'communication' : title.includes('love') ? 'loves' : null;
      if (!section) problems.push({ line, message: 'a profile has three parts: ### Communication, ### What I love doing, ### What everyone MUST know' });
      continue;
    }
    if (!section) {
      intro.push({ text, line });
      continue;
    }
    if (!text.trim()) continue;
    const item = /^[-*]\s+(.+)$/.exec(text.trim());
    if (item) sections[section].push((item[1] ?? '').trim());
    else problems.push({ line, message: 'write each part of the profile as a list, one "- " line per point' });
  }
  const missing = (Object.keys(sections) as Array<keyof typeof sections>).filter((k) => sections[k].length === 0);
  if (missing.length > 0) {
    const names = { communication: 'Communication', loves: 'What I love doing', mustKnow: 'What everyone MUST know' };
    problems.push({ line: directive.line, message: `the profile needs points under: ${missing.map((k) => `### ${names[k]}`).join(', ')}` });
  }
  const introHtml = markdownOf(intro, problems);
  return { ...(introHtml ? { introHtml } : {}), ...sections };
}

function directiveBlock(directive: Directive, context: BlockContext): Block | null {
  const problems = context.problems;
  if (!(directiveNames as readonly string[]).includes(directive.name)) {
    problems.push({ line: directive.line, message: `unknown block :::${directive.name}; the blocks are ${directiveNames.map((n) => `:::${n}`).join(', ')}` });
    return null;
  }
  const name = directive.name as DirectiveName;
  for (const attribute of directive.attributes.keys()) {
    if (!allowedAttributes[name].includes(attribute)) {
      problems.push({ line: directive.line, message: `:::${name} has no attribute ${attribute}; it takes ${allowedAttributes[name].join(', ')}` });
    }
  }
  const key = blockKey(context, name, directive, directive.line);
  switch (name) {
    case 'video':
    case 'audio': {
      const src = requireAttribute(directive, 'src', problems, 'the media file beside this one');
      const title = requireAttribute(directive, 'title', problems, 'a short title for the clip');
      const captionsSrc = directive.attributes.get('captions')?.trim();
      const transcriptHtml = markdownOf(directive.body, problems);
      if (!captionsSrc && !transcriptHtml) {
        problems.push({ line: directive.line, message: `the ${name} needs captions="file.vtt" or a transcript written inside the block (better: both)` });
      }
      return {
        key,
        kind: name,
        required: isRequired(directive, false),
        title,
        media: useMedia(context, name, src, directive.line),
        ...(captionsSrc ? { captions: useMedia(context, 'captions', captionsSrc, directive.line) } : {}),
        ...(transcriptHtml ? { transcriptHtml } : {}),
      };
    }
    case 'image': {
      const src = requireAttribute(directive, 'src', problems, 'the picture file beside this one');
      const alt = requireAttribute(directive, 'alt', problems, 'alt text: what the picture shows, for people who cannot see it');
      checkAltText(alt, src, directive.line, problems);
      const captionHtml = markdownOf(directive.body, problems);
      return {
        key,
        kind: 'image',
        required: isRequired(directive, false),
        image: useMedia(context, 'image', src, directive.line, alt),
        alt,
        ...(captionHtml ? { captionHtml } : {}),
      };
    }
    case 'file': {
      const src = requireAttribute(directive, 'src', problems, 'the file beside this one');
      const label = requireAttribute(directive, 'label', problems, 'what the download is, in words');
      if (trimBlankEdges(directive.body).length > 0) problems.push({ line: directive.line, message: 'a :::file block has nothing inside it; put the words in label="..."' });
      return { key, kind: 'file', required: isRequired(directive, false), file: useMedia(context, 'file', src, directive.line), label };
    }
    case 'check': {
      const { questions, passMark } = parseCheck(directive, context);
      return { key, kind: 'check', required: isRequired(directive, true), title: directive.attributes.get('title')?.trim() || 'Check what you know', passMark, questions };
    }
    case 'reflection': {
      const promptHtml = markdownOf(directive.body, problems);
      if (!promptHtml) problems.push({ line: directive.line, message: 'write the reflection question inside the :::reflection block' });
      return { key, kind: 'reflection', required: isRequired(directive, true), promptHtml };
    }
    case 'profile': {
      const personName = requireAttribute(directive, 'name', problems, 'the name of the person the profile is about');
      const imageSrc = directive.attributes.get('image')?.trim();
      const imageAlt = directive.attributes.get('alt')?.trim() ?? '';
      if (imageSrc && !imageAlt) problems.push({ line: directive.line, message: 'the profile picture needs alt="..." describing it' });
      if (imageSrc) checkAltText(imageAlt, imageSrc, directive.line, problems);
      return {
        key,
        kind: 'profile',
        required: isRequired(directive, false),
        personName,
        ...parseProfile(directive, problems),
        ...(imageSrc ? { image: useMedia(context, 'image', imageSrc, directive.line, imageAlt), imageAlt } : {}),
      };
    }
  }
}

/** Parses a module file's body into lessons. Problems carry file line numbers. */
export function parseModuleBody(
  moduleKey: string,
  lines: string[],
  firstLine: number,
): { lessons: Lesson[]; media: MediaUse[]; problems: LineProblem[] } {
  const problems: LineProblem[] = [];
  const media: MediaUse[] = [];
  const lessonKeys = new Set<string>();
  const lessons: Lesson[] = [];
  for (const raw of splitLessons(lines, firstLine, problems)) {
    const lessonKey = raw.explicitKey ?? slugify(raw.title);
    if (!lessonKey) problems.push({ line: raw.line, message: 'the lesson title needs letters or digits' });
    if (lessonKeys.has(lessonKey)) problems.push({ line: raw.line, message: `two lessons in this module have the key ${lessonKey}; give one {#another-key}` });
    lessonKeys.add(lessonKey);
    const context: BlockContext = { keyPrefix: `${moduleKey}/${lessonKey}`, counters: new Map(), usedKeys: new Set(), media, problems };
    const blocks: Block[] = [];
    for (const chunk of raw.chunks) {
      if (chunk.kind === 'text') {
        const html = markdownOf(chunk.lines, problems);
        const first = trimBlankEdges(chunk.lines)[0];
        if (html) blocks.push({ key: blockKey(context, 'text', null, first?.line ?? raw.line), kind: 'text', required: false, html });
      } else {
        const block = directiveBlock(chunk.directive, context);
        if (block) blocks.push(block);
      }
    }
    if (blocks.length === 0) problems.push({ line: raw.line, message: 'this lesson has nothing in it yet' });
    lessons.push({ key: lessonKey, title: raw.title, blocks });
  }
  if (lessons.length === 0 && problems.length === 0) problems.push({ line: firstLine, message: 'the module has no lessons: start one with ## Lesson title' });
  return { lessons, media, problems };
}

/** Where a lesson and its blocks are in a module body (0-based indexes into the body's lines, end exclusive). */
export interface LessonOutline {
  title: string;
  explicitKey?: string;
  /** The line of `## Title`. */
  start: number;
  /** The line after the lesson's last line (the next lesson's title line, or the end). */
  end: number;
  /** Each block's lines: a text block from its first to its last non-blank line, a :::block from ::: to :::. */
  blocks: Array<{ kind: 'text' | 'directive'; start: number; end: number }>;
}

/**
 * The outline of a module body by the rules splitLessons reads it with (fences, blocks, lesson titles), for the
 * authoring pages, which edit one lesson or one block of the file and leave every other line as it was.
 */
export function outlineModuleBody(lines: string[]): { lessons: LessonOutline[]; firstLessonLine: number } {
  const lessons: LessonOutline[] = [];
  let inFence: string | null = null;
  let directiveStart: number | null = null;
  let textStart: number | null = null;
  let textEnd = 0;
  const flushText = (): void => {
    if (textStart !== null) lessons.at(-1)?.blocks.push({ kind: 'text', start: textStart, end: textEnd });
    textStart = null;
  };
  lines.forEach((raw, index) => {
    if (directiveStart !== null) {
      if (directiveClose.test(raw)) {
        lessons.at(-1)?.blocks.push({ kind: 'directive', start: directiveStart, end: index + 1 });
        directiveStart = null;
      }
      return;
    }
    const markText = (): void => {
      if (raw.trim() === '') return;
      if (textStart === null) textStart = index;
      textEnd = index + 1;
    };
    if (inFence) {
      if (raw.trim().startsWith(inFence)) inFence = null;
      markText();
      return;
    }
    const fenceMatch = fence.exec(raw);
    if (fenceMatch) {
      inFence = fenceMatch[1] ?? null;
      markText();
      return;
    }
    const heading = lessonHeading.exec(raw);
    if (heading) {
      flushText();
      const last = lessons.at(-1);
      if (last) last.end = index;
      lessons.push({ title: heading[1] ?? '', explicitKey: heading[2], start: index, end: lines.length, blocks: [] });
      return;
    }
    if (directiveOpen.test(raw)) {
      flushText();
      directiveStart = index;
      return;
    }
    markText();
  });
  flushText();
  if (directiveStart !== null) lessons.at(-1)?.blocks.push({ kind: 'directive', start: directiveStart, end: lines.length });
  return { lessons, firstLessonLine: lessons[0]?.start ?? lines.length };
}
