/**
 * Export and import of a course version as a ZIP of its content/ folder: the round trip keeps the content
 * hash, and a ZIP that is unsafe, too large or has content problems is refused with nothing stored.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { Course, CourseVersion, type CourseVersionDoc } from '../../server/courses/model';
import { hashCourseDirectory } from '../../server/courses/parse';
import { Invalid } from '../../server/errors';
import { Asset } from '../../server/media/model';
import { PROJECT_ROOT } from '../../server/project-root';
import { startTestApp, type TestApp, type TestUser } from '../support/app';

let t: TestApp;
let work: string;
let trainer: TestUser;
const coursesDir = path.join(PROJECT_ROOT, 'content', 'courses');
const by = () => ({ id: trainer.id, email: trainer.email, roles: trainer.roles });

beforeAll(async () => {
  t = await startTestApp();
  work = await mkdtemp(path.join(os.tmpdir(), 'course-zips-'));
  await t.services.courseImport.importCourses({ dir: coursesDir });
  trainer = await t.createUser({ roles: ['trainer'] });
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
  await t.stop();
});

async function exportTo(courseId: string, version: number, file: string): Promise<string> {
  const target = path.join(work, file);
  await t.services.courseZips.exportVersion(courseId, version, by(), createWriteStream(target));
  return target;
}

/** Everything that an import could leave behind: records, and files in the media storage. */
async function storedState() {
  const mediaDir = path.join(t.config.dataDir, 'media');
  const files = await readdir(mediaDir, { recursive: true }).catch(() => []);
  return {
    courses: await Course.countDocuments(),
    versions: await CourseVersion.countDocuments(),
    assets: await Asset.countDocuments(),
    files: files.filter((f) => !String(f).includes('.incoming')).length,
  };
}

async function zipOf(entries: Array<{ name: string; data: Buffer; mode?: number }>, file: string, compress = true): Promise<string> {
  const zip = new yazl.ZipFile();
  const target = path.join(work, file);
  const written = pipeline(zip.outputStream, createWriteStream(target));
  for (const entry of entries) zip.addBuffer(entry.data, entry.name, { compress, ...(entry.mode ? { mode: entry.mode } : {}) });
  zip.end();
  await written;
  return target;
}

test.each(['person-centred-support', 'keeping-safe-and-well'])('%s: export then import as a draft gives the same content hash', async (slug) => {
  const course = await t.services.courses.getCourseBySlug(slug);
  if (!course?.publishedVersion) throw new Error('not imported');
  await t.services.authoring.addTeamMember(by(), course.id, { email: trainer.email, role: 'trainer', livedExperience: false });
  const zipPath = await exportTo(course.id, course.publishedVersion, `${slug}.zip`);
  // The ZIP is the content/ folder: one folder named by the address, every file of the course in it.
  const zip = await yauzl.openPromise(zipPath, { lazyEntries: true });
  const names: string[] = [];
  for await (const entry of zip.eachEntry()) names.push(entry.fileName);
  zip.close();
  expect(names).toContain(`${slug}/course.md`);
  expect(names.filter((n) => n.startsWith(`${slug}/media/`)).length).toBeGreaterThan(0);

  const result = await t.services.courseZips.importZip(zipPath, by());
  expect(result).toMatchObject({ ok: true, slug, createdCourse: false });
  if (!result.ok) return;
  const published = await CourseVersion.findOne({ course: course.id, version: course.publishedVersion }).lean<CourseVersionDoc>();
  const draft = await CourseVersion.findOne({ course: course.id, version: result.version }).lean<CourseVersionDoc>();
  expect(draft?.status).toBe('draft');
  expect(draft?.contentHash).toBe(published?.contentHash);
  expect(draft?.contentHash).toBe(await hashCourseDirectory(path.join(coursesDir, slug)));
  expect(draft?.content).toEqual(published?.content);
});

