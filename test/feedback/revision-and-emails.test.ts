/**
 * A revision through the real authoring service (startDraft copies the published version; the co-facilitator
 * rewrites a lesson of the draft; it is published), and the "you said, we did" emails on the durable scheduler: two app
 * processes (two schedulers on their own database connections) running the job at once send each email once, and
 * a note a crash left halfway (published, its items and deliveries not yet written) is completed and sent by the job.
 */
import { MongoClient } from 'mongodb';
import mongoose, { Types } from 'mongoose';
import { createJobScheduler, type JobScheduler } from '../../server/jobs/scheduler';
import { defineFeedbackJobs, FEEDBACK_JOBS } from '../../server/feedback/jobs';
import { ChangeNote, FeedbackItem, NoteDelivery, Revision } from '../../server/feedback/model';
import type { SignedInUser } from '../../server/people';
import { startTestApp, type TestApp, type TestUser } from '../support/app';
import { importFixtureCourse, type FixtureCourse } from '../learning/support/fixture-course';

let t: TestApp;
let course: FixtureCourse;
const opened: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  t = await startTestApp();
  course = await importFixtureCourse(t.services);
});

afterAll(async () => {
  while (opened.length > 0) await opened.pop()?.close();
  await course?.cleanUp();
  await t?.stop();
});

function signedIn(user: TestUser): SignedInUser {
  return { id: user.id, email: user.email, name: user.name, roles: user.roles, preferences: { textSize: 'standard', theme: 'standard', reducedMotion: false, readableFont: false, captionsOff: false }, sessionVersion: 0 };
}

/** A scheduler as main.ts builds it, on its own database connection (as another app process has). */
async function schedulerOfAnotherProcess(name: string): Promise<JobScheduler> {
  const client = await MongoClient.connect(t.uri);
  const scheduler = await createJobScheduler({ db: client.db(mongoose.connection.db?.databaseName), logger: t.logger, name, processEveryMs: 100, lockLifetimeMs: 2_000 });
  defineFeedbackJobs(scheduler, t.services.feedback);
  await scheduler.start();
  opened.push({ close: () => client.close() });
  opened.push({
    close: async () => {
      await scheduler.stop();
      await scheduler.timersDone();
    },
  });
  return scheduler;
}

async function feedbackMails(): Promise<string[]> {
  return (await t.mails()).filter((mail) => mail.subject.startsWith('You said, we did')).map((mail) => mail.to);
}

