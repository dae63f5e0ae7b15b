/**
 * The feedback loop through the app, as learners, co-facilitators and trainers use it: end-of-module feedback
 * (optional, once per learner, module and version), lesson flags, the board (anonymity towards co-facilitators,
 * triage and who may do it), a revision opened as a draft (a fake of authoring's startDraft: the fixture's version
 * 2 imported as a draft), the version published, the "you said, we did" note on the module page and on the
 * dashboards of exactly the learners it answers, their emails sent once by the durable job, the loop-closure
 * figures against counts made here, and the CSV export.
 */
import mongoose, { Types } from 'mongoose';
import { AuditEvent } from '../../server/audit/model';
import { createJobScheduler, type JobScheduler } from '../../server/jobs/scheduler';
import { defineFeedbackJobs, FEEDBACK_JOBS } from '../../server/feedback/jobs';
import { FeedbackItem, NoteDelivery, type FeedbackItemRecord } from '../../server/feedback/model';
import { median } from '../../server/feedback/rules';
import { csrfFrom, startTestApp, type TestAgent, type TestApp, type TestUser } from '../support/app';
import { importFixtureCourse, type FixtureCourse } from '../learning/support/fixture-course';

let t: TestApp;
let course: FixtureCourse;
const draftsStarted: Array<{ courseId: string; by: string }> = [];

beforeAll(async () => {
  t = await startTestApp({
    drafts: {
      async startDraft(courseId, byUserId) {
        draftsStarted.push({ courseId, by: byUserId });
        return { version: await course.draftVersion2() };
      },
    },
  });
  course = await importFixtureCourse(t.services);
});

afterAll(async () => {
  await course?.cleanUp();
  await t?.stop();
});

const MODULE = 'basics';
const modulePath = (): string => `/courses/${course.slug}/modules/${MODULE}`;

async function learnerOnCourse(name: string): Promise<{ agent: TestAgent; user: TestUser }> {
  const signedIn = await t.signedInAgent({ roles: ['learner'], name });
  const token = await t.csrfToken(signedIn.agent, `/courses/${course.slug}`);
  const started = await signedIn.agent.post(`/courses/${course.slug}/start`).type('form').send({ _csrf: token });
  expect(started.status).toBe(303);
  return signedIn;
}

async function post(agent: TestAgent, pagePath: string, action: string, fields: Record<string, string | string[]>) {
  const page = await agent.get(pagePath);
  expect(page.status).toBe(200);
  const token = csrfFrom(page.text);
  return agent.post(action).type('form').send({ _csrf: token, ...fields });
}

async function sendModuleFeedback(agent: TestAgent, fields: Record<string, string>) {
  return post(agent, `${modulePath()}/feedback`, `${modulePath()}/feedback`, fields);
}

async function flagLesson(agent: TestAgent, lessonKey: string, flag: string, note: string) {
  const lesson = `/learn/${course.slug}/${MODULE}/${lessonKey}`;
  return post(agent, lesson, `${lesson}/flag`, { flag, note });
}

async function itemsOf(user: TestUser): Promise<FeedbackItemRecord[]> {
  return FeedbackItem.find({ learner: new Types.ObjectId(user.id) }).sort({ createdAt: 1 }).lean<FeedbackItemRecord[]>();
}

async function addToTeam(userId: string, role: 'trainer' | 'co-facilitator', livedExperience = false): Promise<void> {
  // The authoring feature owns adding people to a team; its contract's field is set directly here.
  await mongoose.connection.db
    ?.collection('courses')
    .updateOne({ _id: new Types.ObjectId(course.courseId) }, { $push: { authoringTeam: { user: new Types.ObjectId(userId), role, livedExperience, addedAt: new Date(), addedBy: null } } } as never);
}

let scheduler: JobScheduler | null = null;

