/**
 * Drafts through services.authoring: who may work on them, edits that round-trip through the module text,
 * the hash that follows every save, problems kept without losing the text, and the lesson conflict.
 */
import path from 'node:path';
import { Forbidden, Invalid } from '../../server/errors';
import { CourseVersion, type CourseVersionDoc } from '../../server/courses/model';
import { hashCourseSource } from '../../server/courses/source';
import { blockFields, blockSource, emptyFields } from '../../server/authoring/block-source';
import { PROJECT_ROOT } from '../../server/project-root';
import { startTestApp, type TestApp, type TestUser } from '../support/app';

let t: TestApp;
let courseId: string;
let trainer: TestUser;
let coFacilitator: TestUser;
let outsider: TestUser;
const manager = (user: TestUser) => ({ id: user.id, email: user.email, roles: user.roles });

beforeAll(async () => {
  t = await startTestApp();
  await t.services.courseImport.importCourses({ dir: path.join(PROJECT_ROOT, 'test', 'courses', 'fixtures') });
  const course = await t.services.courses.getCourseBySlug('tiny-course');
  courseId = course?.id ?? '';
  trainer = await t.createUser({ roles: ['trainer'] });
  coFacilitator = await t.createUser({ roles: ['co-facilitator'] });
  outsider = await t.createUser({ roles: ['co-facilitator'] });
  await t.services.authoring.addTeamMember(manager(trainer), courseId, { email: trainer.email, role: 'trainer', livedExperience: false });
  await t.services.authoring.addTeamMember(manager(trainer), courseId, { email: coFacilitator.email, role: 'co-facilitator', livedExperience: true });
});
afterAll(() => t.stop());

async function versionDoc(version: number): Promise<CourseVersionDoc> {
  const doc = await CourseVersion.findOne({ course: courseId, version }).lean<CourseVersionDoc>();
  if (!doc) throw new Error('no version');
  return doc;
}

test('only trainers and admins change the team, and only people with the role join as it', async () => {
  await expect(
    t.services.authoring.addTeamMember(manager(coFacilitator), courseId, { email: outsider.email, role: 'co-facilitator', livedExperience: false }),
  ).rejects.toBeInstanceOf(Forbidden);
  await expect(
    t.services.authoring.addTeamMember(manager(trainer), courseId, { email: outsider.email, role: 'trainer', livedExperience: false }),
  ).rejects.toBeInstanceOf(Invalid);
  const course = await t.services.authoring.getAuthoringCourse({ id: courseId });
  expect(course.team.map((m) => [m.email, m.role, m.livedExperience])).toEqual([
    [trainer.email, 'trainer', false],
    [coFacilitator.email, 'co-facilitator', true],
  ]);
});

test('a co-facilitator not on the team cannot start or read a draft', async () => {
  expect(await t.services.authoring.isOnAuthoringTeam(courseId, outsider.id)).toBe(false);
  await expect(t.services.authoring.startDraft(courseId, outsider.id)).rejects.toBeInstanceOf(Forbidden);
  await expect(t.services.authoring.getDraft(courseId, 1, outsider.id)).rejects.toBeInstanceOf(Forbidden);
});

