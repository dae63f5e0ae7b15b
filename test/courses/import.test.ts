/**
 * Importing courses from content files into the in-memory engine: a valid course, idempotence, drafts and
 * publishing, dry runs, and invalid content that names the file and line and imports nothing.
 */
import { appendFile, cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connectDatabase, disconnectDatabase } from '../../server/db/connection';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../server/db/embedded/index';
import { describeImport } from '../../server/courses/import';
import { Course, CourseVersion } from '../../server/courses/model';
import { formatProblem } from '../../server/courses/parse';
import { Asset } from '../../server/media/model';
import type { MediaBlock } from '../../server/courses/types';
import { LocalDiskStorage } from '../../server/media/storage';
import { courseServicesOn } from '../support/course-services';

const fixture = path.join(__dirname, 'fixtures', 'tiny-course');

let engine: EmbeddedMongo;
let work: string;
let assetsDir: string;
/** Made again for each test, so nothing is remembered from one test to the next. */
let services: ReturnType<typeof courseServicesOn>;

beforeAll(async () => {
  engine = await startEmbeddedMongo({ log: () => undefined });
  await connectDatabase(engine.uri);
});

afterAll(async () => {
  await disconnectDatabase();
  await engine.stop();
});

beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'courses-import-'));
  assetsDir = path.join(work, 'media-store');
  // deleteMany rather than dropping the database: the unique indexes must stay in place.
  await Promise.all([Course.deleteMany({}), CourseVersion.deleteMany({}), Asset.deleteMany({})]);
  services = courseServicesOn(new LocalDiskStorage(assetsDir));
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A copy of the fixture course under a new folder name, ready to edit. */
async function copyFixture(slug = 'tiny-course'): Promise<string> {
  const dir = path.join(work, 'courses', slug);
  await cp(fixture, dir, { recursive: true });
  return dir;
}

async function editFile(dir: string, file: string, change: (text: string) => string): Promise<void> {
  const target = path.join(dir, file);
  await writeFile(target, change(await readFile(target, 'utf8')));
}

