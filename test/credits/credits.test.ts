/**
 * Credit and consent (issue #13), through the app on the in-memory engine: a trainer on the course records a
 * person's contribution; the person alone chooses how they are credited, changes it and withdraws it; the module
 * page, the course page, the certificate PDF and the public verify page show exactly the current choice each time.
 */
import { Types } from 'mongoose';
import { AuditEvent } from '../../server/audit/model';
import { Course } from '../../server/courses/model';
import { Credit } from '../../server/credits/model';
import { Enrolment } from '../../server/learning/model';
import { Certificate } from '../../server/certificates/model';
import { csrfFrom, startTestApp, type TestAgent, type TestApp, type TestUser } from '../support/app';
import { importFixtureCourse, type FixtureCourse } from '../learning/support/fixture-course';
import { pdfText } from '../learning/support/pdf-text';

let t: TestApp;
let course: FixtureCourse;
let trainer: { agent: TestAgent; user: TestUser };
let priya: { agent: TestAgent; user: TestUser };
let learner: { agent: TestAgent; user: TestUser };
let creditId: string;
let certificateNumber: string;
let verificationCode: string;

const NOT_NAMED = 'A contributor who is not named';

async function form(agent: TestAgent, page: string, action: string, fields: Record<string, string | string[]>) {
  const token = csrfFrom((await agent.get(page)).text);
  return agent.post(action).type('form').send({ _csrf: token, ...fields });
}

async function binary(agent: TestAgent, url: string): Promise<Buffer> {
  const response = await agent
    .get(url)
    .buffer(true)
    .parse((res, callback) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => callback(null, Buffer.concat(chunks)));
    });
  expect(response.status).toBe(200);
  return response.body as Buffer;
}

/** What a learner, a certificate and the public see of the co-producers right now. */
async function everywhere(): Promise<{ course: string; module: string; pdf: string; verify: string }> {
  const [overview, module, verify] = await Promise.all([
    learner.agent.get(`/courses/${course.slug}`),
    learner.agent.get(`/courses/${course.slug}/modules/basics`),
    t.request().get(`/certificates/verify/${verificationCode}`),
  ]);
  expect([overview.status, module.status, verify.status]).toEqual([200, 200, 200]);
  const pdf = await pdfText(await binary(learner.agent, `/certificates/${certificateNumber}.pdf`));
  return { course: overview.text, module: module.text, pdf, verify: verify.text };
}

beforeAll(async () => {
  t = await startTestApp();
  course = await importFixtureCourse(t.services);
  trainer = await t.signedInAgent({ roles: ['trainer'], name: 'Tess Trainer' });
  priya = await t.signedInAgent({ roles: ['co-facilitator'], name: 'Priya Shah' });
  learner = await t.signedInAgent({ roles: ['learner'], name: 'Lee Learner' });
  await Course.updateOne(
    { _id: new Types.ObjectId(course.courseId) },
    { $push: { authoringTeam: { user: new Types.ObjectId(trainer.user.id), role: 'trainer', livedExperience: false, addedAt: new Date() } } },
  );
  // The learner finishes the course before any credit exists: the certificate must still follow every change.
  const token = csrfFrom((await learner.agent.get('/dashboard')).text);
  await learner.agent.post(`/courses/${course.slug}/start`).type('form').send({ _csrf: token });
  const answers = Object.fromEntries(Object.entries(await course.rightAnswers()).map(([question, options]) => [`q:${question}`, options]));
  await learner.agent.post(`/learn/${course.slug}/basics/check-lesson/check`).type('form').send({ _csrf: token, block: course.checkKey, ...answers });
  await learner.agent.post(`/learn/${course.slug}/basics/reflect/reflection`).type('form').send({ _csrf: token, block: course.reflectionKey, reflection: 'Listen first.' });
  const enrolment = await Enrolment.findOne({ learner: new Types.ObjectId(learner.user.id) }).lean();
  certificateNumber = enrolment?.certificateNumber as string;
  const certificate = await Certificate.findOne({ number: certificateNumber }).lean();
  verificationCode = certificate?.verificationCode as string;
  expect(verificationCode).toMatch(/^[0-9A-Z]{4}-/);
});

afterAll(async () => {
  await course?.cleanUp();
  await t?.stop();
});

