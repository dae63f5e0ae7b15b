/**
 * Reminders: emails to learners before a course is due, on the due day and when it is overdue (each at most once
 * per assignment, learner and due day), and a weekly digest to each trainer of who is overdue in their teams.
 * The jobs in ./jobs.ts run these on the durable scheduler; they are safe to run at any time, as often as wanted,
 * in as many processes as wanted:
 *   claim (insert into a unique index) -> send -> mark sent.
 * Only the process whose claim succeeds sends. A process that dies between claim and send leaves a claim without
 * sentAt, which a later run takes over after CLAIM_TIMEOUT_MS; a process that dies after sending and before
 * marking (a moment) could make that one reminder go twice: mail servers give no way to send exactly once.
 * Learners may turn off the reminders before and on the due day; the overdue one is essential and always sent.
 */
import { Types } from 'mongoose';
import type { Logger } from 'pino';
import type { AssignmentsService, LearnerCourseStatus } from '../assignments/service';
import { DAY_MS, reminderDue, startOfUtcDay, type ReminderKind } from '../assignments/rules';
import type { CoursesService } from '../courses/service';
import { isDuplicateKey } from '../db/mongo-errors';
import type { Mailer } from '../mail/mailer';
import type { TeamsService } from '../teams/service';
import type { PersonSummary, UsersService } from '../users/service';
import { ReminderSettings, SentDigest, SentReminder, type ReminderSettingsRecord, type SentReminderRecord } from './model';

/** A claim not marked sent after this long is taken over by the next run. */
export const CLAIM_TIMEOUT_MS = 10 * 60_000;

export interface ReminderPreferences {
  before: boolean;
  on: boolean;
  digest: boolean;
}

export const DEFAULT_REMINDER_PREFERENCES: Readonly<ReminderPreferences> = Object.freeze({ before: true, on: true, digest: true });

/** Which kinds a person may turn off. */
export const OPTIONAL_KINDS: readonly ReminderKind[] = ['before', 'on'];

export interface RemindersDeps {
  assignments: Pick<AssignmentsService, 'statusesForTeams' | 'statusesForLearner'>;
  courses: Pick<CoursesService, 'courseTitlesByIds'>;
  teams: Pick<TeamsService, 'teamNamesByIds' | 'teamsByTrainer'>;
  users: Pick<UsersService, 'getPeopleByIds'>;
  mailer: Mailer;
  /** The site's address, for links in emails. */
  baseUrl: string;
  logger: Logger;
  now?: () => Date;
}

export interface SentReminderView {
  courseId: string;
  kind: ReminderKind;
  dueAt: Date;
  sentAt: Date;
}

export type RemindersService = ReturnType<typeof createRemindersService>;

/** Monday 00:00 UTC of the week `date` falls in. */
export function weekStart(date: Date): Date {
  const day = startOfUtcDay(date);
  const sinceMonday = (day.getUTCDay() + 6) % 7;
  return new Date(day.getTime() - sinceMonday * DAY_MS);
}

const dayFormat = new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
const dayText = { format: (date: Date): string => dayFormat.format(date).replace(',', '') };

function reminderMail(kind: ReminderKind, status: LearnerCourseStatus, person: PersonSummary, courseTitle: string, baseUrl: string): { subject: string; text: string } {
  const due = status.dueAt ? dayText.format(status.dueAt) : '';
  const greeting = `Hello ${person.name || 'there'},`;
  const link = `Open your courses: ${baseUrl}/dashboard`;
  const settings = `Choose which reminders you get: ${baseUrl}/account/reminders`;
  const renewal = status.state === 'completed' || status.state === 'expired';
  switch (kind) {
    case 'before':
      return {
        subject: renewal ? `Your certificate for ${courseTitle} expires soon` : `${courseTitle} is due on ${due}`,
        text: [
          greeting,
          '',
          renewal ? `Your certificate for "${courseTitle}" expires on ${due}. Please take the course again before then.` : `The course "${courseTitle}" is due on ${due}.`,
          '',
          link,
          '',
          settings,
        ].join('\n'),
      };
    case 'on':
      return {
        subject: `${courseTitle} is due today`,
        text: [greeting, '', renewal ? `Your certificate for "${courseTitle}" expires today. Please take the course again.` : `The course "${courseTitle}" is due today.`, '', link, '', settings].join('\n'),
      };
    case 'overdue':
      return {
        subject: `${courseTitle} is overdue`,
        text: [
          greeting,
          '',
          `The course "${courseTitle}" was due on ${due}. Please finish it as soon as you can.`,
          'Your trainer can see that it is overdue. If something makes it hard to finish, please talk to them.',
          '',
          link,
          '',
          'We always send this email when a course is overdue.',
        ].join('\n'),
      };
  }
}

