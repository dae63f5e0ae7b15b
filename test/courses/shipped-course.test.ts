/**
 * Guards the real shipped course: it parses without a single problem, imports, and keeps the promises the
 * product makes about it (every module has a check, a reflection, a picture, a captioned clip, sample credits).
 */
import { readdir, readFile, rm, stat, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connectDatabase, disconnectDatabase } from '../../server/db/connection';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../server/db/embedded/index';
import { formatProblem, parseCourseDirectory, type ParsedCourse } from '../../server/courses/parse';
import type { Block, CheckBlock, MediaBlock } from '../../server/courses/types';
import { coProducers } from '../../server/credits/co-producers';
import { LocalDiskStorage } from '../../server/media/storage';
import { courseServicesOn } from '../support/course-services';

const contentDir = path.resolve(__dirname, '..', '..', 'content');
const courseDir = path.join(contentDir, 'courses', 'person-centred-support');

let parsed: ParsedCourse;

beforeAll(async () => {
  parsed = await parseCourseDirectory(courseDir);
});

function blocksOf(moduleIndex: number): Block[] {
  return parsed.content.modules[moduleIndex]?.lessons.flatMap((l) => l.blocks) ?? [];
}

test('the shipped course has no content problems', () => {
  expect(parsed.problems.map(formatProblem)).toEqual([]);
  expect(parsed.content.title).toBe('Person-centred support for autistic children and young people');
  expect(parsed.content.modules.length).toBeGreaterThanOrEqual(5);
});

test('every module has 2-3 lessons (the first also has the plain-words page), a knowledge check with feedback on every answer, a reflection, a picture and a captioned clip', () => {
  parsed.content.modules.forEach((module, index) => {
    const teaching = module.lessons.filter((lesson) => lesson.key !== 'plain-words');
    expect(teaching.length).toBeGreaterThanOrEqual(2);
    expect(teaching.length).toBeLessThanOrEqual(3);
    const blocks = blocksOf(index);
    const checks = blocks.filter((b): b is CheckBlock => b.kind === 'check');
    expect(checks).toHaveLength(1);
    const check = checks[0] as CheckBlock;
    expect(check.questions.length).toBeGreaterThanOrEqual(3);
    expect(check.questions.length).toBeLessThanOrEqual(5);
    expect(check.passMark).toBeLessThanOrEqual(check.questions.length);
    for (const question of check.questions) for (const option of question.options) expect(option.feedback.length).toBeGreaterThan(10);
    expect(blocks.some((b) => b.kind === 'reflection')).toBe(true);
    expect(blocks.some((b) => b.kind === 'image' && b.alt.length > 30)).toBe(true);
    const clips = blocks.filter((b): b is MediaBlock => b.kind === 'audio' || b.kind === 'video');
    expect(clips.length).toBeGreaterThanOrEqual(1);
    for (const clip of clips) {
      expect(clip.captions?.mimeType).toBe('text/vtt');
      expect(clip.transcriptHtml).toBeTruthy();
    }
  });
});

test('each clip has captions whose cues are the sentences of its transcript', async () => {
  const clips = parsed.content.modules.flatMap((_, i) => blocksOf(i)).filter((b): b is MediaBlock => b.kind === 'audio' || b.kind === 'video');
  for (const clip of clips) {
    const captionsFile = parsed.media.find((m) => m.target === clip.captions)?.absolutePath ?? '';
    const cues = (await readFile(captionsFile, 'utf8')).split(/\n\n+/).slice(1).map((cue) => cue.split('\n').slice(2).join(' ').trim());
    expect(cues.length).toBeGreaterThanOrEqual(4);
    // Word for word: the transcript's paragraphs, after its italic note, are the cues in order.
    const spoken = [...(clip.transcriptHtml ?? '').matchAll(/<p>(?!<em>)(.*?)<\/p>/gs)].map((match) => (match[1] ?? '').replace(/\s+/g, ' ').trim());
    expect(spoken.join(' ')).toBe(cues.join(' '));
  }
});