test('a draft starts as a copy of the published version and every save changes its hash', async () => {
  const started = await t.services.authoring.startDraft(courseId, coFacilitator.id);
  expect(started).toEqual({ version: 2, created: true });
  expect(await t.services.authoring.startDraft(courseId, trainer.id)).toEqual({ version: 2, created: false });
  const published = await versionDoc(1);
  const draft = await versionDoc(2);
  expect(draft.status).toBe('draft');
  expect(draft.contentHash).toBe(published.contentHash);
  expect(draft.content).toEqual(published.content);

  const lesson = await t.services.authoring.getLesson(courseId, 2, 'first-steps', 'welcome', coFacilitator.id);
  expect(lesson.lesson.blocks).toHaveLength(4);
  const saved = await t.services.authoring.saveLesson(
    courseId,
    2,
    'first-steps',
    'welcome',
    { title: 'Hello and welcome', text: `${lesson.lesson.text}\n\nA new paragraph from the team.`, baseHash: lesson.lesson.hash },
    coFacilitator.id,
  );
  expect(saved.conflict).toBe(false);
  const after = await versionDoc(2);
  expect(after.contentHash).not.toBe(published.contentHash);
  expect(after.contentHash).toBe(hashCourseSource(after.source ?? { files: [], media: [] }));
  expect(after.sourceProblems).toEqual([]);
  // Renamed, the key stays (written as {#welcome}); the new text is compiled into the content.
  const welcome = after.content.modules[0]?.lessons[0];
  expect(welcome?.key).toBe('welcome');
  expect(welcome?.title).toBe('Hello and welcome');
  expect(JSON.stringify(welcome?.blocks.at(-1))).toContain('A new paragraph from the team.');
  expect(after.source?.files.find((f) => f.path === '01-first-steps.md')?.text).toContain('## Hello and welcome {#welcome}');
  // Another lesson's text is untouched.
  expect(after.source?.files.find((f) => f.path === '01-first-steps.md')?.text).toContain(':::check{passMark=1}\n? Pick the right one.');
});

test('a save from a stale base is refused with the text saved now, and nothing is overwritten', async () => {
  const start = await t.services.authoring.getLesson(courseId, 2, 'first-steps', 'check', trainer.id);
  const first = await t.services.authoring.saveLesson(
    courseId,
    2,
    'first-steps',
    'check',
    { title: 'Check', text: `${start.lesson.text}\n\nTrainer's words.`, baseHash: start.lesson.hash },
    trainer.id,
  );
  expect(first.conflict).toBe(false);
  const second = await t.services.authoring.saveLesson(
    courseId,
    2,
    'first-steps',
    'check',
    { title: 'Check', text: `${start.lesson.text}\n\nCo-facilitator's words.`, baseHash: start.lesson.hash },
    coFacilitator.id,
  );
  expect(second.conflict).toBe(true);
  if (second.conflict) expect(second.current.text).toContain("Trainer's words.");
  const now = await t.services.authoring.getLesson(courseId, 2, 'first-steps', 'check', trainer.id);
  expect(now.lesson.text).toContain("Trainer's words.");
  expect(now.lesson.text).not.toContain("Co-facilitator's words.");
});

test('a draft with problems is saved with its problems, keeps the last good content, and cannot be published', async () => {
  const before = await versionDoc(2);
  const lesson = await t.services.authoring.getLesson(courseId, 2, 'first-steps', 'check', trainer.id);
  await t.services.authoring.saveLesson(
    courseId,
    2,
    'first-steps',
    'check',
    { title: 'Check', text: `${lesson.lesson.text}\n\n:::image{src="media/picture.png"}\n:::`, baseHash: lesson.lesson.hash },
    trainer.id,
  );
  const after = await versionDoc(2);
  expect(after.source?.files.find((f) => f.path === '01-first-steps.md')?.text).toContain(':::image{src="media/picture.png"}');
  expect(after.sourceProblems?.map((p) => p.message).join('\n')).toMatch(/needs alt=/);
  expect(after.content).toEqual(before.content);
  await expect(t.services.courses.publishVersion(courseId, 2, trainer.id, after.contentHash)).rejects.toThrow(/problems/);
  // Fixed by the block form: the problem goes.
  const fixed = await t.services.authoring.getLesson(courseId, 2, 'first-steps', 'check', trainer.id);
  const index = fixed.lesson.blocks.findIndex((b) => b.startsWith(':::image'));
  const fields = blockFields(fixed.lesson.blocks[index] ?? '');
  fields.alt = 'A green rectangle, again.';
  await t.services.authoring.replaceBlock(courseId, 2, 'first-steps', 'check', index, blockSource(fields), trainer.id, fixed.lesson.hash);
  expect((await versionDoc(2)).sourceProblems).toEqual([]);
});

