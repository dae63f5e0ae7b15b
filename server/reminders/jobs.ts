/**
 * The reminder jobs on the durable scheduler (server/jobs/scheduler.ts). Both are safe to run at any time and
 * in several processes (see ./service.ts), so a run after a restart sends only what was not sent.
 *   reminders.due            every hour: reminders before, on and after the due day
 *   reminders.weekly-digest  Mondays at 08:00 UTC: each trainer's list of who is overdue
 */
import type { JobScheduler } from '../jobs/scheduler';
import type { RemindersService } from './service';

export const REMINDER_JOBS = { due: 'reminders.due', weeklyDigest: 'reminders.weekly-digest' } as const;

/** Defines the jobs (before the scheduler starts). */
export function defineReminderJobs(scheduler: JobScheduler, reminders: Pick<RemindersService, 'sendDueReminders' | 'sendWeeklyDigests'>): void {
  scheduler.define(REMINDER_JOBS.due, async () => {
    await reminders.sendDueReminders();
  });
  scheduler.define(REMINDER_JOBS.weeklyDigest, async () => {
    await reminders.sendWeeklyDigests();
  });
}

/** Makes sure the recurring jobs exist (one each, however many processes call this). */
export async function scheduleReminderJobs(scheduler: JobScheduler): Promise<void> {
  await scheduler.every('1 hour', REMINDER_JOBS.due);
  await scheduler.every('0 8 * * 1', REMINDER_JOBS.weeklyDigest);
}
