/**
 * The rules of triage, without I/O: which status may follow which, who may move an item, when a reason is
 * needed, and how a learner is shown to the people on the board. The service applies them with conditional
 * updates (the filter names the status the item must still have), so two people acting at once cannot both win.
 */
import type { FeedbackStatus } from './model';

/** Who is looking at a course's board. */
export type BoardRole = 'trainer' | 'co-facilitator';

/**
 * new -> planned | actioned | declined; planned -> actioned | declined | new (taken out of the plan);
 * declined -> new (reopened, while no note has answered it). Actioned is final: a change was made.
 */
const NEXT: Readonly<Record<FeedbackStatus, readonly FeedbackStatus[]>> = {
  new: ['planned', 'actioned', 'declined'],
  planned: ['actioned', 'declined', 'new'],
  actioned: [],
  declined: ['new'],
};

export const STATUS_LABELS: Readonly<Record<FeedbackStatus, string>> = {
  new: 'New',
  planned: 'Planned',
  actioned: 'Changed',
  declined: 'Not changed',
};

export function isClosed(status: FeedbackStatus): boolean {
  return status === 'actioned' || status === 'declined';
}

export function nextStatuses(from: FeedbackStatus): readonly FeedbackStatus[] {
  return NEXT[from];
}

export type TransitionRefusal = 'not-allowed' | 'not-a-trainer' | 'reason-needed' | 'answered';

/**
 * Whether `role` may move an item from `from` to `to`. Only trainers change statuses (co-facilitators comment);
 * a closed status needs a reason; an item a note has answered no longer moves.
 */
export function checkTransition(input: { role: BoardRole; from: FeedbackStatus; to: FeedbackStatus; reason: string; answered: boolean }): TransitionRefusal | null {
  if (input.role !== 'trainer') return 'not-a-trainer';
  if (input.answered) return 'answered';
  if (!NEXT[input.from].includes(input.to)) return 'not-allowed';
  if (isClosed(input.to) && input.reason.trim() === '') return 'reason-needed';
  return null;
}

/**
 * How the learner behind an item is named on the board: trainers see who it is; co-facilitators only when the
 * learner chose to be named to them.
 */
export function learnerLabel(role: BoardRole, nameToTeam: boolean, name: string | undefined): string {
  if (role === 'trainer' || nameToTeam) return name ?? 'A learner';
  return 'A learner (anonymous)';
}

/** The median of numbers (for tests and checks; the board's figure is computed by the database). */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