describe('importing a valid course', () => {
  test('the first import stores the course, its media and version 1, and publishes it', async () => {
    const dir = await copyFixture();
    const result = await services.courseImport.importCourseFromDirectory(dir);
    expect(result).toMatchObject({ slug: 'tiny-course', outcome: 'created', version: 1, published: true, problems: [] });

    const [summary] = await services.courses.listPublishedCourses();
    expect(summary).toMatchObject({ slug: 'tiny-course', title: 'A tiny course', publishedVersion: 1, moduleCount: 1, estimatedMinutes: 5 });
    expect(summary?.credits[0]).toMatchObject({ displayName: 'Test Author', sample: true });

    const version = await services.courses.getPublishedVersion(result.courseId ?? '');
    expect(version?.status).toBe('published');
    const module = version?.modules[0];
    expect(module?.credits[0]?.displayName).toBe('Alex'); // credited by first name, as chosen
    expect(module?.lessons.map((l) => l.key)).toEqual(['welcome', 'check']);
    const blocks = module?.lessons[0]?.blocks ?? [];
    expect(blocks.map((b) => b.key)).toEqual([
      'first-steps/welcome/text-1',
      'first-steps/welcome/image-1',
      'first-steps/welcome/audio-1',
      'first-steps/welcome/file-1',
    ]);
    const audio = blocks[2] as MediaBlock;
    expect(audio.media).toMatchObject({ fileName: 'clip.mp3', mimeType: 'audio/mpeg' });
    expect(audio.captions).toMatchObject({ fileName: 'clip.vtt', mimeType: 'text/vtt' });
    expect(await Asset.countDocuments({ _id: audio.media.assetId })).toBe(1);
    const check = module?.lessons[1]?.blocks[0];
    expect(check).toMatchObject({ kind: 'check', required: true, passMark: 1 });
  });

  test('an unchanged course is left alone on the next import', async () => {
    const dir = await copyFixture();
    await services.courseImport.importCourseFromDirectory(dir);
    const before = await CourseVersion.find({}, 'updatedAt').lean();
    const again = await services.courseImport.importCourseFromDirectory(dir);
    expect(again).toMatchObject({ outcome: 'unchanged', version: 1 });
    expect(await CourseVersion.find({}, 'updatedAt').lean()).toEqual(before);
    expect(await Asset.countDocuments()).toBe(4);
  });

  test('a changed file makes a draft; learners keep seeing the published version until it is published', async () => {
    const dir = await copyFixture();
    const first = await services.courseImport.importCourseFromDirectory(dir);
    const courseId = first.courseId ?? '';
    await editFile(dir, '01-first-steps.md', (text) => text.replace('Some **plain** text.', 'Some **clearer** text.'));

    const changed = await services.courseImport.importCourseFromDirectory(dir);
    expect(changed).toMatchObject({ outcome: 'draft-created', version: 2, published: false });
    expect((await services.courses.getPublishedVersion(courseId))?.version).toBe(1);
    expect((await services.courses.getCourseBySlug('tiny-course'))?.publishedVersion).toBe(1);

    // Changed again before publishing: the waiting draft is replaced, not piled up.
    await editFile(dir, '01-first-steps.md', (text) => text.replace('clearer', 'much clearer'));
    const changedAgain = await services.courseImport.importCourseFromDirectory(dir);
    expect(changedAgain).toMatchObject({ outcome: 'draft-updated', version: 2 });
    expect(await CourseVersion.countDocuments({ course: courseId })).toBe(2);
    // Unchanged media keep their assets: the same files are not stored twice.
    expect(await Asset.countDocuments()).toBe(4);

    // The draft goes through review (test/review/); here only the step that makes it what learners start.
    const published = await services.courses.publishVersion(courseId, 2);
    expect(published.version).toBe(2);
    expect(JSON.stringify(published.modules)).toContain('much clearer');
    expect((await services.courses.getPublishedVersion(courseId))?.version).toBe(2);
    // Learners who started version 1 can still finish it.
    const old = await services.courses.getCourseVersion(courseId, 1);
    expect(old?.status).toBe('archived');
    expect(JSON.stringify(old?.modules)).toContain('Some <strong>plain</strong> text.');
    await expect(services.courses.publishVersion(courseId, 2)).rejects.toThrow('already published');
  });

  test('a changed course is never published by the import, and its change note travels with the version', async () => {
    const dir = await copyFixture();
    const first = await services.courseImport.importCourseFromDirectory(dir);
    await editFile(dir, 'course.md', (text) => text.replace('estimatedMinutes: 5', 'estimatedMinutes: 10\nchanges: You said the course was too short. We added more.'));
    const result = await services.courseImport.importCourseFromDirectory(dir);
    expect(result).toMatchObject({ outcome: 'draft-created', version: 2, published: false });
    expect((await services.courses.getPublishedVersion(first.courseId ?? ''))?.version).toBe(1);
    await services.courses.publishVersion(first.courseId ?? '', 2);
    const version = await services.courses.getPublishedVersion(first.courseId ?? '');
    expect(version).toMatchObject({ version: 2, estimatedMinutes: 10, changeSummary: 'You said the course was too short. We added more.' });
    expect((await services.courses.getCourseBySlug('tiny-course'))?.estimatedMinutes).toBe(10);
  });

  test('two processes importing the same new course at once make one course and one version', async () => {
    const dir = await copyFixture();
    const results = await Promise.all([services.courseImport.importCourseFromDirectory(dir), services.courseImport.importCourseFromDirectory(dir)]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['created', 'unchanged']);
    expect(await Course.countDocuments()).toBe(1);
    expect(await CourseVersion.countDocuments()).toBe(1);
    expect((await services.courses.getCourseBySlug('tiny-course'))?.publishedVersion).toBe(1);
  });

  test('a first import that stopped after saving the course is finished by the next one', async () => {
    const dir = await copyFixture();
    await Course.create({ slug: 'tiny-course', title: 'A tiny course', summary: 's', audience: 'a', estimatedMinutes: 5 });
    const result = await services.courseImport.importCourseFromDirectory(dir);
    expect(result).toMatchObject({ outcome: 'created', version: 1, published: true });
    expect((await services.courses.getCourseBySlug('tiny-course'))?.publishedVersion).toBe(1);
  });

  test('a dry run checks everything and writes nothing', async () => {
    await copyFixture();
    const report = await services.courseImport.importCourses({ dir: path.join(work, 'courses'), dryRun: true });
    expect(report.ok).toBe(true);
    expect(report.courses[0]).toMatchObject({ slug: 'tiny-course', outcome: 'valid' });
    expect(await Course.countDocuments()).toBe(0);
    expect(await Asset.countDocuments()).toBe(0);
    expect(describeImport(report, true)).toEqual(['tiny-course: valid (dry run: nothing written)']);
  });
});

