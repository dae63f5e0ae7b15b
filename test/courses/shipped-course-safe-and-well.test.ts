/**
 * Guards the second shipped course, "Keeping autistic children and young people safe and well": it parses without
 * a problem and keeps its promises (four or five modules, each with a check, a reflection and sample credits; a
 * picture and captioned clips made here, whose captions are their transcripts word for word and which say that a
 * computer voice reads them; the topics the course promises).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { formatProblem, parseCourseDirectory, type ParsedCourse } from '../../server/courses/parse';
import type { Block, CheckBlock, MediaBlock } from '../../server/courses/types';
import { coProducers } from '../../server/credits/co-producers';

const courseDir = path.resolve(__dirname, '..', '..', 'content', 'courses', 'keeping-safe-and-well');

let parsed: ParsedCourse;

beforeAll(async () => {
  parsed = await parseCourseDirectory(courseDir);
});

function allBlocks(): Block[] {
  return parsed.content.modules.flatMap((m) => m.lessons.flatMap((l) => l.blocks));
}

function textOf(blocks: Block[]): string {
  return blocks
    .map((b) => (b.kind === 'text' ? b.html : b.kind === 'audio' || b.kind === 'video' ? (b.transcriptHtml ?? '') : b.kind === 'image' ? b.alt : ''))
    .join(' ')
    .replace(/<[^>]+>/g, ' ');
}

test('has no content problems, four or five modules, and a believable time', () => {
  expect(parsed.problems.map(formatProblem)).toEqual([]);
  expect(parsed.content.title).toBe('Keeping autistic children and young people safe and well');
  expect(parsed.content.modules.length).toBeGreaterThanOrEqual(4);
  expect(parsed.content.modules.length).toBeLessThanOrEqual(5);
  expect(parsed.content.estimatedMinutes).toBeGreaterThanOrEqual(60);
  expect(parsed.content.estimatedMinutes).toBeLessThanOrEqual(120);
});

test('every module has 2-3 lessons, one check with feedback on every answer, a reflection, and each contributor once', () => {
  for (const module of parsed.content.modules) {
    expect(module.lessons.length).toBeGreaterThanOrEqual(2);
    expect(module.lessons.length).toBeLessThanOrEqual(3);
    const blocks = module.lessons.flatMap((l) => l.blocks);
    const checks = blocks.filter((b): b is CheckBlock => b.kind === 'check');
    expect(checks).toHaveLength(1);
    const check = checks[0] as CheckBlock;
    expect(check.questions.length).toBeGreaterThanOrEqual(3);
    for (const question of check.questions) for (const option of question.options) expect(option.feedback.length).toBeGreaterThan(10);
    expect(blocks.some((b) => b.kind === 'reflection')).toBe(true);
    const names = module.credits.filter((c) => c.display !== 'anonymous').map((c) => c.displayName);
    expect(names.length).toBeGreaterThan(0);
    expect(new Set(names).size).toBe(names.length);
  }
});

test('has a picture with a real description, and clips whose captions are their transcripts and say a computer voice reads them', async () => {
  const blocks = allBlocks();
  expect(blocks.some((b) => b.kind === 'image' && b.alt.length > 60)).toBe(true);
  const clips = blocks.filter((b): b is MediaBlock => b.kind === 'audio' || b.kind === 'video');
  expect(clips.length).toBeGreaterThanOrEqual(1);
  for (const clip of clips) {
    expect(clip.title).toMatch(/computer voice/);
    const captionsFile = parsed.media.find((m) => m.target === clip.captions)?.absolutePath ?? '';
    const cues = (await readFile(captionsFile, 'utf8')).split(/\n\n+/).slice(1).map((cue) => cue.split('\n').slice(2).join(' ').trim()).filter(Boolean);
    expect(cues[0]).toMatch(/^This is a computer voice/);
    const spoken = [...(clip.transcriptHtml ?? '').matchAll(/<p>(?!<em>)(.*?)<\/p>/gs)].map((match) => (match[1] ?? '').replace(/\s+/g, ' ').trim());
    expect(spoken.join(' ')).toBe(cues.join(' '));
  }
});

test('credits invented sample contributors only, once each on the certificate, and nobody "recorded" a computer voice', () => {
  const credits = [...parsed.content.credits, ...parsed.content.modules.flatMap((m) => m.credits)];
  for (const credit of credits) {
    expect(credit.sample).toBe(true);
    expect(credit.role).toMatch(/invented sample contributor/);
    expect(credit.role).not.toMatch(/record/i);
  }
  const names = coProducers(parsed.content).map((c) => c.displayName);
  expect(new Set(names).size).toBe(names.length);
});

test('covers the topics it promises, in plain words', () => {
  const byModule = parsed.content.modules.map((m) => textOf(m.lessons.flatMap((l) => l.blocks)));
  const all = byModule.join(' ');
  for (const topic of [
    /safeguarding lead/,
    /do not speak/,
    /Restrictive practice/,
    /seclusion/,
    /face down/,
    /[Mm]asking/,
    /[Aa]utistic burnout/,
    /[Aa]utistic girls/,
    /pain/,
    /medicine/i,
    /[Ss]leep/,
    /toilet/,
    /handover/i,
    /[Oo]vernight/,
    /[Ee]ndings/,
    /adult/,
    /Children and Families Act 2014/,
    /SEND Code of Practice/,
    /education, health and care plan/,
    /SENCO/,
    /Local Offer/,
    /[Ss]hort breaks/,
    /Parent Carer Forum/,
    /Equality Act 2010/,
    /reasonable adjustments/,
    /from 16|Rights from 16/,
    /UK GDPR/,
    /first language is not English/,
  ]) {
    expect(all).toMatch(topic);
  }
  // Short forms are explained where they are used: each appears with its meaning.
  expect(all).toMatch(/SENCO\W+is the special educational needs co-ordinator|SENCO\W*: the special educational needs co-ordinator/);
  expect(all).toMatch(/SEND\) from birth|often shortened to SEND/);
});