test('a ZIP of a course not yet here becomes a new course with the importing trainer on its team', async () => {
  const course = await t.services.courses.getCourseBySlug('keeping-safe-and-well');
  const zipPath = await exportTo(course?.id ?? '', course?.publishedVersion ?? 1, 'copy.zip');
  const result = await t.services.courseZips.importZip(zipPath, by(), {});
  expect(result.ok).toBe(true);
  // The same ZIP's files alone, under another address: a new course.
  const zip = await yauzl.openPromise(zipPath, { lazyEntries: true });
  const entries: Array<{ name: string; data: Buffer }> = [];
  for await (const entry of zip.eachEntry()) {
    const stream = await zip.openReadStreamPromise(entry);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    entries.push({ name: entry.fileName.replace(/^keeping-safe-and-well\//, 'safe-copy/'), data: Buffer.concat(chunks) });
  }
  zip.close();
  const renamed = await zipOf(entries, 'renamed.zip');
  const made = await t.services.courseZips.importZip(renamed, by());
  expect(made).toMatchObject({ ok: true, slug: 'safe-copy', version: 1, createdCourse: true });
  if (!made.ok) return;
  expect(await t.services.authoring.isOnAuthoringTeam(made.courseId, trainer.id)).toBe(true);
});

describe('refused ZIPs store nothing', () => {
  const md = Buffer.from('---\ntitle: x\n---\n');

  async function expectRefused(zipPath: string, message: RegExp): Promise<void> {
    const before = await storedState();
    const error = await t.services.courseZips.importZip(zipPath, by()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Invalid);
    expect((error as Invalid).fields.zip).toMatch(message);
    expect(await storedState()).toEqual(before);
    expect(await readdir(path.join(t.config.dataDir, 'tmp', 'course-zips'))).toEqual([]);
  }

  test('not a ZIP', async () => {
    const file = path.join(work, 'not.zip');
    await writeFile(file, 'just some text');
    await expectRefused(file, /not a ZIP/);
  });

  test('a name that climbs out of the folder (zip-slip)', async () => {
    const zipPath = await zipOf([{ name: 'aa/evil.txt', data: Buffer.from('x') }, { name: 'c/course.md', data: md }], 'slip.zip');
    // yazl will not write "../", so the name is changed in the bytes (local header and central directory).
    const bytes = await readFile(zipPath);
    await writeFile(zipPath, Buffer.from(bytes.toString('latin1').split('aa/evil.txt').join('../evil.tx'.padEnd(11, 't')), 'latin1'));
    await expectRefused(zipPath, /damaged or unsafe|outside/);
  });

  test('a link', async () => {
    const zipPath = await zipOf([{ name: 'c/course.md', data: md }, { name: 'c/media/x.txt', data: Buffer.from('/etc/passwd'), mode: 0o120777 }], 'link.zip');
    await expectRefused(zipPath, /link/);
  });

  test('too many entries', async () => {
    const entries = Array.from({ length: 2001 }, (_, i) => ({ name: `c/media/f${i}.txt`, data: Buffer.from('x') }));
    await expectRefused(await zipOf(entries, 'many.zip', false), /at most 2000/);
  });

  test('an entry larger than allowed (a ZIP bomb)', async () => {
    const zipPath = await zipOf([{ name: 'c/course.md', data: md }, { name: 'c/media/zeros.txt', data: Buffer.alloc(101 * 1024 * 1024) }], 'bomb.zip');
    await expectRefused(zipPath, /larger than allowed/);
  });

  test('no course.md', async () => {
    await expectRefused(await zipOf([{ name: 'c/notes.txt', data: Buffer.from('hello') }], 'empty.zip'), /no course\.md/);
  });

  test('content with problems: the problems, and nothing stored', async () => {
    const source = path.join(PROJECT_ROOT, 'test', 'courses', 'fixtures', 'tiny-course');
    const entries = [
      { name: 'broken/course.md', data: await readFile(path.join(source, 'course.md')) },
      { name: 'broken/01-first-steps.md', data: Buffer.from((await readFile(path.join(source, '01-first-steps.md'), 'utf8')).replace(' alt="A green rectangle on its own."', '')) },
      { name: 'broken/media/picture.png', data: await readFile(path.join(source, 'media', 'picture.png')) },
    ];
    const before = await storedState();
    const result = await t.services.courseZips.importZip(await zipOf(entries, 'broken.zip'), by());
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join('\n')).toMatch(/01-first-steps\.md:17: .*needs alt=/);
    expect(await storedState()).toEqual(before);
  });
});
