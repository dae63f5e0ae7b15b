/**
 * Reminders on the durable job scheduler (Agenda, jobs in the database): before, on and after the due day, each
 * once per assignment and learner, across a restart of the scheduler and with two app processes running the
 * same jobs (two schedulers on two separate database connections, as two processes would have); the weekly
 * digest to trainers; learners turning off the reminders that are not essential.
 */
import { MongoClient } from 'mongodb';
import mongoose, { Types } from 'mongoose';
import { Assignment } from '../../server/assignments/model';
import { createJobScheduler, JOBS_COLLECTION, type JobScheduler } from '../../server/jobs/scheduler';
import { SentReminder } from '../../server/reminders/model';
import { defineReminderJobs, REMINDER_JOBS, scheduleReminderJobs } from '../../server/reminders/jobs';
import { createRemindersService, type RemindersService } from '../../server/reminders/service';
import { csrfFrom, startTestApp, type TestApp, type TestMail } from '../support/app';
import { createAssignment } from '../assignments/factories';
import { importFixtureCourse, type FixtureCourse } from '../learning/support/fixture-course';

let t: TestApp;
let course: FixtureCourse;
const opened: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  t = await startTestApp();
  course = await importFixtureCourse(t.services);
});

afterEach(async () => {
  while (opened.length > 0) await opened.pop()?.close();
  t.setNow(null);
  // Each test's assignments end with it, so the next test's reminders are its own.
  await Assignment.updateMany({ withdrawnAt: null }, { $set: { withdrawnAt: new Date() } });
});

afterAll(async () => {
  await course?.cleanUp();
  await t?.stop();
});

function remindersService(): RemindersService {
  return createRemindersService({ assignments: t.services.assignments, courses: t.services.courses, teams: t.services.teams, users: t.services.users, mailer: t.mailer, baseUrl: t.config.baseUrl, logger: t.logger, now: t.now });
}

/** A scheduler as main.ts builds it, on its own connection when `separateConnection` (another process). */
async function startScheduler(name: string, separateConnection = false): Promise<JobScheduler> {
  let db = mongoose.connection.db;
  if (separateConnection) {
    const client = await MongoClient.connect(t.uri);
    opened.push({ close: () => client.close() });
    db = client.db(mongoose.connection.db?.databaseName);
  }
  if (!db) throw new Error('no database');
  // A short lock lifetime (the jobs here take milliseconds) keeps Agenda's lock-check timers short, so closing
  // the scheduler can wait for them (JobScheduler.timersDone).
  const scheduler = await createJobScheduler({ db, logger: t.logger, name, processEveryMs: 100, lockLifetimeMs: 2_000 });
  defineReminderJobs(scheduler, remindersService());
  await scheduler.start();
  opened.push({
    close: async () => {
      await scheduler.stop();
      await scheduler.timersDone();
    },
  });
  return scheduler;
}

/** Runs the reminder job now on this scheduler and waits until it has finished. */
async function runReminderJob(scheduler: JobScheduler): Promise<void> {
  await scheduler.runNow(REMINDER_JOBS.due);
}

