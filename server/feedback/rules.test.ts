import { checkTransition, learnerLabel, median, nextStatuses } from './rules';

describe('triage rules', () => {
  it('lets only trainers move feedback', () => {
    expect(checkTransition({ role: 'co-facilitator', from: 'new', to: 'planned', reason: '', answered: false })).toBe('not-a-trainer');
    expect(checkTransition({ role: 'trainer', from: 'new', to: 'planned', reason: '', answered: false })).toBeNull();
  });

  it('needs a reason to close an item, and never reopens a change that was made', () => {
    expect(checkTransition({ role: 'trainer', from: 'new', to: 'declined', reason: '  ', answered: false })).toBe('reason-needed');
    expect(checkTransition({ role: 'trainer', from: 'planned', to: 'actioned', reason: 'Rewritten', answered: false })).toBeNull();
    expect(nextStatuses('actioned')).toEqual([]);
    expect(checkTransition({ role: 'trainer', from: 'actioned', to: 'new', reason: '', answered: false })).toBe('not-allowed');
    expect(checkTransition({ role: 'trainer', from: 'declined', to: 'actioned', reason: 'x', answered: false })).toBe('not-allowed');
    expect(checkTransition({ role: 'trainer', from: 'declined', to: 'new', reason: '', answered: false })).toBeNull();
  });

  it('keeps the decision of feedback a note has answered', () => {
    expect(checkTransition({ role: 'trainer', from: 'declined', to: 'new', reason: '', answered: true })).toBe('answered');
  });
});

describe('naming learners on the board', () => {
  it('names them to trainers, and to co-facilitators only when they chose it', () => {
    expect(learnerLabel('trainer', false, 'Ana')).toBe('Ana');
    expect(learnerLabel('co-facilitator', false, 'Ana')).toBe('A learner (anonymous)');
    expect(learnerLabel('co-facilitator', true, 'Ana')).toBe('Ana');
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    expect(median([])).toBeNull();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
