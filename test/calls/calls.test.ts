/**
 * Calls for contributions through the whole app: trainers on the authoring team open a call; co-facilitators
 * answer signed in and invited people through a personal link (in writing, with a recording or a picture), each
 * with consent, credit choice and payment claim; links end, stop and are rate-limited; the team reads the
 * answers and turns one into a block of the draft, credited as chosen; nobody else sees any of it.
 */
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { Types } from 'mongoose';
import { Course, CourseVersion } from '../../server/courses/model';
import { CallAnswer, CallInvitation } from '../../server/calls/model';
import { Asset } from '../../server/media/model';
import { csrfFrom, startTestApp, type TestAgent, type TestApp, type TestUser } from '../support/app';

const fixture = path.join(__dirname, '..', 'courses', 'fixtures', 'tiny-course');

let t: TestApp;
let courseId: string;
let trainer: { agent: TestAgent; user: TestUser };
let coFacilitator: { agent: TestAgent; user: TestUser };
let outsiderTrainer: { agent: TestAgent; user: TestUser };
let learner: { agent: TestAgent; user: TestUser };

const closingDay = (daysAhead: number): string => new Date(Date.now() + daysAhead * 86_400_000).toISOString().slice(0, 10);

async function tokenOf(agent: TestAgent, page: string): Promise<string> {
  return csrfFrom((await agent.get(page).set('Accept', 'text/html')).text);
}

async function openCall(fields: Record<string, string> = {}): Promise<string> {
  const token = await tokenOf(trainer.agent, '/manage/courses/tiny-course/calls');
  const response = await trainer.agent
    .post('/manage/courses/tiny-course/calls')
    .type('form')
    .send({ _csrf: token, moduleKey: 'first-steps', question: 'What must every member of staff know on their first day with your child?', guidance: '', closesOn: closingDay(10), audience: 'both', ...fields });
  expect(response.status).toBe(303);
  const id = /\/calls\/([a-f0-9]{24})$/.exec(response.headers.location ?? '')?.[1];
  if (!id) throw new Error(`no call id in ${response.headers.location}`);
  return id;
}

async function makeLink(callId: string, name = 'Sam Jones'): Promise<string> {
  const page = `/manage/courses/tiny-course/calls/${callId}`;
  const made = await trainer.agent.post(`${page}/links`).type('form').send({ _csrf: await tokenOf(trainer.agent, page), name, relationship: 'parent carer', days: '14' });
  expect(made.status).toBe(303);
  const response = await trainer.agent.get(page);
  expect(response.headers['cache-control']).toContain('no-store');
  // Shown once: the next visit no longer has it.
  expect((await trainer.agent.get(page)).text).not.toContain('/call-link/');
  const link = /value="(http[^"]+\/call-link\/[A-Za-z0-9_-]+)"/.exec(response.text)?.[1];
  if (!link) throw new Error('no link on the page');
  return new URL(link).pathname;
}

function answer(agent: TestAgent, action: string, token: string, fields: Record<string, string>, file?: { bytes: Buffer; name: string }) {
  let request = agent.post(action).set('Accept', 'text/html').field('_csrf', token);
  const all = { way: 'writing', text: '', note: '', creditDisplay: 'first-name', creditName: 'Sam Jones', creditRole: 'parent carer of an autistic boy', claim: 'none', consent: 'yes', ...fields };
  for (const [name, value] of Object.entries(all)) if (value !== '') request = request.field(name, value);
  if (file) request = request.attach('file', file.bytes, file.name);
  return request;
}

beforeAll(async () => {
  t = await startTestApp();
  const imported = await t.services.courseImport.importCourseFromDirectory(fixture);
  courseId = imported.courseId ?? '';
  trainer = await t.signedInAgent({ roles: ['trainer'] });
  coFacilitator = await t.signedInAgent({ roles: ['co-facilitator'] });
  outsiderTrainer = await t.signedInAgent({ roles: ['trainer'] });
  learner = await t.signedInAgent({ roles: ['learner'] });
  // Co-facilitators accept the co-production charter before the authoring pages (test/charter/charter.test.ts).
  await t.services.charter.acceptCharter(coFacilitator.user, (await t.services.charter.currentCharter()).version);
  const addedAt = new Date();
  await Course.updateOne(
    { _id: courseId },
    {
      $set: {
        authoringTeam: [
          { user: new Types.ObjectId(trainer.user.id), role: 'trainer', livedExperience: false, addedAt },
          { user: new Types.ObjectId(coFacilitator.user.id), role: 'co-facilitator', livedExperience: true, addedAt },
        ],
      },
    },
  );
});

afterAll(async () => {
  await t.stop();
});

