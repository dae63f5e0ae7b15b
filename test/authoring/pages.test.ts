/**
 * The authoring pages through HTTP, as people use them: a trainer makes a course and its team, the team writes a
 * lesson with the plain forms (no JavaScript), a stale save gets the 409 page with both texts, blocks move with
 * Up/Down buttons, an upload becomes a block, and people not on the team are refused.
 */
import path from 'node:path';
import { CourseVersion, type CourseVersionDoc } from '../../server/courses/model';
import { PROJECT_ROOT } from '../../server/project-root';
import { csrfFrom, startTestApp, type TestAgent, type TestApp, type TestUser } from '../support/app';

let t: TestApp;
let trainer: { agent: TestAgent; user: TestUser };
let coFacilitator: { agent: TestAgent; user: TestUser };

beforeAll(async () => {
  t = await startTestApp();
  trainer = await t.signedInAgent({ roles: ['trainer'] });
  coFacilitator = await t.signedInAgent({ roles: ['co-facilitator'] });
});
afterAll(() => t.stop());

async function post(agent: TestAgent, pagePath: string, url: string, fields: Record<string, string>) {
  const token = csrfFrom((await agent.get(pagePath)).text);
  return agent.post(url).type('form').send({ _csrf: token, ...fields });
}

function hashIn(html: string): string {
  return /name="baseHash" value="([0-9a-f]{64})"/.exec(html)?.[1] ?? '';
}

test('a trainer makes a course, puts a co-facilitator on the team, and the team writes a lesson', async () => {
  const created = await post(trainer.agent, '/author', '/author/courses', {
    title: 'Calm mornings',
    slug: 'calm-mornings',
    summary: 'Starting the day well.',
    audience: 'Support staff',
    estimatedMinutes: '30',
  });
  expect(created.status).toBe(303);
  expect(created.headers.location).toBe('/author/calm-mornings');
  const added = await post(trainer.agent, '/author/calm-mornings', '/author/calm-mornings/team', {
    email: coFacilitator.user.email,
    role: 'co-facilitator',
    livedExperience: 'yes',
  });
  expect(added.status).toBe(303);

  const home = await coFacilitator.agent.get('/author/calm-mornings');
  expect(home.status).toBe(200);
  expect(home.text).toContain('the course has no module files');
  const module = await post(coFacilitator.agent, '/author/calm-mornings', '/author/calm-mornings/v/1/modules', {
    title: 'Before school',
    summary: 'The first hour.',
    coProductionLevel: 'co-production',
  });
  expect(module.headers.location).toBe('/author/calm-mornings/v/1/m/before-school');
  const lessonPath = '/author/calm-mornings/v/1/m/before-school/l/first-lesson';
  const page = await coFacilitator.agent.get(lessonPath);
  expect(page.status).toBe(200);
  const saved = await coFacilitator.agent
    .post(lessonPath)
    .type('form')
    .send({ _csrf: csrfFrom(page.text), baseHash: hashIn(page.text), title: 'Waking up', text: 'Open the curtains **slowly**.' });
  expect(saved.status).toBe(303);
  const after = await coFacilitator.agent.get(lessonPath);
  // The preview renders the lesson as the learner's page does.
  expect(after.text).toContain('<div class="block block--text" id="block-1"><p>Open the curtains <strong>slowly</strong>.</p>');
  expect(after.text).toContain('value="Waking up"');
});

test('a second save from a stale base gets 409 with both texts, and the person keeps what they typed', async () => {
  const lessonPath = '/author/calm-mornings/v/1/m/before-school/l/first-lesson';
  const trainerPage = await trainer.agent.get(lessonPath);
  const theirPage = await coFacilitator.agent.get(lessonPath);
  const first = await trainer.agent
    .post(lessonPath)
    .type('form')
    .send({ _csrf: csrfFrom(trainerPage.text), baseHash: hashIn(trainerPage.text), title: 'Waking up', text: 'The trainer wrote this.' });
  expect(first.status).toBe(303);
  const second = await coFacilitator.agent
    .post(lessonPath)
    .type('form')
    .send({ _csrf: csrfFrom(theirPage.text), baseHash: hashIn(theirPage.text), title: 'Waking up', text: 'The co-facilitator wrote this.' });
  expect(second.status).toBe(409);
  expect(second.text).toContain('Someone else saved this lesson while you were writing');
  expect(second.text).toMatch(/<textarea[^>]*id="theirs-text"[^>]*>The trainer wrote this\.<\/textarea>/);
  expect(second.text).toMatch(/<textarea[^>]*name="text"[^>]*>The co-facilitator wrote this\.<\/textarea>/);
  // Autosave asks for JSON and gets a 409 too.
  const json = await coFacilitator.agent
    .post(lessonPath)
    .set('Accept', 'application/json')
    .type('form')
    .send({ _csrf: csrfFrom(theirPage.text), baseHash: hashIn(theirPage.text), title: 'Waking up', text: 'Again.' });
  expect(json.status).toBe(409);
  const now = await trainer.agent.get(lessonPath);
  expect(now.text).toContain('The trainer wrote this.');
});