describe('a trainer records a contribution', () => {
  it('records it once per module with every role, and names nobody until the person chooses', async () => {
    const page = `/manage/credits/${course.slug}`;
    const first = await form(trainer.agent, page, page, { email: priya.user.email, moduleKey: 'basics', kinds: ['co-author', 'artwork'], about: 'parent carer' });
    expect(first.status).toBe(303);
    const second = await form(trainer.agent, page, page, { email: priya.user.email, moduleKey: 'basics', kinds: 'review' });
    expect(second.status).toBe(303);
    const records = await Credit.find({ user: new Types.ObjectId(priya.user.id) }).lean();
    expect(records).toHaveLength(1);
    expect(records[0]?.kinds).toEqual(['co-author', 'artwork', 'review']);
    expect(records[0]?.consentGivenAt).toBeNull();
    creditId = String(records[0]?._id);

    const seen = await everywhere();
    for (const text of [seen.course, seen.module, seen.verify]) {
      expect(text).toContain(NOT_NAMED);
      expect(text).not.toContain('Priya');
      expect(text).not.toContain('parent carer</'); // no words about them before consent
    }
    expect(seen.pdf).toContain(NOT_NAMED);
    expect(seen.pdf).not.toContain('Priya');
    // The sample contributor from the content files still shows as the content says.
    expect(seen.module).toContain('Sam');
    expect(seen.module).toContain('Co-production: written with Sam (parent carer) and one person who is not named.');
  });

  it('tells the trainer what is wrong and keeps what they typed', async () => {
    const page = `/manage/credits/${course.slug}`;
    const unknown = await form(trainer.agent, page, page, { email: 'nobody@example.org', moduleKey: 'basics', kinds: 'video' });
    expect(unknown.status).toBe(422);
    expect(unknown.text).toContain('There is nobody with this email address here');
    expect(unknown.text).toContain('value="nobody@example.org"');
    const noKind = await form(trainer.agent, page, page, { email: priya.user.email, moduleKey: 'basics' });
    expect(noKind.status).toBe(422);
    expect(noKind.text).toContain('Choose at least one kind of contribution');
    const noModule = await form(trainer.agent, page, page, { email: priya.user.email, moduleKey: 'not-a-module', kinds: 'video' });
    expect(noModule.status).toBe(422);
    expect(noModule.text).toContain('Choose a module of this course');
  });

  it('lets only trainers on the course team (and admins) record or list contributions', async () => {
    const outsider = await t.signedInAgent({ roles: ['trainer'] });
    const page = `/manage/credits/${course.slug}`;
    expect((await outsider.agent.get(page)).status).toBe(403);
    const token = csrfFrom((await outsider.agent.get('/preferences')).text);
    const refused = await outsider.agent.post(page).type('form').send({ _csrf: token, email: outsider.user.email, moduleKey: 'basics', kinds: 'video' });
    expect(refused.status).toBe(403);
    expect(await Credit.countDocuments({ user: new Types.ObjectId(outsider.user.id) })).toBe(0);
    expect((await priya.agent.get(page)).status).toBe(403);
    const admin = await t.signedInAgent({ roles: ['admin'] });
    expect((await admin.agent.get(page)).status).toBe(200);
  });
});

