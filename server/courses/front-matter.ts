/**
 * The YAML front matter of course.md and module files: split from the body with line numbers kept, and
 * validated with zod so each problem names the line of the setting it is about.
 */
import matter from 'gray-matter';
import { z } from 'zod';
import type { CreditEntry } from './types';

export interface SplitFile {
  data: Record<string, unknown>;
  /** The body's lines, and the 1-based file line of the first of them. */
  bodyLines: string[];
  bodyStartLine: number;
  /** The front matter's lines with their file line numbers, to point at a setting. */
  frontMatterLines: string[];
}

export class FrontMatterError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

/** Splits `---` front matter from the body. Throws FrontMatterError with the line of a YAML mistake. */
export function splitFrontMatter(text: string): SplitFile {
  const lines = text.split(/\r\n|\r|\n/);
  if ((lines[0] ?? '').trim() !== '---') {
    throw new FrontMatterError('the file must start with front matter between two --- lines', 1);
  }
  const end = lines.findIndex((line, index) => index > 0 && line.trim() === '---');
  if (end < 0) throw new FrontMatterError('the front matter has no closing --- line', 1);
  let data: Record<string, unknown>;
  try {
    // An empty options object turns off gray-matter's cache, which keys on the text and would hide a second error.
    const parsed = matter(text, {});
    data = parsed.data as Record<string, unknown>;
  } catch (error) {
    const mark = (error as { mark?: { line?: number } }).mark;
    const reason = (error as { reason?: string }).reason ?? (error as Error).message;
    throw new FrontMatterError(`the front matter is not valid YAML: ${reason}`, (mark?.line ?? 0) + 2);
  }
  return { data, bodyLines: lines.slice(end + 1), bodyStartLine: end + 2, frontMatterLines: lines.slice(1, end) };
}

/** The file line of a top-level front matter setting (falls back to the first line). */
export function settingLine(split: SplitFile, key: string | number | undefined): number {
  if (typeof key !== 'string') return 1;
  const index = split.frontMatterLines.findIndex((line) => line.startsWith(`${key}:`));
  return index < 0 ? 1 : index + 2;
}

const creditDisplays = ['full-name', 'first-name', 'anonymous', 'pseudonym'] as const;
const contributions = ['co-author', 'lived-experience voice', 'artwork', 'video', 'review'] as const;

const creditInput = z
  .strictObject({
    name: z.string().trim().min(1).optional(),
    display: z.enum(creditDisplays),
    contribution: z.enum(contributions),
    role: z.string().trim().min(1, 'say in a few words who they are'),
    sample: z.boolean().default(false),
  })
  .refine((credit) => credit.display === 'anonymous' || credit.name !== undefined, {
    message: 'a credit needs a name unless it is anonymous',
  });

type CreditInput = z.infer<typeof creditInput>;

/**
 * One entry per person in a credits list: a person listed twice shows up twice to learners and on certificates.
 * Everything they did goes in their one entry (their role can say "drew the pictures and the one in the video").
 */
const creditList = z.array(creditInput).superRefine((credits, context) => {
  const seen = new Set<string>();
  credits.forEach((credit, index) => {
    if (credit.name === undefined) return;
    const person = credit.name.trim().toLowerCase();
    if (seen.has(person)) {
      context.addIssue({
        code: 'custom',
        path: [index, 'name'],
        message: `${credit.name} is credited more than once here: list each person once, and say all they did in their role`,
      });
    }
    seen.add(person);
  });
});

/** The name learners see, from how the contributor chose to be credited. */
export function resolveCredit(credit: CreditInput): CreditEntry {
  const name = credit.name ?? '';
  const displayName =
    credit.display === 'anonymous' ? 'A contributor who chose not to be named'
    : credit.display === 'first-name' ? (name.split(/\s+/)[0] ?? name)
    : name;
  return { displayName, display: credit.display, contribution: credit.contribution, role: credit.role, sample: credit.sample };
}

const text = z.string().trim().min(1, 'must not be empty');

export const courseFrontMatter = z.strictObject({
  title: text,
  summary: text,
  audience: text,
  estimatedMinutes: z.number().int().positive().max(6000),
  credits: creditList.default([]),
  /** "You said, we did": what changed in this version, in plain words for learners. */
  changes: z.string().trim().optional(),
});

export const moduleFrontMatter = z.strictObject({
  title: text,
  summary: text,
  coProductionLevel: z.enum(['informing', 'consultation', 'co-design', 'co-production']),
  credits: creditList.min(1, 'credit the people who co-authored this module'),
});

/** zod issues as problems pointing at the line of the setting each is about. */
export function frontMatterProblems(split: SplitFile, error: z.ZodError): Array<{ line: number; message: string }> {
  return error.issues.map((issue) => {
    const where = issue.path.map(String).join('.');
    const message = issue.code === 'unrecognized_keys' ? `unknown setting: ${issue.keys.join(', ')}` : issue.message;
    const key = issue.path[0] ?? (issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined);
    return { line: settingLine(split, key as string | number | undefined), message: where ? `${where}: ${message}` : message };
  });
}
