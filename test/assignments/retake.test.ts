/**
 * Recertification from the learner's side: a finished course whose certificate has expired under an assignment
 * is due again, the learner takes it again (a new round on the published version), finishes it with a second
 * certificate, and their account page lists the old certificate as expired beside the new one.
 */
import { Certificate, dropSingleRoundCertificateIndex } from '../../server/certificates/model';
import { Enrolment, type EnrolmentRecord } from '../../server/learning/model';
import type { LessonAddress, Learner } from '../../server/learning/service';
import { csrfFrom, startTestApp, type TestApp, type TestUser } from '../support/app';
import { importFixtureCourse, type FixtureCourse } from '../learning/support/fixture-course';
import { createAssignment } from './factories';

let t: TestApp;
let course: FixtureCourse;

const DAY_MS = 24 * 60 * 60 * 1000;

beforeAll(async () => {
  t = await startTestApp();
  course = await importFixtureCourse(t.services, 'retake-course', 'Retake course');
});

afterAll(async () => {
  await course?.cleanUp();
  await t?.stop();
});

const addressOf = (slug: string, blockKey: string): LessonAddress => {
  const [moduleKey = '', lessonKey = ''] = blockKey.split('/');
  return { slug, moduleKey, lessonKey };
};

async function finishCourse(user: TestUser): Promise<void> {
  const learner: Learner = { id: user.id, name: user.name };
  await t.services.learning.enrol(learner, course.slug);
  await t.services.learning.submitCheck(learner, addressOf(course.slug, course.checkKey), course.checkKey, await course.rightAnswers());
  for (const module of (await course.content()).modules) {
    for (const lesson of module.lessons) await t.services.learning.completeLessonReading(learner, course.slug, module.key, lesson.key);
  }
  await t.services.learning.saveReflection(learner, addressOf(course.slug, course.reflectionKey), course.reflectionKey, 'It went well.');
}

/** Moves a finished round back in time, as if it had been done `days` ago (the pages never write the past). */
async function finishedDaysAgo(userId: string, days: number): Promise<Date> {
  const enrolment = await Enrolment.findOne({ courseSlug: course.slug, learner: userId }).lean<EnrolmentRecord>();
  const completedAt = new Date(Date.now() - days * DAY_MS);
  await Enrolment.updateOne({ _id: enrolment?._id }, { $set: { startedAt: new Date(completedAt.getTime() - DAY_MS), completedAt } });
  await Certificate.updateOne({ enrolment: enrolment?._id }, { $set: { completedAt } });
  return completedAt;
}

describe('taking a course again when its certificate has expired', () => {
  it('is offered only when due again, starts a new round, and keeps the old certificate, listed as expired', async () => {
    const { agent, user } = await t.signedInAgent({ roles: ['learner'], name: 'Rita Retake' });
    await createAssignment({ courseId: course.courseId, learnerId: user.id, dueRule: 'fixed', dueAt: new Date(Date.now() - 400 * DAY_MS), recertifyMonths: 12, assignedAt: new Date(Date.now() - 420 * DAY_MS) });
    await finishCourse(user);
    const first = await Enrolment.findOne({ courseSlug: course.slug, learner: user.id }).lean<EnrolmentRecord>();
    expect(first?.certificateNumber).toBeTruthy();
    const overviewPath = `/courses/${course.slug}`;

    // Still valid (finished today): no retake offered, and posting one anyway is refused without a change.
    const valid = await agent.get(overviewPath);
    expect(valid.text).not.toContain('Take the course again');
    const early = await agent.post(`${overviewPath}/retake`).type('form').send({ _csrf: csrfFrom(valid.text) });
    expect(early.status).toBe(409);
    expect((await Enrolment.findById(first?._id).lean<EnrolmentRecord>())?.completedAt).toEqual(first?.completedAt);

    // Thirteen months later the certificate has expired: the dashboard shows it due again, the overview offers a retake.
    const oldCompletedAt = await finishedDaysAgo(user.id, 396);
    const dashboard = await agent.get('/dashboard');
    expect(dashboard.text).toContain('Certificate expired');
    const expired = await agent.get(overviewPath);
    expect(expired.text).toContain('Your certificate expired on');
    expect(expired.text).toContain('Take the course again');
    const account = await agent.get('/account');
    expect(account.text).toMatch(/Expired \d{1,2} [A-Z][a-z]+ \d{4}/);

    const started = await agent.post(`${overviewPath}/retake`).type('form').send({ _csrf: csrfFrom(expired.text) });
    expect(started.status).toBe(303);
    const round = await Enrolment.findById(first?._id).lean<EnrolmentRecord>();
    expect(round).toMatchObject({ completedAt: null, certificateNumber: null, version: 1, blocks: {} });
    expect(round?.previousCompletions).toEqual([expect.objectContaining({ version: 1, completedAt: oldCompletedAt, certificateNumber: first?.certificateNumber })]);
    // The old attempts and reflection are kept (history and the learner's writing).
    expect(round?.attempts.length).toBe(first?.attempts.length);
    expect(Object.keys(round?.reflections ?? {})).toHaveLength(1);
    // A second click does not start another round.
    const again = await agent.post(`${overviewPath}/retake`).type('form').send({ _csrf: csrfFrom((await agent.get(overviewPath)).text) });
    expect(again.status).toBe(409);
    const status = (await t.services.assignments.statusesForLearner(user.id)).find((item) => item.courseId === course.courseId);
    expect(status).toMatchObject({ state: 'expired', pastDue: true });
    expect((await agent.get('/dashboard')).text).toContain('Retake course');

    // Finishing the new round issues a second certificate; the course is completed again, valid for 12 months.
    await finishCourse(user);
    const done = await Enrolment.findById(first?._id).lean<EnrolmentRecord>();
    expect(done?.certificateNumber).toBeTruthy();
    expect(done?.certificateNumber).not.toBe(first?.certificateNumber);
    expect(await Certificate.countDocuments({ enrolment: first?._id })).toBe(2);
    expect((await t.services.assignments.statusesForLearner(user.id)).find((item) => item.courseId === course.courseId)).toMatchObject({ state: 'completed', retakeAllowed: false });
    const after = await agent.get('/account');
    const rows = after.text.split('<tr>').filter((row) => row.includes('Retake course'));
    expect(rows).toHaveLength(2);
    expect(rows.filter((row) => /Expired \d/.test(row))).toHaveLength(1);
    expect(rows.filter((row) => /Valid until \d/.test(row))).toHaveLength(1);
    // Both certificates still download.
    for (const number of [first?.certificateNumber, done?.certificateNumber]) expect((await agent.get(`/certificates/${number}.pdf`)).status).toBe(200);
  });
});

describe('certificates from before retakes', () => {
  it('loses the unique index on the enrolment alone, so a second round can have its certificate', async () => {
    // A database from before: one certificate per enrolment (the test above left two rounds of one, which the
    // old index refuses, as it would refuse the second round's certificate).
    await expect(Certificate.collection.createIndex({ enrolment: 1 }, { unique: true, name: 'enrolment_1' })).rejects.toThrow(/duplicate key/);
    await Certificate.deleteMany({});
    await Certificate.collection.createIndex({ enrolment: 1 }, { unique: true, name: 'enrolment_1' });
    await dropSingleRoundCertificateIndex();
    const names = (await Certificate.collection.indexes()).map((index) => index.name);
    expect(names).not.toContain('enrolment_1');
    expect(names).toContain('enrolment_1_round_1');
    await dropSingleRoundCertificateIndex(); // again: nothing to do
  });
});