describe('opening a call', () => {
  test('a trainer on the authoring team opens one; a trainer not on the team, a co-facilitator and a learner cannot', async () => {
    const callId = await openCall();
    const page = await trainer.agent.get(`/manage/courses/tiny-course/calls/${callId}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('What must every member of staff know');

    const outsider = await outsiderTrainer.agent.post('/manage/courses/tiny-course/calls').type('form')
      .send({ _csrf: await tokenOf(outsiderTrainer.agent, '/account'), moduleKey: 'first-steps', question: 'A question from outside?', closesOn: closingDay(5), audience: 'both' });
    expect(outsider.status).toBe(403);
    expect((await outsiderTrainer.agent.get(`/manage/courses/tiny-course/calls/${callId}`)).status).toBe(403);
    const byCoFacilitator = await coFacilitator.agent.post('/manage/courses/tiny-course/calls').type('form')
      .send({ _csrf: await tokenOf(coFacilitator.agent, '/account'), moduleKey: 'first-steps', question: 'Can I open one?', closesOn: closingDay(5), audience: 'both' });
    expect(byCoFacilitator.status).toBe(403);
    expect((await learner.agent.get(`/manage/courses/tiny-course/calls/${callId}`)).status).toBe(403);
  });

  test('a closing date in the past or an unknown module comes back with the form and the words typed', async () => {
    const token = await tokenOf(trainer.agent, '/manage/courses/tiny-course/calls');
    const past = await trainer.agent.post('/manage/courses/tiny-course/calls').type('form')
      .send({ _csrf: token, moduleKey: 'first-steps', question: 'A question kept when the date is wrong?', closesOn: '2020-01-01', audience: 'both' });
    expect(past.status).toBe(422);
    expect(past.text).toContain('Choose a closing date after today.');
    expect(past.text).toContain('A question kept when the date is wrong?');
    const unknown = await trainer.agent.post('/manage/courses/tiny-course/calls').type('form')
      .send({ _csrf: token, moduleKey: 'no-such-module', question: 'Which module is this?', closesOn: closingDay(3), audience: 'both' });
    expect(unknown.status).toBe(422);
    expect(unknown.text).toContain('Choose one of this course');
  });
});

describe('answering', () => {
  test('a co-facilitator answers in writing; consent is required and nothing is kept without it', async () => {
    const callId = await openCall();
    expect((await coFacilitator.agent.get('/calls')).text).toContain(`/calls/${callId}`);
    const token = await tokenOf(coFacilitator.agent, `/calls/${callId}`);
    const refused = await answer(coFacilitator.agent, `/calls/${callId}`, token, { text: 'Say hello quietly.', consent: '' });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('Tick the box to say the team may use your answer');
    expect(refused.text).toContain('Say hello quietly.');
    expect(await CallAnswer.countDocuments({ call: callId })).toBe(0);

    const saved = await answer(coFacilitator.agent, `/calls/${callId}`, token, { text: 'Say hello quietly.', creditDisplay: 'pseudonym', creditName: 'River', claim: 'voucher' });
    expect(saved.status).toBe(303);
    const stored = await CallAnswer.findOne({ call: callId }).lean();
    expect(stored?.answeredBy?.toString()).toBe(coFacilitator.user.id);
    expect(stored?.credit).toMatchObject({ display: 'pseudonym', name: 'River' });
    expect(stored?.claim).toBe('voucher');
    expect(stored?.consentAt).toBeInstanceOf(Date);

    const teamPage = await trainer.agent.get(`/manage/courses/tiny-course/calls/${callId}`);
    expect(teamPage.text).toContain('Say hello quietly.');
    expect(teamPage.text).toContain('Credit as chosen: River');
    expect(teamPage.text).toContain('Wants a voucher for their time');
  });

  test('an invited parent carer answers with a photograph through a personal link, with no account; its metadata is gone', async () => {
    const callId = await openCall();
    const link = await makeLink(callId);
    const visitor = t.request();
    const page = await visitor.get(link).set('Accept', 'text/html');
    expect(page.status).toBe(200);
    expect(page.headers['referrer-policy']).toBe('same-origin');
    expect(page.text).toContain('Hello Sam Jones');
    const picture = await readFile(path.join(fixture, 'media', 'picture.png'));
    const saved = await answer(visitor, link, csrfFrom(page.text), { way: 'picture', text: 'My son drew his calm place.', creditDisplay: 'first-name', claim: 'paid' }, { bytes: picture, name: 'drawing.png' });
    expect(saved.status).toBe(303);
    const stored = await CallAnswer.findOne({ call: callId }).lean();
    expect(stored?.answeredBy).toBeNull();
    expect(stored?.invitation).not.toBeNull();
    expect(stored?.form).toBe('picture');
    const asset = await Asset.findById(stored?.asset).lean();
    expect(asset?.mimeType).toBe('image/png');
    expect(asset?.uploadedBy).toBeNull();

    const teamPage = await coFacilitator.agent.get(`/manage/courses/tiny-course/calls/${callId}`);
    expect(teamPage.text).toContain('Credit as chosen: Sam,');
    const fileUrl = `/manage/courses/tiny-course/calls/${callId}/answers/${stored?._id.toString()}/file`;
    const file = await coFacilitator.agent.get(fileUrl);
    expect(file.status).toBe(200);
    expect(file.headers['content-type']).toBe('image/png');
    expect(file.headers['content-security-policy']).toContain('sandbox');
    expect((await learner.agent.get(fileUrl)).status).toBe(403);
    expect((await outsiderTrainer.agent.get(fileUrl)).status).toBe(403);
    expect((await t.request().get(fileUrl)).status).toBe(303);
  });

  test('a file of the wrong kind is refused with a message naming it, and leaves no file and no answer', async () => {
    const callId = await openCall();
    const link = await makeLink(callId);
    const visitor = t.request();
    const token = csrfFrom((await visitor.get(link).set('Accept', 'text/html')).text);
    const assetsBefore = await Asset.countDocuments();
    const refused = await answer(visitor, link, token, { way: 'picture' }, { bytes: Buffer.from('<svg onload="alert(1)"></svg>'), name: 'evil.svg' });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('evil.svg');
    expect(await Asset.countDocuments()).toBe(assetsBefore);
    expect(await CallAnswer.countDocuments({ call: callId })).toBe(0);
  });

  test('a stopped link, an ended link and a made-up link all answer 404 with one calm message', async () => {
    const callId = await openCall();
    const stoppedLink = await makeLink(callId, 'Alex');
    const invitation = await CallInvitation.findOne({ name: 'Alex', call: callId }).lean();
    const page = `/manage/courses/tiny-course/calls/${callId}`;
    const stop = await trainer.agent.post(`${page}/links/${invitation?._id.toString()}/stop`).type('form').send({ _csrf: await tokenOf(trainer.agent, page) });
    expect(stop.status).toBe(303);
    const stopped = await t.request().get(stoppedLink).set('Accept', 'text/html');
    expect(stopped.status).toBe(404);
    expect(stopped.text).toContain('This link does not work any more');

    const endedLink = await makeLink(callId, 'Jo');
    await CallInvitation.updateOne({ name: 'Jo', call: callId }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await t.request().get(endedLink)).status).toBe(404);
    expect((await t.request().get('/call-link/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).status).toBe(404);

    // A closed call closes its links too.
    const openLink = await makeLink(callId, 'Kim');
    expect((await t.request().get(openLink)).status).toBe(200);
    await trainer.agent.post(`${page}/close`).type('form').send({ _csrf: await tokenOf(trainer.agent, page) });
    expect((await t.request().get(openLink)).status).toBe(404);
  });

  test('a call only for co-facilitators makes no links, and one only for invited people is not offered to co-facilitators', async () => {
    const coFacilitatorsOnly = await openCall({ audience: 'co-facilitators' });
    const page = `/manage/courses/tiny-course/calls/${coFacilitatorsOnly}`;
    const refused = await trainer.agent.post(`${page}/links`).type('form').send({ _csrf: await tokenOf(trainer.agent, page), name: 'Pat', relationship: 'young person', days: '7' });
    expect(refused.status).toBe(422);
    const invitedOnly = await openCall({ audience: 'invited' });
    expect((await coFacilitator.agent.get('/calls')).text).not.toContain(`/calls/${invitedOnly}`);
    expect((await coFacilitator.agent.get(`/calls/${invitedOnly}`)).status).toBe(404);
  });

});

describe('using an answer in the draft', () => {
  test('a written answer becomes a quoted block at the end of the lesson, with its author credited as chosen, once', async () => {
    const callId = await openCall();
    const token = await tokenOf(coFacilitator.agent, `/calls/${callId}`);
    await answer(coFacilitator.agent, `/calls/${callId}`, token, { text: 'Ask me before you touch my things.\n## Not a lesson\n::: not a block', creditDisplay: 'pseudonym', creditName: 'River', creditRole: 'young autistic co-facilitator' });
    const stored = await CallAnswer.findOne({ call: callId }).lean();
    const answerId = stored?._id.toString() ?? '';
    const page = `/manage/courses/tiny-course/calls/${callId}`;
    const lessonKey = (await t.services.courses.getPublishedVersion(courseId))?.modules[0]?.lessons[0]?.key ?? '';
    const used = await trainer.agent.post(`${page}/answers/${answerId}/use`).type('form').send({ _csrf: await tokenOf(trainer.agent, page), lessonKey });
    expect(used.status).toBe(303);
    const draft = await t.services.courses.getLatestDraft(courseId);
    expect(draft).not.toBeNull();
    const storedDraft = (await CourseVersion.findOne({ course: courseId, version: draft?.version }).lean()) as { sourceProblems?: unknown[] } | null;
    expect(storedDraft?.sourceProblems ?? []).toEqual([]);
    const module = draft?.modules.find((m) => m.key === 'first-steps');
    const lesson = module?.lessons.find((l) => l.key === lessonKey);
    const last = lesson?.blocks.at(-1);
    expect(last?.kind).toBe('text');
    expect(last && 'html' in last ? last.html : '').toContain('Ask me before you touch my things.');
    // The person's own lines stayed text: no new lesson, no broken block.
    expect(module?.lessons.some((l) => l.title === 'Not a lesson')).toBe(false);
    expect(module?.credits.some((credit) => credit.displayName === 'River' && credit.role === 'young autistic co-facilitator')).toBe(true);

    const again = await trainer.agent.post(`${page}/answers/${answerId}/use`).type('form').send({ _csrf: await tokenOf(trainer.agent, page), lessonKey });
    expect(again.status).toBe(422);
    expect(again.text).toContain('This answer is already in version');
  });

  test('a photograph sent through a link becomes an image block with the alt text the team wrote, its file in the draft', async () => {
    const callId = await openCall();
    const link = await makeLink(callId, 'Dee Adams');
    const visitor = t.request();
    const token = csrfFrom((await visitor.get(link).set('Accept', 'text/html')).text);
    const picture = await readFile(path.join(fixture, 'media', 'picture.png'));
    await answer(visitor, link, token, { way: 'picture', text: 'Our calm corner.', creditDisplay: 'full-name', creditName: 'Dee Adams', creditRole: 'parent carer' }, { bytes: picture, name: 'corner.png' });
    const stored = await CallAnswer.findOne({ call: callId }).lean();
    const page = `/manage/courses/tiny-course/calls/${callId}`;
    const lessonKey = (await t.services.courses.getPublishedVersion(courseId))?.modules[0]?.lessons[0]?.key ?? '';
    const used = await coFacilitator.agent.post(`${page}/answers/${stored?._id.toString()}/use`).type('form')
      .send({ _csrf: await tokenOf(coFacilitator.agent, page), lessonKey, alt: 'A corner with a bean bag and a lamp.' });
    expect(used.status).toBe(303);
    const draft = await t.services.courses.getLatestDraft(courseId);
    const module = draft?.modules.find((m) => m.key === 'first-steps');
    const last = module?.lessons.find((l) => l.key === lessonKey)?.blocks.at(-1);
    expect(last?.kind).toBe('image');
    expect(last && 'alt' in last ? last.alt : '').toBe('A corner with a bean bag and a lamp.');
    expect(module?.credits.some((credit) => credit.displayName === 'Dee Adams' && credit.contribution === 'artwork')).toBe(true);
    const version = await CourseVersion.findOne({ course: courseId, version: draft?.version }).lean();
    const source = version?.source as { media: Array<{ sha256: string }> } | null;
    const asset = await Asset.findById(stored?.asset).lean();
    expect(source?.media.some((entry) => entry.sha256 === asset?.sha256)).toBe(true);
  });

  test('a learner and a trainer not on the team cannot use an answer', async () => {
    const callId = await openCall();
    const token = await tokenOf(coFacilitator.agent, `/calls/${callId}`);
    await answer(coFacilitator.agent, `/calls/${callId}`, token, { text: 'Use a quiet voice.' });
    const stored = await CallAnswer.findOne({ call: callId }).lean();
    const action = `/manage/courses/tiny-course/calls/${callId}/answers/${stored?._id.toString()}/use`;
    const byOutsider = await outsiderTrainer.agent.post(action).type('form').send({ _csrf: await tokenOf(outsiderTrainer.agent, '/account'), lessonKey: 'welcome' });
    expect(byOutsider.status).toBe(403);
    const byLearner = await learner.agent.post(action).type('form').send({ _csrf: await tokenOf(learner.agent, '/account'), lessonKey: 'welcome' });
    expect(byLearner.status).toBe(403);
    expect((await CallAnswer.findById(stored?._id).lean())?.usedIn).toBeNull();
  });
});

// Last: it spends this address's allowance of link visits.
describe('guessing links', () => {
  test('personal links are rate-limited', async () => {
    let last = 0;
    const visitor = t.request();
    for (let i = 0; i < 62; i += 1) last = (await visitor.get(`/call-link/guess${String(i).padStart(20, '0')}`)).status;
    expect(last).toBe(429);
  });
});