test('blocks are added, moved and removed, and every block form writes text the parser reads back', async () => {
  const kinds = ['text', 'image', 'audio', 'video', 'file', 'check', 'reflection', 'profile'] as const;
  for (const kind of kinds) {
    const fields = emptyFields(kind);
    fields.markdown = kind === 'text' ? 'Some *words*.' : 'Inside words.';
    fields.src = { image: 'media/picture.png', audio: 'media/clip.mp3', video: 'media/clip.mp4', file: 'media/handout.txt', profile: 'media/picture.png' }[
      kind as 'image'
    ] ?? '';
    fields.alt = 'A green rectangle on its own.';
    fields.title = 'A "quoted" title';
    fields.captions = kind === 'audio' ? 'media/clip.vtt' : '';
    fields.label = 'Handout (text)';
    fields.passMark = kind === 'check' ? '1' : '';
    fields.questions = [{ prompt: 'Which?', multiple: false, options: [{ text: 'This', correct: true, feedback: 'Yes.' }, { text: 'That', correct: false, feedback: 'No.' }] }];
    fields.personName = 'Sam, aged 8';
    fields.communication = ['Short words'];
    fields.loves = ['Trains'];
    fields.mustKnow = ['Needs warning before change'];
    const text = blockSource(fields);
    expect(blockSource(blockFields(text))).toBe(text);
  }
  const start = await t.services.authoring.getLesson(courseId, 2, 'first-steps', 'welcome', trainer.id);
  const count = start.lesson.blocks.length;
  const added = await t.services.authoring.addBlock(courseId, 2, 'first-steps', 'welcome', ':::reflection\nWhat will you try first?\n:::', coFacilitator.id);
  if (added.conflict) throw new Error('unexpected conflict');
  expect(added.lesson.blocks).toHaveLength(count + 1);
  const moved = await t.services.authoring.moveBlock(courseId, 2, 'first-steps', 'welcome', count, -1, coFacilitator.id, added.lesson.hash);
  if (moved.conflict) throw new Error('unexpected conflict');
  expect(moved.lesson.blocks[count - 1]).toContain('What will you try first?');
  const stale = await t.services.authoring.removeBlock(courseId, 2, 'first-steps', 'welcome', 0, coFacilitator.id, added.lesson.hash);
  expect(stale.conflict).toBe(true);
  const removed = await t.services.authoring.removeBlock(courseId, 2, 'first-steps', 'welcome', count - 1, coFacilitator.id, moved.lesson.hash);
  if (removed.conflict) throw new Error('unexpected conflict');
  expect(removed.lesson.blocks).toEqual(start.lesson.blocks);
});

test('lessons and modules are added, renamed, reordered and removed', async () => {
  const { moduleKey } = await t.services.authoring.addModule(courseId, 2, { title: 'Second module', summary: 'More.', coProductionLevel: 'co-production' }, trainer.id);
  expect(moduleKey).toBe('second-module');
  const { lessonKey } = await t.services.authoring.addLesson(courseId, 2, moduleKey, 'Another lesson', trainer.id);
  await t.services.authoring.moveLesson(courseId, 2, moduleKey, lessonKey, -1, trainer.id);
  let draft = await t.services.authoring.getDraft(courseId, 2, trainer.id);
  expect(draft.modules.map((m) => m.file)).toEqual(['01-first-steps.md', '02-second-module.md']);
  expect(draft.modules[1]?.lessons.map((l) => l.key)).toEqual(['another-lesson', 'first-lesson']);
  await t.services.authoring.updateModuleSettings(courseId, 2, moduleKey, { title: 'Second: "module"', summary: 'Changed.', coProductionLevel: 'co-design' }, trainer.id);
  await t.services.authoring.removeLesson(courseId, 2, moduleKey, 'first-lesson', trainer.id);
  draft = await t.services.authoring.getDraft(courseId, 2, trainer.id);
  expect(draft.modules[1]).toMatchObject({ title: 'Second: "module"', summary: 'Changed.', coProductionLevel: 'co-design' });
  expect(draft.modules[1]?.lessons.map((l) => l.key)).toEqual(['another-lesson']);
  // The new module has no credits and an empty lesson yet: the draft lists what to do.
  expect(draft.problems.map((p) => `${p.file}: ${p.message}`).join('\n')).toMatch(/02-second-module\.md: .*credit/);
});