describe('revisions through the authoring service, and the emails', () => {
  it('opens the draft with authoring, publishes it, and sends each learner one email however many processes run the job', async () => {
    const trainer = await t.createUser({ roles: ['trainer'], name: 'Tia Trainer' });
    const cofac = await t.createUser({ roles: ['co-facilitator'], name: 'Coco Cofac' });
    // The authoring team (authoring-core's service): the trainer must be on it to open a draft.
    await t.services.authoring.addTeamMember({ id: trainer.id, roles: ['trainer'] }, course.courseId, { email: trainer.email, role: 'trainer', livedExperience: false });
    await t.services.authoring.addTeamMember({ id: trainer.id, roles: ['trainer'] }, course.courseId, { email: cofac.email, role: 'co-facilitator', livedExperience: true });

    const learners: TestUser[] = [];
    for (const name of ['Lia', 'Max', 'Noor']) {
      const learner = await t.createUser({ roles: ['learner'], name });
      await t.services.learning.enrol({ id: learner.id, name }, course.slug);
      await t.services.feedback.flagLesson({ id: learner.id, name }, { slug: course.slug, moduleKey: 'basics', lessonKey: 'welcome' }, { flag: 'unclear', note: `${name} found it unclear` });
      learners.push(learner);
    }
    const items = await FeedbackItem.find({ course: new Types.ObjectId(course.courseId) }, { _id: 1 }).lean<Array<{ _id: Types.ObjectId }>>();
    const { revisionId, version } = await t.services.feedback.openRevision(signedIn(trainer), course.courseId, items.map((item) => String(item._id)));
    const draft = await t.services.courses.getLatestDraft(course.courseId);
    expect(draft?.version).toBe(version);
    expect(version).toBe(2);

    // The co-facilitator rewrites the welcome in the draft through authoring, then it is published.
    const current = await t.services.authoring.getLesson(course.courseId, version, 'basics', 'welcome', cofac.id);
    const saved = await t.services.authoring.saveLesson(
      course.courseId,
      version,
      'basics',
      'welcome',
      { title: current.lesson.title, text: 'Welcome. Each step now has an example.', baseHash: current.lesson.hash },
      cofac.id,
    );
    expect(saved.conflict).toBe(false);
    await t.services.courses.publishVersion(course.courseId, version, trainer.id);

    const note = await t.services.feedback.revisionView(signedIn(cofac), course.courseId, revisionId);
    expect(note.revision.noteForm?.lessons).toEqual([{ id: 'basics/welcome', title: 'The basics: Welcome' }]);
    const lesson = note.revision.noteForm?.lessons[0];
    const published = await t.services.feedback.publishNote(signedIn(cofac), course.courseId, revisionId, {
      summary: 'You said the welcome was unclear. We added an example to each step.',
      itemIds: items.map((item) => String(item._id)),
      lessonIds: [lesson?.id ?? ''],
      coAuthorIds: [trainer.id],
    });
    expect(published.learners).toBe(3);

    const first = await schedulerOfAnotherProcess('process-a');
    const second = await schedulerOfAnotherProcess('process-b');
    await Promise.all([first.runNow(FEEDBACK_JOBS.noteEmails), second.runNow(FEEDBACK_JOBS.noteEmails)]);
    await first.runNow(FEEDBACK_JOBS.noteEmails);
    expect((await feedbackMails()).sort()).toEqual(learners.map((learner) => learner.email).sort());
  });

  it('completes and sends a note that a crash left halfway', async () => {
    const learner = await t.createUser({ roles: ['learner'], name: 'Oli' });
    await t.services.learning.enrol({ id: learner.id, name: 'Oli' }, course.slug);
    await t.services.feedback.flagLesson({ id: learner.id, name: 'Oli' }, { slug: course.slug, moduleKey: 'basics', lessonKey: 'reflect' }, { flag: 'wrong', note: 'A typo' });
    const item = await FeedbackItem.findOne({ learner: new Types.ObjectId(learner.id) }).lean<{ _id: Types.ObjectId }>();
    if (!item) throw new Error('no flag');
    const trainerId = new Types.ObjectId();
    await FeedbackItem.updateOne({ _id: item._id }, { $set: { status: 'declined', decision: { reason: 'It is spelled right', by: trainerId, at: new Date() } } });
    // What publishNote wrote before the process died: the note only.
    const revision = await Revision.create({ course: new Types.ObjectId(course.courseId), version: 99, items: [], openedBy: trainerId, openedAt: new Date() });
    const note = await ChangeNote.create({
      course: new Types.ObjectId(course.courseId),
      revision: revision._id,
      version: 2,
      summary: 'We checked the spelling.',
      moduleKeys: ['basics'],
      items: [item._id],
      authors: [trainerId],
      publishedAt: new Date(),
      completedAt: null,
    });
    expect(await NoteDelivery.countDocuments({ note: note._id })).toBe(0);

    const scheduler = await schedulerOfAnotherProcess('after-restart');
    await scheduler.runNow(FEEDBACK_JOBS.noteEmails);
    expect(await NoteDelivery.countDocuments({ note: note._id, sentAt: { $ne: null } })).toBe(1);
    const mail = await t.latestMail(learner.email);
    expect(mail.text).toContain('Not changed, because: It is spelled right');
    expect((await ChangeNote.findById(note._id).lean<{ completedAt: Date | null }>())?.completedAt).not.toBeNull();
  });
});
