/**
 * The structured block forms of the authoring pages and the `:::kind{...}` text they stand for (the syntax of
 * content/README.md): `blockSource` writes a block's fields as module-file text, `blockFields` reads them back
 * for the form. The parser (courses/blocks.ts) stays the judge of what is valid: a form that writes something
 * wrong gets the parser's problems on the page.
 */
import { Invalid } from '../errors';
import { parseAttributes } from '../courses/blocks';
import { linesOf } from './module-text';

export const blockKinds = ['text', 'image', 'audio', 'video', 'file', 'check', 'reflection', 'profile'] as const;
export type BlockKindName = (typeof blockKinds)[number];

export interface CheckOptionFields {
  text: string;
  correct: boolean;
  feedback: string;
}
export interface CheckQuestionFields {
  prompt: string;
  multiple: boolean;
  options: CheckOptionFields[];
}

/** Every field any block form has; each kind uses its own. */
export interface BlockFields {
  kind: BlockKindName;
  /** The block's own address (id=...), kept when it moves. */
  id: string;
  /** '' = the kind's default; checks and reflections are required by default, the rest optional. */
  requirement: '' | 'optional' | 'required';
  /** Text: the Markdown. Image: the caption. Audio/video: the transcript. Reflection: the question. Profile: the introduction. */
  markdown: string;
  src: string;
  alt: string;
  title: string;
  captions: string;
  label: string;
  passMark: string;
  questions: CheckQuestionFields[];
  personName: string;
  communication: string[];
  loves: string[];
  mustKnow: string[];
}

export function emptyFields(kind: BlockKindName): BlockFields {
  return {
    kind,
    id: '',
    requirement: '',
    markdown: '',
    src: '',
    alt: '',
    title: '',
    captions: '',
    label: '',
    passMark: '',
    questions: kind === 'check' ? [{ prompt: '', multiple: false, options: [emptyOption(), emptyOption()] }] : [],
    personName: '',
    communication: [],
    loves: [],
    mustKnow: [],
  };
}

function emptyOption(): CheckOptionFields {
  return { text: '', correct: false, feedback: '' };
}

/** An attribute value in the quotes it needs; a value with both kinds of quote mark cannot be written. */
function attributeValue(name: string, value: string): string {
  const clean = value.replace(/\s+/g, ' ').trim();
  if (/^[A-Za-z0-9._/-]+$/.test(clean)) return `"${clean}"`;
  if (!clean.includes('"')) return `"${clean}"`;
  if (!clean.includes("'")) return `'${clean}'`;
  throw new Invalid({ [name]: 'Use only one kind of quote mark here (either " or \', not both).' });
}

function attributes(fields: BlockFields, pairs: Array<[string, string]>): string {
  const parts: string[] = [];
  if (fields.id.trim()) parts.push(`id=${fields.id.trim()}`);
  for (const [name, value] of pairs) if (value.trim()) parts.push(`${name}=${attributeValue(name, value)}`);
  if (fields.requirement) parts.push(fields.requirement);
  return parts.length > 0 ? `{${parts.join(' ')}}` : '';
}

/** Markdown inside a block: a line that is exactly ::: would close the block early, so it is indented. */
function inner(markdown: string): string[] {
  const lines = linesOf(markdown.trim());
  if (lines.length === 1 && lines[0] === '') return [];
  return lines.map((line) => (/^:::/.test(line) ? ` ${line}` : line));
}

function oneLine(value: string): string {
  return value.replace(/\s+/g, ' ').trim();
}