async function runEmailJob(): Promise<void> {
  if (!scheduler) {
    const db = mongoose.connection.db;
    if (!db) throw new Error('no database');
    scheduler = await createJobScheduler({ db, logger: t.logger, name: 'feedback-test', processEveryMs: 100, lockLifetimeMs: 2_000 });
    defineFeedbackJobs(scheduler, t.services.feedback);
    await scheduler.start();
  }
  await scheduler.runNow(FEEDBACK_JOBS.noteEmails);
}

afterAll(async () => {
  if (scheduler) {
    await scheduler.stop();
    await scheduler.timersDone();
  }
});

describe('the feedback loop', () => {
  let ana: { agent: TestAgent; user: TestUser };
  let ben: { agent: TestAgent; user: TestUser };
  let cal: { agent: TestAgent; user: TestUser };
  let trainer: { agent: TestAgent; user: TestUser };
  let cofac: { agent: TestAgent; user: TestUser };
  let outsider: { agent: TestAgent; user: TestUser };
  const board = (): string => `/feedback/courses/${course.courseId}`;

  beforeAll(async () => {
    ana = await learnerOnCourse('Ana Learner');
    ben = await learnerOnCourse('Ben Learner');
    cal = await learnerOnCourse('Cal Learner');
    trainer = await t.signedInAgent({ roles: ['trainer'], name: 'Tess Trainer' });
    cofac = await t.signedInAgent({ roles: ['co-facilitator'], name: 'Cleo Cofac' });
    outsider = await t.signedInAgent({ roles: ['co-facilitator'], name: 'Otto Outside' });
    await addToTeam(cofac.user.id, 'co-facilitator', true);
    await addToTeam(trainer.user.id, 'trainer');
  });

  it('lets a learner skip feedback: an empty form is refused with 422, nothing saved, and the page offers Skip', async () => {
    const form = await ana.agent.get(`${modulePath()}/feedback`);
    expect(form.text).toContain('>Skip</a>');
    const empty = await sendModuleFeedback(ana.agent, { mostUseful: '   ' });
    expect(empty.status).toBe(422);
    expect(empty.text).toContain('There is a problem');
    expect(empty.text).toContain('Answer at least one question');
    expect(await itemsOf(ana.user)).toHaveLength(0);
  });

  it('keeps one feedback per learner, module and version: a second send updates it', async () => {
    const first = await sendModuleFeedback(ana.agent, { rating: '2', confidenceBefore: '2', confidenceAfter: '3', shouldChange: 'The reflection lesson was too short', nameToTeam: 'no' });
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe(modulePath());
    const second = await sendModuleFeedback(ana.agent, { rating: '3', confidenceBefore: '2', confidenceAfter: '4', shouldChange: 'The reflection lesson needs an example', nameToTeam: 'no' });
    expect(second.status).toBe(303);
    const items = await itemsOf(ana.user);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ kind: 'module', version: 1, rating: 3, confidenceAfter: 4, shouldChange: 'The reflection lesson needs an example', status: 'new' });
    // The unique index holds even for a write that skips the service.
    await expect(
      FeedbackItem.create({ kind: 'module', course: new Types.ObjectId(course.courseId), version: 1, moduleKey: MODULE, learner: new Types.ObjectId(ana.user.id), status: 'new' }),
    ).rejects.toMatchObject({ code: 11000 });
    const page = await ana.agent.get(`${modulePath()}/feedback`);
    expect(page.text).toContain('The reflection lesson needs an example');
  });

  it('takes a flag on a lesson in two clicks (the disclosure and a button), and refuses a flag without a kind', async () => {
    const lesson = await ana.agent.get(`/learn/${course.slug}/${MODULE}/welcome`);
    expect(lesson.text).toContain('<details class="lesson-flag');
    expect(lesson.text).toContain('name="flag" value="unclear"');
    const flagged = await flagLesson(ana.agent, 'welcome', 'unclear', 'I did not follow the second paragraph');
    expect(flagged.status).toBe(303);
    const refused = await flagLesson(ben.agent, 'welcome', 'nonsense', 'kept text');
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('kept text');
    expect(await itemsOf(ben.user)).toHaveLength(0);
    expect(await flagLesson(ben.agent, 'check-lesson', 'wrong', 'Question 2 has two right answers')).toMatchObject({ status: 303 });
    expect(await sendModuleFeedback(ben.agent, { rating: '4', confidenceBefore: '3', confidenceAfter: '4', nameToTeam: 'yes' })).toMatchObject({ status: 303 });
    expect(await sendModuleFeedback(cal.agent, { rating: '5', mostUseful: 'The check', nameToTeam: 'no' })).toMatchObject({ status: 303 });
  });

  it('shows the board to trainers with names, to the team co-facilitator without the names of learners who did not choose it, to no one else', async () => {
    const asTrainer = await trainer.agent.get(board());
    expect(asTrainer.status).toBe(200);
    expect(asTrainer.text).toContain('Ana Learner');
    expect(asTrainer.text).toContain('Cal Learner');

    const asCofac = await cofac.agent.get(board());
    expect(asCofac.status).toBe(200);
    expect(asCofac.text).not.toContain('Ana Learner');
    expect(asCofac.text).not.toContain('Cal Learner');
    expect(asCofac.text).toContain('Ben Learner'); // Ben chose to be named (his module feedback)
    expect(asCofac.text).toContain('A learner (anonymous)');
    const anaFlag = (await itemsOf(ana.user)).find((item) => item.kind === 'lesson');
    const itemPage = await cofac.agent.get(`${board()}/items/${String(anaFlag?._id)}`);
    expect(itemPage.status).toBe(200);
    expect(itemPage.text).not.toContain('Ana Learner');
    expect(itemPage.text).toContain('I did not follow the second paragraph');

    expect((await outsider.agent.get(board())).status).toBe(403);
    expect((await ana.agent.get(board())).status).toBe(403);
    expect((await ana.agent.get(`${board()}/items/${String(anaFlag?._id)}`)).status).toBe(403);
    expect((await ana.agent.get('/feedback')).status).toBe(403);
    const list = await cofac.agent.get('/feedback');
    expect(list.text).toContain('Learning fixture course');
    expect((await outsider.agent.get('/feedback')).text).not.toContain('Learning fixture course');
  });

  it('lets only trainers move items, needs a reason to close one, and refuses moves the rules do not allow', async () => {
    const benFlag = (await itemsOf(ben.user)).find((item) => item.kind === 'lesson');
    const item = `${board()}/items/${String(benFlag?._id)}`;
    const byCofac = await post(cofac.agent, item, `${item}/status`, { status: 'declined', reason: 'No' });
    expect(byCofac.status).toBe(403);
    const comment = await post(cofac.agent, item, `${item}/comments`, { comment: 'I think question 2 is right as it is.' });
    expect(comment.status).toBe(303);
    const noReason = await post(trainer.agent, item, `${item}/status`, { status: 'declined', reason: '' });
    expect(noReason.status).toBe(422);
    expect(noReason.text).toContain('Write the reason');
    const declined = await post(trainer.agent, item, `${item}/status`, { status: 'declined', reason: 'Both answers are right: the question says "tick all that apply".' });
    expect(declined.status).toBe(303);
    const notAllowed = await post(trainer.agent, item, `${item}/status`, { status: 'actioned', reason: 'x' });
    expect(notAllowed.status).toBe(422);
    const after = await FeedbackItem.findById(benFlag?._id).lean<FeedbackItemRecord>();
    expect(after?.status).toBe('declined');
    expect(after?.decision?.reason).toContain('tick all that apply');
    expect(after?.comments.map((c) => c.text)).toEqual(['I think question 2 is right as it is.']);
    // Two trainers acting on the same state: the conditional update lets one win.
    const calItem = (await itemsOf(cal.user))[0];
    const viewer = { id: trainer.user.id, email: trainer.user.email, name: trainer.user.name, roles: trainer.user.roles, preferences: { textSize: 'standard', theme: 'standard', reducedMotion: false, readableFont: false, captionsOff: false }, sessionVersion: 0 } as const;
    const results = await Promise.allSettled([
      t.services.feedback.changeStatus(viewer, course.courseId, String(calItem?._id), 'planned', ''),
      t.services.feedback.changeStatus(viewer, course.courseId, String(calItem?._id), 'declined', 'Not now'),
    ]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const reopened = await t.services.feedback.changeStatus(viewer, course.courseId, String(calItem?._id), 'new', '').catch(() => 'refused');
    expect(reopened).toBeUndefined();
  });

  it('closes the loop: revision draft -> published version -> note on the module page and on exactly the dashboards it answers, emailed once', async () => {
    const anaItems = await itemsOf(ana.user);
    const opened = await post(trainer.agent, board(), `${board()}/revisions`, { items: anaItems.map((item) => String(item._id)) });
    expect(opened.status).toBe(303);
    expect(draftsStarted).toEqual([{ courseId: course.courseId, by: trainer.user.id }]);
    const revisionPath = String(opened.headers.location);
    const planned = await itemsOf(ana.user);
    expect(planned.map((item) => [item.status, item.plannedVersion])).toEqual([
      ['planned', 2],
      ['planned', 2],
    ]);
    expect((await t.services.courses.getLatestDraft(course.courseId))?.version).toBe(2);

    // While version 2 is a draft there is no note to write.
    const whileDraft = await cofac.agent.get(revisionPath);
    expect(whileDraft.text).not.toContain('Publish the note');
    // Publishing (two-key publish belongs to another branch; the contract's publishVersion is the step here).
    await t.services.courses.publishVersion(course.courseId, 2, trainer.user.id);

    const benFlag = (await itemsOf(ben.user)).find((item) => item.kind === 'lesson');
    // Three days later the note is written (for the median days to an answer).
    t.setNow(new Date(Date.now() + 3 * 86_400_000));
    const note = await post(cofac.agent, revisionPath, `${revisionPath}/note`, {
      summary: 'You said the lessons needed examples. We added a lesson on sensory breaks and rewrote the welcome.',
      items: [...planned.map((item) => String(item._id)), String(benFlag?._id)],
      lessons: ['basics/welcome', 'basics/extra'],
      coAuthors: [trainer.user.id],
    });
    t.setNow(null);
    expect(note.status).toBe(303);
    const anaAfter = await itemsOf(ana.user);
    expect(anaAfter.every((item) => item.status === 'actioned' && item.answeredBy)).toBe(true);

    // The module page, for everyone (a learner who gave nothing included): the note, never a learner's words.
    const dee = await t.signedInAgent({ roles: ['learner'], name: 'Dee Learner' });
    const modulePage = await dee.agent.get(modulePath());
    expect(modulePage.status).toBe(200);
    expect(modulePage.text).toContain('We added a lesson on sensory breaks');
    expect(modulePage.text).toContain('tick all that apply');
    expect(modulePage.text).not.toContain('I did not follow the second paragraph');
    expect(modulePage.text).not.toContain('Question 2 has two right answers');

    // Dashboards: exactly Ana and Ben.
    const dashboardOf = async (agent: TestAgent) => (await agent.get('/dashboard')).text;
    const anaDashboard = await dashboardOf(ana.agent);
    expect(anaDashboard).toContain('We added a lesson on sensory breaks');
    expect(anaDashboard).toContain('I did not follow the second paragraph');
    const benDashboard = await dashboardOf(ben.agent);
    expect(benDashboard).toContain('We added a lesson on sensory breaks');
    expect(benDashboard).toContain('Not changed, because: Both answers are right');
    expect(benDashboard).not.toContain('I did not follow the second paragraph');
    expect(await dashboardOf(cal.agent)).not.toContain('We added a lesson on sensory breaks');
    expect(await dashboardOf(dee.agent)).not.toContain('We added a lesson on sensory breaks');

    // Emails through the durable job: once each, however often it runs.
    await runEmailJob();
    await runEmailJob();
    const mails = (await t.mails()).filter((mail) => mail.subject.startsWith('You said, we did'));
    expect(mails.map((mail) => mail.to).sort()).toEqual([ana.user.email, ben.user.email].sort());
    const anaMail = mails.find((mail) => mail.to === ana.user.email);
    expect(anaMail?.text).toContain('We added a lesson on sensory breaks');
    const extraLink = anaMail?.links.find((link) => link.includes('/versions/2/basics/extra'));
    expect(extraLink).toBeDefined();
    expect(await NoteDelivery.countDocuments({ sentAt: { $ne: null } })).toBe(2);

    // Ana is on version 1 (which has no lesson "extra"); the link still opens the changed lesson to read.
    const extra = await ana.agent.get(new URL(String(extraLink)).pathname);
    expect(extra.status).toBe(200);
    expect(extra.text).toContain('A new lesson on sensory breaks');
    expect(extra.text).toContain('You are reading version 2');
    // A draft is never readable this way.
    expect((await ana.agent.get(`/courses/${course.slug}/versions/3/basics/extra`)).status).toBe(404);
  });

  it('computes the loop-closure figures by aggregation equal to counts made here, and exports them as audited CSV', async () => {
    const all = await FeedbackItem.find({ course: new Types.ObjectId(course.courseId) }).lean<FeedbackItemRecord[]>();
    const answered = all.filter((item) => item.answeredAt);
    const days = answered.map((item) => ((item.answeredAt as Date).getTime() - item.createdAt.getTime()) / 86_400_000);
    const modules = all.filter((item) => item.kind === 'module');
    const ratings = modules.map((item) => item.rating).filter((value): value is number => value !== null);
    const both = modules.filter((item) => item.confidenceBefore !== null && item.confidenceAfter !== null);
    const averageChange = both.reduce((sum, item) => sum + ((item.confidenceAfter as number) - (item.confidenceBefore as number)), 0) / both.length;

    const viewer = { id: trainer.user.id, email: trainer.user.email, name: trainer.user.name, roles: trainer.user.roles, preferences: { textSize: 'standard', theme: 'standard', reducedMotion: false, readableFont: false, captionsOff: false }, sessionVersion: 0 } as const;
    const figures = await t.services.feedback.figuresFor(viewer, course.courseId);
    expect(figures.total).toBe(all.length);
    expect(figures.answered).toBe(answered.length);
    expect(answered.length).toBe(3);
    expect(figures.answeredPercent).toBe(Math.round((answered.length / all.length) * 100));
    expect(figures.medianDaysToAnswer).toBe(Math.round((median(days) as number) * 10) / 10);
    expect(figures.medianDaysToAnswer).toBeGreaterThanOrEqual(2.9);
    const v1 = figures.versions.find((row) => row.version === 1);
    expect(v1?.responses).toBe(modules.length);
    expect(v1?.averageRating).toBe(Math.round((ratings.reduce((a, b) => a + b, 0) / ratings.length) * 10) / 10);
    expect(v1?.averageConfidenceChange).toBe(Math.round(averageChange * 10) / 10);

    const page = await trainer.agent.get(board());
    expect(page.text).toContain('<svg class="chart__svg" role="img"');
    expect(page.text).toContain('<caption>End-of-module feedback per course version</caption>');

    const csv = await trainer.agent.get(`${board()}/figures.csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.text).toContain(`Feedback with an answer,${answered.length}`);
    expect(csv.text).toContain(`Median days to an answer,${figures.medianDaysToAnswer}`);
    expect(await AuditEvent.countDocuments({ action: 'feedback.figures-exported' })).toBe(1);
    expect((await ana.agent.get(`${board()}/figures.csv`)).status).toBe(403);
  });
});