describe('invalid content', () => {
  const cases: Array<{ name: string; file: string; change: (text: string) => string; line: number; message: RegExp }> = [
    {
      name: 'an image without alt text',
      file: '01-first-steps.md',
      change: (t) => t.replace(' alt="A green rectangle on its own."', ''),
      line: 17,
      message: /needs alt="\.\.\."/,
    },
    {
      name: 'a pass mark above the number of questions',
      file: '01-first-steps.md',
      change: (t) => t.replace('passMark=1', 'passMark=3'),
      line: 29,
      message: /passMark is 3 but the check has only 1 question/,
    },
    {
      name: 'a question without a right answer',
      file: '01-first-steps.md',
      change: (t) => t.replace('- [x] Right', '- [ ] Right'),
      line: 30,
      message: /no right answer/,
    },
    {
      name: 'an answer without feedback',
      file: '01-first-steps.md',
      change: (t) => t.replace(' :: No, wrong.', ''),
      line: 32,
      message: /needs feedback/,
    },
    {
      name: 'audio with neither captions nor a transcript',
      file: '01-first-steps.md',
      change: (t) => t.replace(' captions="media/clip.vtt"', '').replace('A short quiet clip.\n', ''),
      line: 20,
      message: /needs captions="file\.vtt" or a transcript/,
    },
    {
      name: 'a media file that does not exist',
      file: '01-first-steps.md',
      change: (t) => t.replace('media/picture.png', 'media/missing.png'),
      line: 17,
      message: /media\/missing\.png: the file does not exist/,
    },
    {
      name: 'an SVG picture',
      file: '01-first-steps.md',
      change: (t) => t.replace('media/picture.png', 'media/picture.svg'),
      line: 17,
      message: /must be one of: \.png/,
    },
    {
      name: 'a block that is never closed',
      file: '01-first-steps.md',
      change: (t) => t.replace(':::\n\n:::reflection', '\n:::reflection').replace(/:::\n$/, ''),
      line: 29,
      message: /cannot start inside|no closing/,
    },
    {
      name: 'an unknown attribute (a typo)',
      file: '01-first-steps.md',
      change: (t) => t.replace('title="A quiet clip"', 'titel="A quiet clip"'),
      line: 20,
      message: /has no attribute titel/,
    },
    {
      name: 'raw HTML in the text',
      file: '01-first-steps.md',
      change: (t) => t.replace('Some **plain** text.', 'Some <script>alert(1)</script> text.'),
      line: 15,
      message: /raw HTML is not allowed/,
    },
    {
      name: 'the same person credited twice in one module',
      file: '01-first-steps.md',
      change: (t) =>
        t.replace(
          'credits:\n',
          'credits:\n  - name: Alex Example\n    display: first-name\n    contribution: artwork\n    role: fixture artist\n    sample: true\n',
        ),
      line: 5,
      message: /credits\.1\.name: Alex Example is credited more than once here/,
    },
    {
      name: 'a wrong setting in the front matter',
      file: 'course.md',
      change: (t) => t.replace('estimatedMinutes: 5', 'estimatedMinutes: soon'),
      line: 5,
      message: /estimatedMinutes/,
    },
  ];

  test.each(cases)('$name is reported with its file and line, and nothing is imported', async ({ file, change, line, message }) => {
    const dir = await copyFixture();
    await editFile(dir, file, change);
    const report = await services.courseImport.importCourses({ dir: path.join(work, 'courses') });
    expect(report.ok).toBe(false);
    const [result] = report.courses;
    expect(result?.outcome).toBe('invalid');
    const problems = (result?.problems ?? []).map(formatProblem);
    // Files outside the working folder (here, a temporary folder) are named by their absolute path.
    const expectedPrefix = `${path.join(dir, file)}:${line}: `;
    expect(problems.filter((p) => p.startsWith(expectedPrefix) && message.test(p))).toHaveLength(1);
    expect(problems.join('\n')).toContain(expectedPrefix);
    expect(await Course.countDocuments()).toBe(0);
    expect(await CourseVersion.countDocuments()).toBe(0);
    expect(await Asset.countDocuments()).toBe(0);
  });

  test('a file whose content does not match its name is refused, even when the rest is fine', async () => {
    const dir = await copyFixture();
    await writeFile(path.join(dir, 'media', 'picture.png'), '<html><script>alert(1)</script></html>');
    const result = await services.courseImport.importCourseFromDirectory(dir);
    expect(result.outcome).toBe('invalid');
    expect(result.problems.map(formatProblem).join('\n')).toMatch(/01-first-steps\.md:17: media\/picture\.png: its content is not recognised, not \.png/);
  });

  test('a media file that is a symbolic link to somewhere else is refused', async () => {
    const dir = await copyFixture();
    await rm(path.join(dir, 'media', 'handout.txt'));
    await symlink('/etc/hostname', path.join(dir, 'media', 'handout.txt'));
    const result = await services.courseImport.importCourseFromDirectory(dir);
    expect(result.problems.map(formatProblem).join('\n')).toMatch(/:24: media\/handout\.txt: this is a link to another file/);
  });

  test('captions that are not WebVTT are refused with the line in the captions file', async () => {
    const dir = await copyFixture();
    await writeFile(path.join(dir, 'media', 'clip.vtt'), 'WEBVTT\n\n00:02.000 --> 00:01.000\nBackwards.\n');
    const result = await services.courseImport.importCourseFromDirectory(dir);
    expect(result.problems.map(formatProblem).join('\n')).toMatch(/:20: media\/clip\.vtt: this cue ends before it starts \(line 3 of media\/clip\.vtt\)/);
  });

  test('an invalid change to a published course leaves the published version as it was', async () => {
    const dir = await copyFixture();
    const first = await services.courseImport.importCourseFromDirectory(dir);
    await appendFile(path.join(dir, '01-first-steps.md'), '\n:::quiz\n? x\n:::\n');
    const result = await services.courseImport.importCourseFromDirectory(dir);
    expect(result.outcome).toBe('invalid');
    expect(result.problems.map(formatProblem).join('\n')).toMatch(/unknown block :::quiz/);
    expect(await CourseVersion.countDocuments({ course: first.courseId })).toBe(1);
    expect((await services.courses.getPublishedVersion(first.courseId ?? ''))?.version).toBe(1);
  });
});
