import {
  addMonthsUtc,
  combineTerms,
  courseDueStatus,
  firstDueAt,
  mayRetake,
  receivedAt,
  reminderDue,
  type AssignmentTerms,
} from './rules';

const day = (iso: string): Date => new Date(`${iso}T00:00:00.000Z`);
const at = (iso: string): Date => new Date(iso);

function terms(overrides: Partial<AssignmentTerms>): AssignmentTerms {
  return { dueRule: 'fixed', dueAt: null, dueDays: null, recertifyMonths: null, assignedAt: at('2026-03-10T15:30:00Z'), toTeam: true, ...overrides };
}

describe('addMonthsUtc', () => {
  it('keeps the day of the month, or the last day of a shorter month (as MongoDB $dateAdd does)', () => {
    expect(addMonthsUtc(day('2026-03-10'), 12)).toEqual(day('2027-03-10'));
    expect(addMonthsUtc(day('2026-01-31'), 1)).toEqual(day('2026-02-28'));
    expect(addMonthsUtc(day('2028-01-31'), 1)).toEqual(day('2028-02-29'));
    expect(addMonthsUtc(day('2026-08-31'), 18)).toEqual(day('2028-02-29'));
    expect(addMonthsUtc(at('2026-05-31T10:00:00Z'), 1)).toEqual(at('2026-06-30T10:00:00Z'));
  });
});

describe('due days', () => {
  it('a fixed due date is that day', () => {
    expect(firstDueAt(terms({ dueAt: at('2026-04-01T18:00:00Z') }), null)).toEqual(day('2026-04-01'));
  });

  it('"after being assigned" counts from the assignment, or from joining the team when that was later', () => {
    const rule = terms({ dueRule: 'after-assigned', dueDays: 30 });
    expect(firstDueAt(rule, at('2025-01-01T09:00:00Z'))).toEqual(day('2026-04-09'));
    expect(receivedAt(rule, at('2026-05-02T09:00:00Z'))).toEqual(at('2026-05-02T09:00:00Z'));
    expect(firstDueAt(rule, at('2026-05-02T09:00:00Z'))).toEqual(day('2026-06-01'));
    // A member whose joining date is unknown counts from the assignment.
    expect(firstDueAt(rule, null)).toEqual(day('2026-04-09'));
    // A person (not a team) counts from the assignment.
    expect(firstDueAt({ ...rule, toTeam: false }, at('2026-05-02T09:00:00Z'))).toEqual(day('2026-04-09'));
  });

  it('"after joining the team" counts from joining, even long before the assignment', () => {
    const rule = terms({ dueRule: 'after-joined', dueDays: 14 });
    expect(firstDueAt(rule, at('2025-01-01T09:00:00Z'))).toEqual(day('2025-01-15'));
    expect(firstDueAt(rule, at('2026-05-02T23:59:00Z'))).toEqual(day('2026-05-16'));
  });

  it('several assignments of one course: the earliest due day and the shortest recertification govern', () => {
    const combined = combineTerms([
      { assignmentId: 'a', firstDueAt: day('2026-05-01'), recertifyMonths: 12 },
      { assignmentId: 'b', firstDueAt: day('2026-04-01'), recertifyMonths: null },
      { assignmentId: 'c', firstDueAt: day('2026-06-01'), recertifyMonths: 6 },
    ]);
    expect(combined).toEqual({ assignmentId: 'b', firstDueAt: day('2026-04-01'), recertifyMonths: 6 });
    expect(combineTerms([])).toBeNull();
  });
});