/** A block's fields as module-file text. */
export function blockSource(fields: BlockFields): string {
  const open = (pairs: Array<[string, string]>): string => `:::${fields.kind}${attributes(fields, pairs)}`;
  switch (fields.kind) {
    case 'text':
      return linesOf(fields.markdown.trim()).join('\n');
    case 'image':
      return [open([['src', fields.src], ['alt', fields.alt]]), ...inner(fields.markdown), ':::'].join('\n');
    case 'audio':
    case 'video':
      return [open([['src', fields.src], ['captions', fields.captions], ['title', fields.title]]), ...inner(fields.markdown), ':::'].join('\n');
    case 'file':
      return [open([['src', fields.src], ['label', fields.label]]), ':::'].join('\n');
    case 'reflection':
      return [open([]), ...inner(fields.markdown), ':::'].join('\n');
    case 'check': {
      const lines = [open([['title', fields.title], ['passMark', fields.passMark]])];
      fields.questions.forEach((question, index) => {
        if (!question.prompt.trim() && question.options.every((o) => !o.text.trim())) return;
        if (index > 0 && lines.length > 1) lines.push('');
        lines.push(`? ${oneLine(question.prompt)}${question.multiple ? ' {multiple}' : ''}`);
        for (const option of question.options) {
          if (!option.text.trim() && !option.feedback.trim()) continue;
          lines.push(`- [${option.correct ? 'x' : ' '}] ${oneLine(option.text)} :: ${oneLine(option.feedback)}`);
        }
      });
      lines.push(':::');
      return lines.join('\n');
    }
    case 'profile': {
      const lines = [open([['name', fields.personName], ['image', fields.src], ['alt', fields.alt]]), ...inner(fields.markdown)];
      const part = (heading: string, points: string[]): void => {
        if (lines.length > 1) lines.push('');
        lines.push(`### ${heading}`, ...points.map(oneLine).filter(Boolean).map((point) => `- ${point}`));
      };
      part('Communication', fields.communication);
      part('What I love doing', fields.loves);
      part('What everyone MUST know', fields.mustKnow);
      lines.push(':::');
      return lines.join('\n');
    }
  }
}

/** The fields of a block's text, for its form. A text block is anything that is not a :::block. */
export function blockFields(source: string): BlockFields {
  const lines = linesOf(source.trim());
  const open = /^:::([A-Za-z]+)\s*(\{.*\})?\s*$/.exec(lines[0] ?? '');
  if (!open || !(blockKinds as readonly string[]).includes(open[1] ?? '')) return { ...emptyFields('text'), markdown: source.trim() };
  const kind = open[1] as BlockKindName;
  const { attributes: attrs } = parseAttributes(open[2] ?? '');
  const body = lines.slice(1, /^:::\s*$/.test(lines.at(-1) ?? '') ? -1 : undefined);
  const fields = emptyFields(kind);
  fields.id = attrs.get('id') ?? '';
  fields.requirement = attrs.has('optional') ? 'optional' : attrs.has('required') ? 'required' : '';
  fields.src = attrs.get(kind === 'profile' ? 'image' : 'src') ?? '';
  fields.alt = attrs.get('alt') ?? '';
  fields.title = attrs.get('title') ?? '';
  fields.captions = attrs.get('captions') ?? '';
  fields.label = attrs.get('label') ?? '';
  fields.passMark = attrs.get('passMark') ?? '';
  fields.personName = attrs.get('name') ?? '';
  const unindent = (text: string): string => text.replace(/^ :::/, ':::');
  if (kind === 'check') {
    fields.questions = [];
    for (const raw of body) {
      const line = raw.trim();
      const question = /^\?\s+(.+?)\s*(\{multiple\})?$/.exec(line);
      if (question) {
        fields.questions.push({ prompt: question[1] ?? '', multiple: Boolean(question[2]), options: [] });
        continue;
      }
      const answer = /^[-*]\s+\[( |x|X)\]\s+(.+)$/.exec(line);
      const current = fields.questions.at(-1);
      if (answer && current) {
        const [text, ...feedback] = (answer[2] ?? '').split(/\s+::\s+/);
        current.options.push({ text: (text ?? '').trim(), correct: answer[1] !== ' ', feedback: feedback.join(' :: ').trim() });
      }
    }
  } else if (kind === 'profile') {
    const intro: string[] = [];
    let part: string[] | null = null;
    for (const raw of body) {
      const heading = /^###\s+(.+)$/.exec(raw.trim());
      if (heading) {
        const title = (heading[1] ?? '').toLowerCase();
        part = title.includes('must know') ? fields.mustKnow : title.includes('communicat') ? fields.communication : title.includes('love') ? fields.loves : null;
        continue;
      }
      const item = /^[-*]\s+(.+)$/.exec(raw.trim());
      if (part && item) part.push((item[1] ?? '').trim());
      else if (!part) intro.push(unindent(raw));
    }
    fields.markdown = intro.join('\n').trim();
  } else {
    fields.markdown = body.map(unindent).join('\n').trim();
  }
  return fields;
}