export function createRemindersService(deps: RemindersDeps) {
  const { courseTitlesByIds } = deps.courses;
  const { teamNamesByIds, teamsByTrainer } = deps.teams;
  const { getPeopleByIds } = deps.users;
  const now = deps.now ?? (() => new Date());

  async function preferencesOf(userIds: string[]): Promise<Map<string, ReminderPreferences>> {
    const rows = await ReminderSettings.find({ user: { $in: userIds.map((id) => new Types.ObjectId(id)) } }).lean<ReminderSettingsRecord[]>();
    return new Map(rows.map((row) => [String(row.user), { before: row.before, on: row.on, digest: row.digest }]));
  }

  async function settingsFor(userId: string): Promise<ReminderPreferences> {
    return (await preferencesOf([userId])).get(userId) ?? { ...DEFAULT_REMINDER_PREFERENCES };
  }

  async function updateSettings(userId: string, preferences: ReminderPreferences): Promise<void> {
    await ReminderSettings.updateOne({ user: new Types.ObjectId(userId) }, { $set: { before: preferences.before, on: preferences.on, digest: preferences.digest } }, { upsert: true });
  }

  /** Takes on one reminder: true when this process should send it. */
  async function claimReminder(key: { assignment: Types.ObjectId; learner: Types.ObjectId; kind: ReminderKind; dueAt: Date }, course: Types.ObjectId, at: Date): Promise<Types.ObjectId | null> {
    try {
      const created = await SentReminder.create({ ...key, course, claimedAt: at, sentAt: null });
      return created._id;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    // Already claimed: take it over only if that claim was abandoned (never sent, and old).
    const taken = await SentReminder.findOneAndUpdate(
      { ...key, sentAt: null, claimedAt: { $lt: new Date(at.getTime() - CLAIM_TIMEOUT_MS) } },
      { $set: { claimedAt: at } },
      { projection: { _id: 1 } },
    ).lean<{ _id: Types.ObjectId }>();
    return taken?._id ?? null;
  }

  /**
   * Sends the reminders that apply now and have not been sent. Returns how many this call sent. Learners who
   * are not active (invited, turned off) get none.
   */
  async function sendDueReminders(): Promise<{ sent: number }> {
    const at = now();
    const statuses = (await deps.assignments.statusesForTeams(undefined, at)).flatMap((status) => {
      const kind = reminderDue(status, at);
      return kind && status.dueAt ? [{ status, kind }] : [];
    });
    if (statuses.length === 0) return { sent: 0 };
    const learnerIds = [...new Set(statuses.map((item) => item.status.learnerId))];
    const [people, preferences, titles] = await Promise.all([
      getPeopleByIds(learnerIds),
      preferencesOf(learnerIds),
      courseTitlesByIds([...new Set(statuses.map((item) => item.status.courseId))]),
    ]);
    const personById = new Map(people.map((person) => [person.id, person]));
    let sent = 0;
    for (const { status, kind } of statuses) {
      const person = personById.get(status.learnerId);
      if (!person || person.status !== 'active') continue;
      const chosen = preferences.get(status.learnerId) ?? DEFAULT_REMINDER_PREFERENCES;
      if ((kind === 'before' && !chosen.before) || (kind === 'on' && !chosen.on)) continue;
      const key = { assignment: new Types.ObjectId(status.assignmentId), learner: new Types.ObjectId(status.learnerId), kind, dueAt: status.dueAt as Date };
      const claim = await claimReminder(key, new Types.ObjectId(status.courseId), at);
      if (!claim) continue;
      const mail = reminderMail(kind, status, person, titles.get(status.courseId) ?? 'your course', deps.baseUrl);
      try {
        await deps.mailer.send({ to: person.email, ...mail });
      } catch (error) {
        // Give the claim back at once, so the next run tries again.
        await SentReminder.updateOne({ _id: claim, sentAt: null }, { $set: { claimedAt: new Date(0) } });
        deps.logger.warn({ err: error, kind }, 'a reminder could not be sent; the next run tries again');
        continue;
      }
      await SentReminder.updateOne({ _id: claim }, { $set: { sentAt: now() } });
      sent += 1;
    }
    return { sent };
  }

  /**
   * The weekly digest: to each trainer (active, not turned off), the people in their teams whose assigned courses
   * are overdue or expired, once per week. Nothing is sent to a trainer with nobody overdue.
   */
  async function sendWeeklyDigests(): Promise<{ sent: number }> {
    const at = now();
    const week = weekStart(at);
    const byTrainer = await teamsByTrainer();
    const trainers = await getPeopleByIds([...byTrainer.keys()]);
    const preferences = await preferencesOf(trainers.map((trainer) => trainer.id));
    let sent = 0;
    for (const trainer of trainers) {
      if (trainer.status !== 'active' || !trainer.roles.includes('trainer')) continue;
      if (!(preferences.get(trainer.id) ?? DEFAULT_REMINDER_PREFERENCES).digest) continue;
      const teamIds = byTrainer.get(trainer.id) ?? [];
      const overdue = (await deps.assignments.statusesForTeams(teamIds, at)).filter((status) => status.pastDue || status.state === 'expired');
      if (overdue.length === 0) continue;
      let claim: Types.ObjectId | null = null;
      try {
        claim = (await SentDigest.create({ trainer: new Types.ObjectId(trainer.id), week, claimedAt: at, sentAt: null, overdueCount: overdue.length }))._id;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        claim =
          (
            await SentDigest.findOneAndUpdate(
              { trainer: new Types.ObjectId(trainer.id), week, sentAt: null, claimedAt: { $lt: new Date(at.getTime() - CLAIM_TIMEOUT_MS) } },
              { $set: { claimedAt: at } },
              { projection: { _id: 1 } },
            ).lean<{ _id: Types.ObjectId }>()
          )?._id ?? null;
      }
      if (!claim) continue;
      const [people, titles, teamNames] = await Promise.all([
        getPeopleByIds([...new Set(overdue.map((status) => status.learnerId))]),
        courseTitlesByIds([...new Set(overdue.map((status) => status.courseId))]),
        teamNamesByIds(teamIds),
      ]);
      const names = new Map(people.map((person) => [person.id, person.name || person.email]));
      const lines = overdue
        .map((status) => ({
          name: names.get(status.learnerId) ?? 'Someone',
          text: `${titles.get(status.courseId) ?? 'A course'}: ${status.state === 'expired' && !status.pastDue ? 'certificate expired' : `was due ${status.dueAt ? dayText.format(status.dueAt) : ''}`}`,
        }))
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((line) => `- ${line.name}: ${line.text}`);
      try {
        await deps.mailer.send({
          to: trainer.email,
          subject: `Overdue courses in your teams: ${overdue.length}`,
          text: [
            `Hello ${trainer.name || 'there'},`,
            '',
            `These courses are overdue in ${[...teamNames.values()].sort().join(', ')}:`,
            '',
            ...lines,
            '',
            `See your assignments: ${deps.baseUrl}/manage/assignments`,
            `Choose which emails you get: ${deps.baseUrl}/account/reminders`,
          ].join('\n'),
        });
      } catch (error) {
        await SentDigest.updateOne({ _id: claim, sentAt: null }, { $set: { claimedAt: new Date(0) } });
        deps.logger.warn({ err: error }, 'a weekly digest could not be sent; the next run tries again');
        continue;
      }
      await SentDigest.updateOne({ _id: claim }, { $set: { sentAt: now() } });
      sent += 1;
    }
    return { sent };
  }

  /** The reminders sent to a learner, newest first (the last 50). */
  async function sentTo(learnerId: string): Promise<SentReminderView[]> {
    const rows = await SentReminder.find({ learner: new Types.ObjectId(learnerId), sentAt: { $ne: null } })
      .sort({ claimedAt: -1 })
      .limit(50)
      .lean<SentReminderRecord[]>();
    return rows.map((row) => ({ courseId: String(row.course), kind: row.kind, dueAt: row.dueAt, sentAt: row.sentAt as Date }));
  }

  return { sendDueReminders, sendWeeklyDigests, settingsFor, updateSettings, sentTo };
}