test('blocks from the forms, moved with Up and Down, and an uploaded picture becomes a block with its note', async () => {
  const lessonPath = '/author/calm-mornings/v/1/m/before-school/l/first-lesson';
  const form = await coFacilitator.agent.get(`${lessonPath}/blocks/new?kind=reflection`);
  expect(form.status).toBe(200);
  const added = await coFacilitator.agent
    .post(`${lessonPath}/blocks`)
    .field('_csrf', csrfFrom(form.text))
    .field('kind', 'reflection')
    .field('baseHash', hashIn(form.text))
    .field('markdown', 'What helps your mornings?');
  expect(added.status).toBe(303);

  const pictureForm = await coFacilitator.agent.get(`${lessonPath}/blocks/new?kind=image`);
  const picture = await coFacilitator.agent
    .post(`${lessonPath}/blocks`)
    .field('_csrf', csrfFrom(pictureForm.text))
    .field('kind', 'image')
    .field('baseHash', hashIn(pictureForm.text))
    .field('alt', 'A green rectangle on a white page.')
    .field('note', 'I drew this at the workshop.')
    .attach('upload', path.join(PROJECT_ROOT, 'test', 'courses', 'fixtures', 'tiny-course', 'media', 'picture.png'));
  expect(picture.status).toBe(303);
  let page = await coFacilitator.agent.get(lessonPath);
  expect(page.text).toContain('I drew this at the workshop.');
  expect(page.text).toMatch(/<img src="\/media\/[0-9a-f]{24}" alt="A green rectangle on a white page\.">/);
  const labels = () => [...page.text.matchAll(/<li id="block-edit-\d+">\s*<strong>([^<]+)<\/strong>/g)].map((m) => m[1]);
  expect(labels()).toEqual(['Text', 'Reflection question', 'Picture']);

  const moved = await coFacilitator.agent
    .post(`${lessonPath}/blocks/2/move`)
    .type('form')
    .send({ _csrf: csrfFrom(page.text), baseHash: hashIn(page.text), direction: 'up' });
  expect(moved.status).toBe(303);
  page = await coFacilitator.agent.get(lessonPath);
  expect(labels()).toEqual(['Text', 'Picture', 'Reflection question']);
  const course = await t.services.courses.getCourseBySlug('calm-mornings');
  const doc = await CourseVersion.findOne({ course: course?.id, version: 1 }).lean<CourseVersionDoc>();
  expect(doc?.source?.media.map((m) => m.path)).toEqual(['media/picture.png']);
  expect(doc?.source?.files.find((f) => f.path === '01-before-school.md')?.text).toContain(':::image{src="media/picture.png" alt="A green rectangle on a white page."}');
});

test('people not on the team, and learners, are refused', async () => {
  const outsider = await t.signedInAgent({ roles: ['co-facilitator'] });
  expect((await outsider.agent.get('/author/calm-mornings/v/1/m/before-school/l/first-lesson')).status).toBe(403);
  expect((await outsider.agent.get('/author/calm-mornings')).status).toBe(403);
  const refused = await post(outsider.agent, '/author', '/author/calm-mornings/v/1/modules', { title: 'Sneaky', coProductionLevel: 'informing' });
  expect(refused.status).toBe(403);
  const learner = await t.signedInAgent({ roles: ['learner'] });
  expect((await learner.agent.get('/author')).status).toBe(403);
  expect((await learner.agent.get('/author/calm-mornings/v/1/export.zip')).status).toBe(403);
});

test('the team downloads a version as a ZIP', async () => {
  await t.services.courseImport.importCourses({ dir: path.join(PROJECT_ROOT, 'test', 'courses', 'fixtures') });
  const response = await coFacilitator.agent.get('/author/calm-mornings/v/1/export.zip').buffer(true).parse((res, done) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => done(null, Buffer.concat(chunks)));
  });
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toBe('application/zip');
  expect((response.body as Buffer).subarray(0, 2).toString()).toBe('PK');
});