describe('the contributor chooses, changes and withdraws', () => {
  it('lists the module on their own page and shows the first-name choice everywhere, with all roles once', async () => {
    const list = await priya.agent.get('/account/credits');
    expect(list.status).toBe(200);
    expect(list.text).toContain('The basics');
    expect(list.text).toContain('Co-author, Artwork, Review');
    const saved = await form(priya.agent, `/account/credits/${creditId}`, `/account/credits/${creditId}`, { display: 'first-name', about: 'parent carer', consent: 'yes' });
    expect(saved.status).toBe(303);

    const seen = await everywhere();
    for (const text of [seen.course, seen.module]) {
      expect(text).toContain('<strong>Priya</strong>, parent carer (co-author, artwork, review)');
      expect(text.match(/<strong>Priya<\/strong>/g)).toHaveLength(1);
      expect(text).not.toContain('Priya Shah');
      expect(text).not.toContain(NOT_NAMED);
    }
    expect(seen.module).toContain('Co-production: written with Sam (parent carer) and Priya (parent carer).');
    // The course page and each lesson of the module lead to the module's page.
    expect(seen.course).toContain(`href="/courses/${course.slug}/modules/basics"`);
    expect((await learner.agent.get(`/learn/${course.slug}/basics/welcome`)).text).toContain(`href="/courses/${course.slug}/modules/basics"`);
    expect(seen.pdf).toContain('Priya, parent carer');
    expect(seen.pdf).not.toContain('Shah');
    expect(seen.verify).toContain('<strong>Priya</strong>, parent carer (co-author, artwork, review)');
    const record = await Credit.findById(creditId).lean();
    expect(record?.consentGivenAt).toBeInstanceOf(Date);
  });

  it('shows a changed choice (a pseudonym) at once on every page and certificate', async () => {
    const saved = await form(priya.agent, `/account/credits/${creditId}`, `/account/credits/${creditId}`, { display: 'pseudonym', pseudonym: 'Sunny', about: 'parent carer', consent: 'yes' });
    expect(saved.status).toBe(303);
    const seen = await everywhere();
    for (const text of [seen.course, seen.module, seen.verify, seen.pdf]) {
      expect(text).toContain('Sunny');
      expect(text).not.toContain('Priya');
    }
    const record = await Credit.findById(creditId).lean();
    expect(record?.changedAt?.getTime()).toBeGreaterThanOrEqual(record?.consentGivenAt?.getTime() ?? Infinity);
  });

  it('refuses a choice without agreement or without the pseudonym, keeping what was typed', async () => {
    const page = `/account/credits/${creditId}`;
    const noConsent = await form(priya.agent, page, page, { display: 'full-name', about: 'a mum of two' });
    expect(noConsent.status).toBe(422);
    expect(noConsent.text).toContain('Tick the box to say you agree');
    expect(noConsent.text).toContain('value="a mum of two"');
    const noName = await form(priya.agent, page, page, { display: 'pseudonym', pseudonym: ' ', consent: 'yes' });
    expect(noName.status).toBe(422);
    expect(noName.text).toContain('Write the name you want to be shown');
    expect((await Credit.findById(creditId).lean())?.pseudonym).toBe('Sunny');
  });

  it('removes the name everywhere after withdrawal, and records every step in the audit log', async () => {
    const withdrawn = await form(priya.agent, `/account/credits/${creditId}`, `/account/credits/${creditId}/withdraw`, {});
    expect(withdrawn.status).toBe(303);
    const seen = await everywhere();
    for (const text of [seen.course, seen.module, seen.verify, seen.pdf]) {
      expect(text).toContain(NOT_NAMED);
      expect(text).not.toContain('Sunny');
      expect(text).not.toContain('Priya');
    }
    expect(seen.module).toContain('Co-production: written with Sam (parent carer) and one person who is not named.');
    const actions = (await AuditEvent.find({ targetId: creditId }).sort({ at: 1 }).lean()).map((event) => event.action);
    expect(actions).toEqual(['credit.contribution-added', 'credit.contribution-added', 'credit.consent-given', 'credit.changed', 'credit.withdrawn']);

    // Choosing again is a new consent, dated again.
    const before = (await Credit.findById(creditId).lean())?.consentGivenAt?.getTime() ?? 0;
    await form(priya.agent, `/account/credits/${creditId}`, `/account/credits/${creditId}`, { display: 'full-name', consent: 'yes' });
    const again = await Credit.findById(creditId).lean();
    expect(again?.withdrawnAt).toBeNull();
    expect(again?.consentGivenAt?.getTime()).toBeGreaterThanOrEqual(before);
    expect((await everywhere()).module).toContain('<strong>Priya Shah</strong>');
  });

  it('lets only the person change or withdraw their own credit', async () => {
    const other = await t.signedInAgent({ roles: ['co-facilitator'] });
    const token = csrfFrom((await other.agent.get('/account/credits')).text);
    expect((await other.agent.get(`/account/credits/${creditId}`)).status).toBe(404);
    const change = await other.agent.post(`/account/credits/${creditId}`).type('form').send({ _csrf: token, display: 'anonymous', consent: 'yes' });
    expect(change.status).toBe(404);
    const withdraw = await other.agent.post(`/account/credits/${creditId}/withdraw`).type('form').send({ _csrf: token });
    expect(withdraw.status).toBe(404);
    // Not even the trainer who recorded it can choose for them.
    const trainerToken = csrfFrom((await trainer.agent.get('/account/credits')).text);
    expect((await trainer.agent.post(`/account/credits/${creditId}`).type('form').send({ _csrf: trainerToken, display: 'anonymous', consent: 'yes' })).status).toBe(404);
    const record = await Credit.findById(creditId).lean();
    expect(record?.display).toBe('full-name');
    expect(record?.withdrawnAt).toBeNull();
  });
});
