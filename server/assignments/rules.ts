/**
 * The rules that turn assignments and completions into a due date and a state, per learner and course. Pure: no
 * I/O, so they are unit tested here and restated exactly in aggregation pipelines (see the top of ./service.ts).
 *
 * Days are UTC days: a due date is midnight UTC of the due day, and a course is overdue from the next day on.
 */
import type { DueRule } from './model';

export const DAY_MS = 24 * 60 * 60 * 1000;

/** Reminders: "coming up" this many days before the due day. */
export const REMIND_BEFORE_DAYS = 7;

/** A course whose completion expires (or has expired) within this many days may be taken again. */
export const RETAKE_WINDOW_DAYS = 30;

export function startOfUtcDay(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

export function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * DAY_MS);
}

/**
 * Calendar months later, on the same day of the month or the last day of a shorter month (31 January + 1 month
 * is 28 or 29 February), as MongoDB's `$dateAdd` with unit 'month' does.
 */
export function addMonthsUtc(date: Date, months: number): Date {
  const target = new Date(date.getTime());
  const day = date.getUTCDate();
  target.setUTCDate(1);
  target.setUTCMonth(target.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return target;
}

/** What of an assignment the rules read. */
export interface AssignmentTerms {
  dueRule: DueRule;
  dueAt: Date | null;
  dueDays: number | null;
  recertifyMonths: number | null;
  assignedAt: Date;
  /** True for an assignment to a team (joinedAt then matters). */
  toTeam: boolean;
}

/**
 * When this learner received the assignment: when it was made, or for a team assignment when they joined the
 * team if that was later (people who join later get the team's assignments from the day they join).
 * A member without a known joining date is taken to have had it from when it was made.
 */
export function receivedAt(terms: AssignmentTerms, joinedAt: Date | null): Date {
  if (!terms.toTeam || !joinedAt || joinedAt <= terms.assignedAt) return terms.assignedAt;
  return joinedAt;
}

/** The first due day of an assignment for one learner (midnight UTC). */
export function firstDueAt(terms: AssignmentTerms, joinedAt: Date | null): Date {
  switch (terms.dueRule) {
    case 'fixed':
      return startOfUtcDay(terms.dueAt ?? terms.assignedAt);
    case 'after-assigned':
      return addDays(startOfUtcDay(receivedAt(terms, joinedAt)), terms.dueDays ?? 0);
    case 'after-joined':
      return addDays(startOfUtcDay(terms.toTeam && joinedAt ? joinedAt : terms.assignedAt), terms.dueDays ?? 0);
  }
}

/** Several live assignments of one course to one learner (their own and their teams'): the earliest due day
 * governs, and the shortest recertification period. */
export interface CombinedTerms {
  /** The earliest first due day. */
  firstDueAt: Date;
  recertifyMonths: number | null;
  /** The assignment with the earliest first due day (reminders are kept per assignment). */
  assignmentId: string;
}

export function combineTerms(items: ReadonlyArray<{ assignmentId: string; firstDueAt: Date; recertifyMonths: number | null }>): CombinedTerms | null {
  const first = items[0];
  if (!first) return null;
  let earliest = first;
  let recertifyMonths: number | null = null;
  for (const item of items) {
    if (item.firstDueAt < earliest.firstDueAt) earliest = item;
    if (item.recertifyMonths !== null && (recertifyMonths === null || item.recertifyMonths < recertifyMonths)) recertifyMonths = item.recertifyMonths;
  }
  return { firstDueAt: earliest.firstDueAt, recertifyMonths, assignmentId: earliest.assignmentId };
}

export const DUE_STATES = ['not-started', 'in-progress', 'completed', 'overdue', 'expired'] as const;
export type DueState = (typeof DUE_STATES)[number];

export const DUE_STATE_LABELS: Readonly<Record<DueState, string>> = {
  'not-started': 'Not started',
  'in-progress': 'In progress',
  completed: 'Completed',
  overdue: 'Overdue',
  expired: 'Expired',
};

/** What the learner has done on a course, from their enrolment and any recorded completions. */
export interface CompletionFacts {
  /** The latest completion: the enrolment's, an earlier round's, or a recorded one (not withdrawn). */
  lastCompletedAt: Date | null;
  /** Started and not finished (the current round). */
  inProgress: boolean;
}

export interface CourseDueStatus {
  state: DueState;
  /** The next due day: the first due day, or when a completion expires; null when nothing is due any more. */
  dueAt: Date | null;
  /** When the last completion expires (or expired); null without recertification or completion. */
  expiresAt: Date | null;
  /** True when the due day has passed and it is not done (overdue, or expired and past due). */
  pastDue: boolean;
}

/**
 * One learner's state on one assigned course:
 *   no completion:        due on the first due day; 'overdue' from the day after; else in progress / not started
 *   completed, no recertification: 'completed' for good
 *   completed, recertification:    expires on the day `recertifyMonths` after the completion; 'completed' until
 *                         then (due again on the expiry day), 'expired' from that day. An expired course is due
 *                         on the later of the expiry day and the first due day (a new assignment gives its time).
 */
export function courseDueStatus(terms: Pick<CombinedTerms, 'firstDueAt' | 'recertifyMonths'>, facts: CompletionFacts, now: Date): CourseDueStatus {
  const today = startOfUtcDay(now);
  if (facts.lastCompletedAt) {
    if (terms.recertifyMonths === null) return { state: 'completed', dueAt: null, expiresAt: null, pastDue: false };
    const expiresAt = startOfUtcDay(addMonthsUtc(facts.lastCompletedAt, terms.recertifyMonths));
    if (today < expiresAt) return { state: 'completed', dueAt: expiresAt, expiresAt, pastDue: false };
    const dueAt = expiresAt > terms.firstDueAt ? expiresAt : terms.firstDueAt;
    return { state: 'expired', dueAt, expiresAt, pastDue: dueAt < today };
  }
  const dueAt = terms.firstDueAt;
  if (dueAt < today) return { state: 'overdue', dueAt, expiresAt: null, pastDue: true };
  return { state: facts.inProgress ? 'in-progress' : 'not-started', dueAt, expiresAt: null, pastDue: false };
}

export const REMINDER_KINDS = ['before', 'on', 'overdue'] as const;
export type ReminderKind = (typeof REMINDER_KINDS)[number];

/**
 * The one reminder that applies today, if any: 'before' from REMIND_BEFORE_DAYS before the due day, 'on' on the
 * due day, 'overdue' after it. A reminder missed (the app was down) is not sent late: only the current kind is.
 * Each is sent at most once per assignment, learner and due day (a new recertification round has a new due day).
 */
export function reminderDue(status: CourseDueStatus, now: Date): ReminderKind | null {
  if (!status.dueAt) return null;
  const today = startOfUtcDay(now);
  if (status.state === 'completed') {
    // A valid completion that expires soon: only the notice before.
    return today >= addDays(status.dueAt, -REMIND_BEFORE_DAYS) ? 'before' : null;
  }
  if (today.getTime() === status.dueAt.getTime()) return 'on';
  if (today > status.dueAt) return 'overdue';
  return today >= addDays(status.dueAt, -REMIND_BEFORE_DAYS) ? 'before' : null;
}

/** Whether a finished course may be started again: it has expired, or expires within RETAKE_WINDOW_DAYS. */
export function mayRetake(status: CourseDueStatus, now: Date): boolean {
  if (status.state === 'expired') return true;
  return status.state === 'completed' && status.expiresAt !== null && startOfUtcDay(now) >= addDays(status.expiresAt, -RETAKE_WINDOW_DAYS);
}
