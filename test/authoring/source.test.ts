/**
 * The source model: a course folder read into memory hashes exactly as the folder does, the import stores the
 * source on the versions it writes, and compiling the stored source gives the content the import stored.
 */
import { cp, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CourseVersion, type CourseVersionDoc } from '../../server/courses/model';
import { hashCourseDirectory, parseCourseSource } from '../../server/courses/parse';
import { compareSourcePaths, hashCourseSource, readCourseFolder } from '../../server/courses/source';
import { PROJECT_ROOT } from '../../server/project-root';
import { startTestApp, type TestApp } from '../support/app';

const shipped = ['person-centred-support', 'keeping-safe-and-well'];
const coursesDir = path.join(PROJECT_ROOT, 'content', 'courses');

describe('hashing a source', () => {
  test.each(shipped)('the source read from %s hashes as the folder does', async (slug) => {
    const dir = path.join(coursesDir, slug);
    const { source } = await readCourseFolder(dir);
    expect(source.files.map((f) => f.path)).toContain('course.md');
    expect(source.media.length).toBeGreaterThan(0);
    expect(hashCourseSource(source)).toBe(await hashCourseDirectory(dir));
  });

  test('files beside the course, dot files, links and a file sorting between a folder and its contents hash as the folder does', async () => {
    const work = await mkdtemp(path.join(os.tmpdir(), 'source-hash-'));
    try {
      const dir = path.join(work, 'tiny-course');
      await cp(path.join(PROJECT_ROOT, 'test', 'courses', 'fixtures', 'tiny-course'), dir, { recursive: true });
      await writeFile(path.join(dir, 'media.txt'), 'a file whose name sorts after the media folder');
      await writeFile(path.join(dir, 'notes'), 'no extension');
      await writeFile(path.join(dir, '.hidden'), 'ignored');
      await symlink('/etc/hostname', path.join(dir, 'media', 'link.txt'));
      const { source } = await readCourseFolder(dir);
      expect(source.media.map((m) => m.path)).toEqual(expect.arrayContaining(['media.txt', 'notes', 'media/clip.mp3']));
      expect(source.media.map((m) => m.path)).not.toContain('media/link.txt');
      expect(hashCourseSource(source)).toBe(await hashCourseDirectory(dir));
      // Order does not matter to the hash: a source is sorted in walk order before hashing.
      expect(hashCourseSource({ files: [...source.files].reverse(), media: [...source.media].reverse() })).toBe(hashCourseSource(source));
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  test('paths sort as a folder walk meets them', () => {
    expect(['media.txt', 'media/b.png', 'course.md', 'media/a/z.png', '01-a.md'].sort(compareSourcePaths)).toEqual([
      '01-a.md',
      'course.md',
      'media/a/z.png',
      'media/b.png',
      'media.txt',
    ]);
  });
});

describe('the import stores the source', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    const report = await t.services.courseImport.importCourses({ dir: coursesDir });
    expect(report.ok).toBe(true);
  });
  afterAll(() => t.stop());

  test.each(shipped)('%s: the stored source hashes to the version hash and compiles to the stored content', async (slug) => {
    const course = await t.services.courses.getCourseBySlug(slug);
    const doc = await CourseVersion.findOne({ course: course?.id, version: course?.publishedVersion }).lean<CourseVersionDoc>();
    expect(doc?.source).toBeTruthy();
    if (!doc?.source) return;
    expect(hashCourseSource(doc.source)).toBe(doc.contentHash);
    expect(doc.source.media.every((m) => /^[0-9a-f]{64}$/.test(m.sha256))).toBe(true);
    // Every file a block uses has its checked type; the parser trusts the stored type from now on.
    const parsed = await parseCourseSource(slug, doc.source);
    expect(parsed.problems).toEqual([]);
    const compiled = await t.services.authoring.compile(slug, doc.source);
    expect(compiled.problems).toEqual([]);
    expect(compiled.content).toEqual(doc.content);
  });

  test('a version stored without its source gets it back from an unchanged folder', async () => {
    const course = await t.services.courses.getCourseBySlug('keeping-safe-and-well');
    await CourseVersion.updateOne({ course: course?.id, version: course?.publishedVersion }, { $set: { source: null } });
    const result = await t.services.courseImport.importCourseFromDirectory(path.join(coursesDir, 'keeping-safe-and-well'));
    expect(result.outcome).toBe('unchanged');
    const doc = await CourseVersion.findOne({ course: course?.id, version: course?.publishedVersion }).lean<CourseVersionDoc>();
    expect(doc?.source && hashCourseSource(doc.source)).toBe(doc?.contentHash);
  });
});
