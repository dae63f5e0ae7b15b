/**
 * The difference between two versions of a lesson, readable by people: each block written out as plain text
 * (what a learner reads, plus what a reviewer checks: alt text, captions, answers), compared line by line with
 * jsdiff (`diff`, the maintained library), and changed lines compared again word by word.
 */
import { diffLines, diffWordsWithSpace } from 'diff';
import sanitizeHtml from 'sanitize-html';
import type { Block, Lesson } from '../courses/types';

/** Sanitised lesson HTML (courses/markdown.ts) as lines of plain text: one line per paragraph, item or row. */
export function htmlToLines(html: string): string[] {
  // The HTML is the app's own sanitised output (a small known set of tags), so marking the ends of block
  // elements with a newline before stripping the tags keeps its paragraphs apart.
  const marked = html.replace(/<li>/g, '\n- ').replace(/<\/(p|h[3-6]|li|tr|blockquote|pre)>|<br\s*\/?>/g, '\n').replace(/<\/t[dh]>/g, ' | ');
  const text = sanitizeHtml(marked, { allowedTags: [], allowedAttributes: {} })
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
  return text
    .split('\n')
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter((line) => line.length > 0);
}

/** One block as the lines a reviewer compares, starting with a line that names the block. */
export function blockLines(block: Block): string[] {
  switch (block.kind) {
    case 'text':
      return ['[Text]', ...htmlToLines(block.html)];
    case 'video':
    case 'audio':
      return [
        `[${block.kind === 'video' ? 'Video' : 'Audio'}] ${block.title}`,
        `File: ${block.media.fileName}`,
        block.captions ? `Captions: ${block.captions.fileName}` : 'Captions: none',
        ...(block.transcriptHtml ? ['Transcript:', ...htmlToLines(block.transcriptHtml)] : ['Transcript: none']),
      ];
    case 'image':
      return ['[Picture]', `File: ${block.image.fileName}`, `Alt text: ${block.alt || '(none)'}`, ...(block.captionHtml ? htmlToLines(block.captionHtml) : [])];
    case 'file':
      return ['[Download]', `${block.label} (${block.file.fileName})`];
    case 'check':
      return [
        `[Knowledge check] ${block.title}`,
        `Pass mark: ${block.passMark} of ${block.questions.length}`,
        ...block.questions.flatMap((q) => [
          `Question: ${q.prompt} (${q.multiple ? 'tick all that apply' : 'choose one'})`,
          ...q.options.map((o) => `- ${o.correct ? 'Right' : 'Not right'}: ${o.text}. Feedback: ${o.feedback}`),
        ]),
      ];
    case 'reflection':
      return [`[Reflection${block.required ? '' : ', optional'}]`, ...htmlToLines(block.promptHtml)];
    case 'profile':
      return [
        `[One-page profile] ${block.personName}`,
        ...(block.introHtml ? htmlToLines(block.introHtml) : []),
        ...(block.image ? [`Picture: ${block.image.fileName}`, `Alt text: ${block.imageAlt || '(none)'}`] : []),
        'How I communicate:',
        ...block.communication.map((item) => `- ${item}`),
        'What I love doing:',
        ...block.loves.map((item) => `- ${item}`),
        'What everyone MUST know:',
        ...block.mustKnow.map((item) => `- ${item}`),
      ];
  }
}

/** A lesson as lines of text: its title, then each block with a blank line between. */
export function lessonText(lesson: Lesson | null): string {
  if (!lesson) return '';
  const parts = [`Title: ${lesson.title}`, ...lesson.blocks.map((block) => blockLines(block).join('\n'))];
  return `${parts.join('\n\n')}\n`;
}

/** A piece of a changed line: kept, removed or added words. */
export interface DiffPiece {
  kind: 'same' | 'removed' | 'added';
  text: string;
}

/** One row of the readable difference. */
export type DiffRow =
  | { kind: 'same'; text: string }
  | { kind: 'removed' | 'added'; text: string }
  /** A line changed in place: its words, kept, removed and added, in order. */
  | { kind: 'changed'; pieces: DiffPiece[] }
  /** Unchanged lines left out of the view (too far from a change to matter). */
  | { kind: 'skipped'; count: number };

export interface LessonDiff {
  rows: DiffRow[];
  added: number;
  removed: number;
  unchanged: boolean;
}

const linesOf = (value: string): string[] => value.replace(/\n$/, '').split('\n');

/**
 * Compares two lesson texts. Runs of removed lines followed by as many added lines are shown as changed lines,
 * word by word; long runs of unchanged lines are shortened to `context` lines either side of a change.
 */
export function compareLessonTexts(before: string, after: string, context = 3): LessonDiff {
  const changes = diffLines(before, after);
  const rows: DiffRow[] = [];
  let added = 0;
  let removed = 0;
  for (let index = 0; index < changes.length; index += 1) {
    const change = changes[index];
    if (!change) continue;
    const lines = change.value === '' ? [] : linesOf(change.value);
    const next = changes[index + 1];
    if (change.removed && next?.added) {
      const nextLines = linesOf(next.value);
      removed += lines.length;
      added += nextLines.length;
      const paired = Math.min(lines.length, nextLines.length);
      for (let line = 0; line < paired; line += 1) {
        const pieces = diffWordsWithSpace(lines[line] ?? '', nextLines[line] ?? '').map((part): DiffPiece => ({
          kind: part.added ? 'added' : part.removed ? 'removed' : 'same',
          text: part.value,
        }));
        rows.push({ kind: 'changed', pieces });
      }
      for (const text of lines.slice(paired)) rows.push({ kind: 'removed', text });
      for (const text of nextLines.slice(paired)) rows.push({ kind: 'added', text });
      index += 1;
    } else if (change.removed) {
      removed += lines.length;
      for (const text of lines) rows.push({ kind: 'removed', text });
    } else if (change.added) {
      added += lines.length;
      for (const text of lines) rows.push({ kind: 'added', text });
    } else {
      for (const text of lines) rows.push({ kind: 'same', text });
    }
  }
  return { rows: shorten(rows, context), added, removed, unchanged: added === 0 && removed === 0 };
}

/** Keeps unchanged rows near a change; the rest become one "skipped" row per run. */
function shorten(rows: DiffRow[], context: number): DiffRow[] {
  const near = rows.map(() => false);
  rows.forEach((row, index) => {
    if (row.kind === 'same') return;
    for (let offset = -context; offset <= context; offset += 1) if (index + offset >= 0 && index + offset < rows.length) near[index + offset] = true;
  });
  const result: DiffRow[] = [];
  let skipped = 0;
  rows.forEach((row, index) => {
    if (row.kind === 'same' && !near[index]) {
      skipped += 1;
      return;
    }
    if (skipped > 0) result.push({ kind: 'skipped', count: skipped });
    skipped = 0;
    result.push(row);
  });
  if (skipped > 0) result.push({ kind: 'skipped', count: skipped });
  return result;
}