describe('courseDueStatus', () => {
  const due = { firstDueAt: day('2026-04-10'), recertifyMonths: null };

  it('is not started or in progress until the due day has passed, then overdue', () => {
    expect(courseDueStatus(due, { lastCompletedAt: null, inProgress: false }, at('2026-04-10T23:00:00Z'))).toMatchObject({ state: 'not-started', pastDue: false });
    expect(courseDueStatus(due, { lastCompletedAt: null, inProgress: true }, at('2026-04-01T00:00:00Z'))).toMatchObject({ state: 'in-progress' });
    expect(courseDueStatus(due, { lastCompletedAt: null, inProgress: true }, at('2026-04-11T00:00:00Z'))).toMatchObject({ state: 'overdue', pastDue: true });
  });

  it('a completion without recertification is done for good, even a late one', () => {
    expect(courseDueStatus(due, { lastCompletedAt: at('2026-05-01T10:00:00Z'), inProgress: false }, at('2030-01-01T00:00:00Z'))).toEqual({
      state: 'completed',
      dueAt: null,
      expiresAt: null,
      pastDue: false,
    });
  });

  it('with recertification, a completion expires after the months given and the course is due again', () => {
    const recert = { firstDueAt: day('2026-04-10'), recertifyMonths: 12 };
    const facts = { lastCompletedAt: at('2026-04-05T10:00:00Z'), inProgress: false };
    expect(courseDueStatus(recert, facts, at('2027-04-04T23:00:00Z'))).toEqual({ state: 'completed', dueAt: day('2027-04-05'), expiresAt: day('2027-04-05'), pastDue: false });
    expect(courseDueStatus(recert, facts, at('2027-04-05T00:00:00Z'))).toEqual({ state: 'expired', dueAt: day('2027-04-05'), expiresAt: day('2027-04-05'), pastDue: false });
    expect(courseDueStatus(recert, facts, at('2027-04-06T00:00:00Z'))).toMatchObject({ state: 'expired', pastDue: true });
  });

  it('an old completion under a new assignment is expired but due on the new due day', () => {
    const recert = { firstDueAt: day('2026-04-10'), recertifyMonths: 12 };
    const status = courseDueStatus(recert, { lastCompletedAt: at('2020-01-01T00:00:00Z'), inProgress: false }, at('2026-03-20T00:00:00Z'));
    expect(status).toEqual({ state: 'expired', dueAt: day('2026-04-10'), expiresAt: day('2021-01-01'), pastDue: false });
    expect(mayRetake(status, at('2026-03-20T00:00:00Z'))).toBe(true);
  });
});

describe('reminderDue', () => {
  const open = (now: string) => courseDueStatus({ firstDueAt: day('2026-04-10'), recertifyMonths: null }, { lastCompletedAt: null, inProgress: false }, at(now));

  it('sends "before" in the week before, "on" on the day and "overdue" after, one kind at a time', () => {
    expect(reminderDue(open('2026-04-02T12:00:00Z'), at('2026-04-02T12:00:00Z'))).toBeNull();
    expect(reminderDue(open('2026-04-03T00:00:00Z'), at('2026-04-03T00:00:00Z'))).toBe('before');
    expect(reminderDue(open('2026-04-10T08:00:00Z'), at('2026-04-10T08:00:00Z'))).toBe('on');
    expect(reminderDue(open('2026-04-11T08:00:00Z'), at('2026-04-11T08:00:00Z'))).toBe('overdue');
  });

  it('sends nothing for a completed course, except before a completion expires', () => {
    const done = { lastCompletedAt: at('2026-04-05T10:00:00Z'), inProgress: false };
    const plain = courseDueStatus({ firstDueAt: day('2026-04-10'), recertifyMonths: null }, done, at('2026-04-11T00:00:00Z'));
    expect(reminderDue(plain, at('2026-04-11T00:00:00Z'))).toBeNull();
    const recert = courseDueStatus({ firstDueAt: day('2026-04-10'), recertifyMonths: 1 }, done, at('2026-04-30T00:00:00Z'));
    expect(reminderDue(recert, at('2026-04-30T00:00:00Z'))).toBe('before');
    expect(mayRetake(recert, at('2026-04-30T00:00:00Z'))).toBe(true);
    const later = courseDueStatus({ firstDueAt: day('2026-04-10'), recertifyMonths: 3 }, done, at('2026-04-06T00:00:00Z'));
    expect(mayRetake(later, at('2026-04-06T00:00:00Z'))).toBe(false);
    expect(mayRetake(later, at('2026-06-05T00:00:00Z'))).toBe(true);
  });
});