test('keeps its promises: a plain-words page, learning disability taught, a believable time', () => {
  const lessons = parsed.content.modules.flatMap((m) => m.lessons);
  const glossary = lessons.find((lesson) => lesson.key === 'plain-words');
  const glossaryText = (glossary?.blocks ?? []).map((b) => (b.kind === 'text' ? b.html : '')).join('');
  for (const word of ['Learning disability', 'Seclusion', 'Restrictive practice', 'Safeguarding lead', 'Stimming', 'Healthcare plan']) {
    expect(glossaryText).toContain(`<strong>${word}</strong>`);
  }
  expect(parsed.content.audience).toMatch(/learning disability/);
  const allText = lessons.flatMap((l) => l.blocks).map((b) => (b.kind === 'text' ? b.html : '')).join('');
  expect(allText).toMatch(/<h3[^>]*>Autism and learning disability<\/h3>/);
  expect(parsed.content.estimatedMinutes).toBeGreaterThanOrEqual(60);
  expect(parsed.content.estimatedMinutes).toBeLessThanOrEqual(120);
});

test('every clip says it is a computer voice, and no credit says anyone recorded a clip', async () => {
  const clips = parsed.content.modules.flatMap((_, i) => blocksOf(i)).filter((b): b is MediaBlock => b.kind === 'audio' || b.kind === 'video');
  for (const clip of clips) {
    const captionsFile = parsed.media.find((m) => m.target === clip.captions)?.absolutePath ?? '';
    const firstCue = (await readFile(captionsFile, 'utf8')).split(/\n\n+/)[1]?.split('\n').slice(2).join(' ') ?? '';
    expect(firstCue).toMatch(/^This is a computer voice/);
    expect(clip.title).toMatch(/computer voice/);
  }
  const credits = [...parsed.content.credits, ...parsed.content.modules.flatMap((m) => m.credits)];
  for (const credit of credits) expect(credit.role).not.toMatch(/record/i);
});

test('each contributor appears once in each module, and once on the certificate with all they did', () => {
  for (const module of parsed.content.modules) {
    const named = module.credits.filter((c) => c.display !== 'anonymous').map((c) => c.displayName);
    expect(new Set(named).size).toBe(named.length);
  }
  const certificate = coProducers(parsed.content);
  const names = certificate.map((c) => c.displayName);
  expect(new Set(names).size).toBe(names.length);
  expect(certificate.find((c) => c.displayName === 'Jess')?.contribution).toBe('artwork, video');
});

test('every contributor is credited as they chose and marked as invented sample data', () => {
  const credits = [...parsed.content.credits, ...parsed.content.modules.flatMap((m) => m.credits)];
  expect(credits.length).toBeGreaterThan(5);
  for (const credit of credits) {
    expect(credit.sample).toBe(true);
    expect(credit.role).toMatch(/invented sample contributor/);
  }
  expect(credits.map((c) => c.displayName)).toEqual(expect.arrayContaining(['River', 'Priya', 'Helen Okafor', 'A contributor who chose not to be named']));
});

test('the whole content folder stays small (well under 10 MB)', async () => {
  let total = 0;
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else total += (await stat(full)).size;
    }
  };
  await walk(contentDir);
  expect(total).toBeLessThan(5 * 1024 * 1024);
});

describe('importing the shipped content', () => {
  let engine: EmbeddedMongo;
  let dataDir: string;

  beforeAll(async () => {
    engine = await startEmbeddedMongo({ log: () => undefined });
    await connectDatabase(engine.uri);
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'shipped-course-'));
  });

  afterAll(async () => {
    await disconnectDatabase();
    await engine.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('imports and publishes cleanly, then finds nothing to do the second time', async () => {
    const { courses, courseImport } = courseServicesOn(new LocalDiskStorage(path.join(dataDir, 'media')));
    const options = { dir: path.join(contentDir, 'courses') };
    const first = await courseImport.importCourses(options);
    expect(first.ok).toBe(true);
    expect(first.courses.map((c) => [c.slug, c.outcome, c.version]).sort()).toEqual([
      ['keeping-safe-and-well', 'created', 1],
      ['person-centred-support', 'created', 1],
    ]);
    const version = await courses.getPublishedVersion(first.courses.find((c) => c.slug === 'person-centred-support')?.courseId ?? '');
    expect(version?.modules.map((m) => m.key)).toEqual(parsed.content.modules.map((m) => m.key));
    const second = await courseImport.importCourses(options);
    expect(second.courses.map((c) => c.outcome)).toEqual(['unchanged', 'unchanged']);
  });
});
