/**
 * The feedback job on the durable scheduler (server/jobs/scheduler.ts):
 *   feedback.note-emails   every minute: "you said, we did" emails to the learners a note answers, each once
 * Safe to run at any time and in several processes (./loop.ts): a run after a restart sends only what was not sent.
 */
import type { JobScheduler } from '../jobs/scheduler';
import type { FeedbackService } from './service';

export const FEEDBACK_JOBS = { noteEmails: 'feedback.note-emails' } as const;

export function defineFeedbackJobs(scheduler: JobScheduler, feedback: Pick<FeedbackService, 'sendNoteEmails'>): void {
  scheduler.define(FEEDBACK_JOBS.noteEmails, async () => {
    await feedback.sendNoteEmails();
  });
}

export async function scheduleFeedbackJobs(scheduler: JobScheduler): Promise<void> {
  await scheduler.every('1 minute', FEEDBACK_JOBS.noteEmails);
}