/** Waits for a condition (never a fixed sleep), up to 20 seconds. */
async function waitFor(condition: () => Promise<unknown>): Promise<void> {
  const until = Date.now() + 20_000;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('The condition was not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function mailsTo(email: string): Promise<TestMail[]> {
  return (await t.mails()).filter((mail) => mail.to.includes(email));
}

async function teamWithLearners(name: string, count: number) {
  const team = await t.services.teams.createTeam(name);
  const learners = [];
  for (let index = 0; index < count; index += 1) learners.push(await t.createUser({ roles: ['learner'] }));
  await t.services.teams.addMembers(
    team.id,
    learners.map((learner) => learner.id),
  );
  return { team, learners };
}

describe('reminders', () => {
  it('sends each reminder once, before, on and after the due day, across a restart of the scheduler', async () => {
    const { team, learners } = await teamWithLearners('Restart team', 1);
    const learner = learners[0];
    if (!learner) throw new Error('no learner');
    await createAssignment({ courseId: course.courseId, teamId: team.id, dueAt: new Date('2026-05-20T00:00:00Z') });

    t.setNow(new Date('2026-05-14T09:00:00Z'));
    let scheduler = await startScheduler('first');
    await runReminderJob(scheduler);
    let mails = await mailsTo(learner.email);
    expect(mails.map((mail) => mail.subject)).toEqual(['Learning fixture course is due on Wednesday 20 May 2026']);
    expect(mails[0]?.text).toContain('/account/reminders');

    // Running again the same day sends nothing new.
    await runReminderJob(scheduler);
    expect(await mailsTo(learner.email)).toHaveLength(1);

    // The recurring jobs, as main.ts schedules them; they run at once (sending nothing new).
    await scheduleReminderJobs(scheduler);
    await waitFor(async () => (await mongoose.connection.db?.collection(JOBS_COLLECTION).findOne({ name: REMINDER_JOBS.due, type: 'single' }))?.lastFinishedAt);
    expect(await mailsTo(learner.email)).toHaveLength(1);

    // Restart: the recurring jobs are still in the database; the new scheduler repeats nothing.
    await opened.pop()?.close();
    const jobs = await mongoose.connection.db?.collection(JOBS_COLLECTION).find({ name: { $in: Object.values(REMINDER_JOBS) }, type: 'single' }).toArray();
    expect(jobs?.map((job) => job.name).sort()).toEqual([REMINDER_JOBS.due, REMINDER_JOBS.weeklyDigest].sort());
    scheduler = await startScheduler('after restart');
    await scheduleReminderJobs(scheduler);
    expect(await mongoose.connection.db?.collection(JOBS_COLLECTION).countDocuments({ name: REMINDER_JOBS.due, type: 'single' })).toBe(1);
    await runReminderJob(scheduler);
    expect(await mailsTo(learner.email)).toHaveLength(1);

    t.setNow(new Date('2026-05-20T07:00:00Z'));
    await runReminderJob(scheduler);
    await runReminderJob(scheduler);
    t.setNow(new Date('2026-05-23T07:00:00Z'));
    await runReminderJob(scheduler);
    await runReminderJob(scheduler);
    mails = await mailsTo(learner.email);
    expect(mails.map((mail) => mail.subject)).toEqual([
      'Learning fixture course is due on Wednesday 20 May 2026',
      'Learning fixture course is due today',
      'Learning fixture course is overdue',
    ]);
    expect(await SentReminder.countDocuments({ learner: new Types.ObjectId(learner.id), sentAt: { $ne: null } })).toBe(3);
  });

  it('two processes running the reminder job at once send each reminder once', async () => {
    const { team, learners } = await teamWithLearners('Two processes team', 6);
    await createAssignment({ courseId: course.courseId, teamId: team.id, dueAt: new Date('2026-07-01T00:00:00Z') });
    t.setNow(new Date('2026-07-01T10:00:00Z'));
    const first = await startScheduler('process one', true);
    const second = await startScheduler('process two', true);
    // Both processes run the job at the same moment, several times over.
    await Promise.all([runReminderJob(first), runReminderJob(second), runReminderJob(first), runReminderJob(second)]);
    // And the service itself, raced directly, as the jobs' own runs could overlap.
    await Promise.all([remindersService().sendDueReminders(), remindersService().sendDueReminders()]);
    for (const learner of learners) {
      expect((await mailsTo(learner.email)).map((mail) => mail.subject)).toEqual(['Learning fixture course is due today']);
    }
  });

  it('a claim abandoned by a process that stopped before sending is sent by the next run', async () => {
    const { team, learners } = await teamWithLearners('Abandoned claim team', 1);
    const learner = learners[0];
    if (!learner) throw new Error('no learner');
    const assignmentId = await createAssignment({ courseId: course.courseId, teamId: team.id, dueAt: new Date('2026-08-10T00:00:00Z') });
    // A process claimed the reminder at 08:00 and died before sending it.
    await SentReminder.create({
      assignment: new Types.ObjectId(assignmentId),
      learner: new Types.ObjectId(learner.id),
      course: new Types.ObjectId(course.courseId),
      kind: 'on',
      dueAt: new Date('2026-08-10T00:00:00Z'),
      claimedAt: new Date('2026-08-10T08:00:00Z'),
    });
    t.setNow(new Date('2026-08-10T08:05:00Z'));
    expect(await remindersService().sendDueReminders()).toEqual({ sent: 0 });
    t.setNow(new Date('2026-08-10T08:30:00Z'));
    expect(await remindersService().sendDueReminders()).toEqual({ sent: 1 });
    expect(await remindersService().sendDueReminders()).toEqual({ sent: 0 });
    expect(await mailsTo(learner.email)).toHaveLength(1);
  });

  it('sends each trainer a weekly digest of who is overdue in their teams, once a week', async () => {
    const { team, learners } = await teamWithLearners('Digest team', 2);
    const trainer = await t.createUser({ roles: ['trainer'] });
    await t.services.teams.addTrainers(team.id, [trainer.id]);
    const other = await teamWithLearners('Other digest team', 1);
    const otherTrainer = await t.createUser({ roles: ['trainer'] });
    await t.services.teams.addTrainers(other.team.id, [otherTrainer.id]);
    await createAssignment({ courseId: course.courseId, teamId: team.id, dueAt: new Date('2026-09-01T00:00:00Z') });
    await createAssignment({ courseId: course.courseId, teamId: other.team.id, dueAt: new Date('2026-12-01T00:00:00Z') });

    t.setNow(new Date('2026-09-07T08:00:00Z'));
    const reminders = remindersService();
    expect(await reminders.sendWeeklyDigests()).toEqual({ sent: 1 });
    expect(await reminders.sendWeeklyDigests()).toEqual({ sent: 0 });
    const digest = await t.latestMail(trainer.email);
    expect(digest.subject).toBe('Overdue courses in your teams: 2');
    for (const learner of learners) expect(digest.text).toContain(learner.name);
    expect(digest.text).not.toContain(other.learners[0]?.name ?? 'missing');
    // Nobody is overdue in the other trainer's team: no email.
    expect(await mailsTo(otherTrainer.email)).toHaveLength(0);
    // The next week, another one.
    t.setNow(new Date('2026-09-14T08:00:00Z'));
    expect(await reminders.sendWeeklyDigests()).toEqual({ sent: 1 });
  });
});

describe('the learner chooses their reminders', () => {
  it('lists the reminders sent, and turning off the optional ones stops them but never the overdue one', async () => {
    const { team } = await teamWithLearners('Settings team', 0);
    const { agent, user } = await t.signedInAgent({ roles: ['learner'] });
    await t.services.teams.addMembers(team.id, [user.id]);
    await createAssignment({ courseId: course.courseId, teamId: team.id, dueAt: new Date('2026-10-10T00:00:00Z') });
    const dashboard = await agent.get('/dashboard');
    expect(dashboard.text).toContain('href="/account/reminders"');

    t.setNow(new Date('2026-10-05T08:00:00Z'));
    await remindersService().sendDueReminders();
    let page = await agent.get('/account/reminders');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Learning fixture course');
    expect(page.text).toContain('A week before');

    const token = csrfFrom(page.text);
    // Only "overdue" stays on: the two checkboxes are left unticked.
    const saved = await agent.post('/account/reminders').type('form').send({ _csrf: token });
    expect(saved.status).toBe(303);
    page = await agent.get('/account/reminders');
    expect(page.text).not.toMatch(/name="before" value="yes" checked/);
    expect(page.text).not.toMatch(/name="on" value="yes" checked/);

    t.setNow(new Date('2026-10-10T08:00:00Z'));
    expect(await remindersService().sendDueReminders()).toEqual({ sent: 0 });
    t.setNow(new Date('2026-10-11T08:00:00Z'));
    expect(await remindersService().sendDueReminders()).toEqual({ sent: 1 });
    expect((await mailsTo(user.email)).map((mail) => mail.subject)).toEqual([
      'Learning fixture course is due on Saturday 10 October 2026',
      'Learning fixture course is overdue',
    ]);
  });
});
