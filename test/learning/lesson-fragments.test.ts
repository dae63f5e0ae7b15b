/**
 * The lesson page's kept parts (server/learning/lesson-fragments.ts): with templates cached, as `npm start` runs,
 * the outline and the blocks that look the same to every learner are rendered once and kept. The page must stay
 * byte for byte what the templates draw without them, for every lesson of the shipped course, in both caption
 * settings, and as progress changes the outline.
 */
import path from 'node:path';
import { SHIPPED_COURSE_SLUG } from '../../server/assignments/seed';
import { PROJECT_ROOT } from '../../server/project-root';
import { lessonsInOrder } from '../../server/learning/progress';
import { lessonHref } from '../../server/learning/views';
import { csrfFrom, startTestApp, type TestAgent, type TestApp, type TestUser } from '../support/app';

let t: TestApp;
let lessonPaths: string[];
let agent: TestAgent;
let user: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  const report = await t.services.courseImport.importCourses({ dir: path.join(PROJECT_ROOT, 'content', 'courses') });
  const course = report.courses.find((entry) => entry.slug === SHIPPED_COURSE_SLUG);
  if (!course?.courseId) throw new Error('The shipped course did not import');
  const content = await t.services.courses.getPublishedVersion(course.courseId);
  if (!content) throw new Error('The shipped course has no published version');
  lessonPaths = lessonsInOrder(content).map((ref) => lessonHref(SHIPPED_COURSE_SLUG, ref));
  ({ agent, user } = await t.signedInAgent({ roles: ['learner'] }));
  const token = await t.csrfToken(agent, '/dashboard');
  const start = await agent.post(`/courses/${SHIPPED_COURSE_SLUG}/start`).type('form').send({ _csrf: token });
  expect(start.status).toBe(303);
});

afterAll(async () => {
  await t?.stop();
});

/** The page as the templates draw it in full: with the view cache off the route keeps nothing. */
async function drawnInFull(pathname: string): Promise<string> {
  t.app.disable('view cache');
  try {
    const response = await agent.get(pathname);
    expect(response.status).toBe(200);
    return response.text;
  } finally {
    t.app.enable('view cache');
  }
}

async function withKeptParts(pathname: string): Promise<string> {
  const response = await agent.get(pathname);
  expect(response.status).toBe(200);
  return response.text;
}

/** Every lesson, visited in order (each visit moves the learner's position, so the outline changes each time). */
async function expectEveryLessonTheSame(): Promise<string[]> {
  const pages: string[] = [];
  for (const pathname of lessonPaths) {
    // Once to render and keep the parts, once from what was kept, and once drawn in full.
    const first = await withKeptParts(pathname);
    const kept = await withKeptParts(pathname);
    const full = await drawnInFull(pathname);
    expect(first).toBe(full);
    expect(kept).toBe(full);
    pages.push(kept);
  }
  return pages;
}

describe('the lesson page with its kept parts', () => {
  it('is byte for byte the page the templates draw, on every lesson of the shipped course', async () => {
    expect(lessonPaths.length).toBeGreaterThan(3);
    const pages = await expectEveryLessonTheSame();
    // The shipped course holds every kind of shared block, so each kept kind was compared above.
    const all = pages.join('\n');
    for (const kind of ['block--text', 'block--media', 'block--file', 'block--profile']) expect(all).toContain(kind);
  });

  it('follows the captions preference: a kept clip is kept once for each setting', async () => {
    const withCaptions = (await expectEveryLessonTheSame()).join('\n');
    expect(withCaptions).toMatch(/<track kind="captions"[^>]* default>/);
    await t.services.users.updateUserPreferences(user.id, { captionsOff: true });
    const withoutCaptions = (await expectEveryLessonTheSame()).join('\n');
    expect(withoutCaptions).toContain('<track kind="captions"');
    expect(withoutCaptions).not.toMatch(/<track kind="captions"[^>]* default>/);
    await t.services.users.updateUserPreferences(user.id, { captionsOff: false });
  });

  it('shows progress as soon as it changes: the outline kept for one state is not shown for another', async () => {
    const [firstLesson] = lessonPaths;
    if (!firstLesson) throw new Error('No lessons');
    const before = await withKeptParts(firstLesson);
    expect(before).toContain('Lessons done: <strong>0 of');
    const done = await agent.post(`${firstLesson}/done`).type('form').send({ _csrf: csrfFrom(before) });
    expect(done.status).toBe(303);
    const after = await withKeptParts(firstLesson);
    expect(after).toContain('Lessons done: <strong>1 of');
    expect(after).toBe(await drawnInFull(firstLesson));
    await expectEveryLessonTheSame();
  });
});
