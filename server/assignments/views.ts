/**
 * View models for the trainer's assignment pages: plain objects with exactly what each page shows, formatted.
 */
import type { FormValues } from '../web/forms';
import type { DueRule } from './model';
import { DUE_STATE_LABELS } from './rules';
import type { AssignmentSummary, LearnerCourseStatus, RecordedCompletionSummary } from './service';

const dateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

export function formatDay(date: Date): string {
  return dateFormat.format(date);
}

/** yyyy-mm-dd, as a date input holds it. */
export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function dueRuleText(rule: { dueRule: DueRule; dueAt: Date | null; dueDays: number | null }): string {
  const days = `${rule.dueDays ?? 0} ${rule.dueDays === 1 ? 'day' : 'days'}`;
  switch (rule.dueRule) {
    case 'fixed':
      return rule.dueAt ? `By ${formatDay(rule.dueAt)}` : 'No date';
    case 'after-assigned':
      return `${days} after being assigned`;
    case 'after-joined':
      return `${days} after joining the team`;
  }
}

export function recertifyText(months: number | null): string {
  if (months === null) return 'Does not expire';
  if (months % 12 === 0) return `Expires after ${months / 12} ${months === 12 ? 'year' : 'years'}`;
  return `Expires after ${months} ${months === 1 ? 'month' : 'months'}`;
}

export interface AssignmentRow {
  id: string;
  courseTitle: string;
  targetLabel: string;
  targetHref: string | null;
  dueText: string;
  recertifyText: string;
  assignedText: string;
}

export function assignmentRows(items: AssignmentSummary[]): AssignmentRow[] {
  return items.map((item) => ({
    id: item.id,
    courseTitle: item.courseTitle,
    targetLabel: item.target.kind === 'team' ? `Team: ${item.target.name}` : item.target.name,
    targetHref: item.target.kind === 'person' ? `/manage/assignments/people/${item.target.id}` : null,
    dueText: dueRuleText(item),
    recertifyText: recertifyText(item.recertifyMonths),
    assignedText: formatDay(item.assignedAt),
  }));
}

export interface Option {
  value: string;
  text: string;
  hint?: string;
}

export interface AssignFormPage {
  title: string;
  courses: Option[];
  teams: Option[];
  people: Option[];
  values: FormValues;
  errors: Record<string, string>;
}

export const DUE_RULE_OPTIONS: Option[] = [
  { value: 'fixed', text: 'By a date', hint: 'Everyone has the same due date.' },
  { value: 'after-assigned', text: 'A number of days after being assigned', hint: 'People who join a team later get the same number of days from the day they join.' },
  {
    value: 'after-joined',
    text: 'A number of days after joining the team',
    hint: 'For courses new starters take. People who joined long ago are due at once. Teams only.',
  },
];

export interface LearnerStatusRow {
  courseTitle: string;
  stateLabel: string;
  state: string;
  dueText: string;
  completedText: string;
}

export function learnerStatusRows(statuses: LearnerCourseStatus[], titles: Map<string, string>): LearnerStatusRow[] {
  return statuses.map((status) => ({
    courseTitle: titles.get(status.courseId) ?? 'A course that no longer exists',
    state: status.state,
    stateLabel: DUE_STATE_LABELS[status.state],
    dueText: status.dueAt ? `${status.state === 'completed' ? 'Due again' : status.pastDue ? 'Was due' : 'Due'} ${formatDay(status.dueAt)}` : 'Nothing due',
    completedText: status.lastCompletedAt
      ? `${formatDay(status.lastCompletedAt)}${status.completionRecorded ? ' (recorded by a trainer)' : ''}${status.expiresAt ? `. ${status.state === 'expired' ? 'Expired' : 'Expires'} ${formatDay(status.expiresAt)}` : ''}`
      : 'Not yet',
  }));
}

export interface RecordedRow {
  id: string;
  courseTitle: string;
  completedText: string;
  reason: string;
  evidence: { href: string; text: string } | null;
  recordedText: string;
  withdrawn: boolean;
  withdrawnText: string | null;
}

export function recordedRows(items: RecordedCompletionSummary[], titles: Map<string, string>, names: Map<string, string>): RecordedRow[] {
  return items.map((item) => ({
    id: item.id,
    courseTitle: titles.get(item.courseId) ?? 'A course that no longer exists',
    completedText: formatDay(item.completedAt),
    reason: item.reason,
    evidence: item.evidence ? { href: `/manage/assignments/completions/${item.id}/evidence`, text: item.evidence.fileName } : null,
    recordedText: `${formatDay(item.recordedAt)} by ${names.get(item.recordedById) ?? 'a trainer'}`,
    withdrawn: item.withdrawnAt !== null,
    withdrawnText: item.withdrawnAt ? `Withdrawn ${formatDay(item.withdrawnAt)}: ${item.withdrawReason ?? ''}` : null,
  }));
}
