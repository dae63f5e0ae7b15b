import type { CheckBlock } from '../courses/types';
import { checkForLearner, scoreCheck } from './scoring';

const check: CheckBlock = {
  key: 'm1/l1/check',
  kind: 'check',
  required: true,
  title: 'Check your understanding',
  passMark: 2,
  questions: [
    {
      key: 'q1',
      prompt: 'What goes on a one-page profile?',
      multiple: false,
      options: [
        { key: 'a', text: 'What the child loves doing', correct: true, feedback: 'Yes.' },
        { key: 'b', text: 'A list of diagnoses', correct: false, feedback: 'Not quite.' },
      ],
    },
    {
      key: 'q2',
      prompt: 'Which are ways to communicate?',
      multiple: true,
      options: [
        { key: 'a', text: 'Words', correct: true, feedback: 'Yes, words.' },
        { key: 'b', text: 'Signs', correct: true, feedback: 'Yes, signs.' },
        { key: 'c', text: 'Nothing', correct: false, feedback: 'Behaviour is communication too.' },
      ],
    },
    {
      key: 'q3',
      prompt: 'Who writes the profile?',
      multiple: false,
      options: [
        { key: 'a', text: 'The child and family, with staff', correct: true, feedback: 'Yes.' },
        { key: 'b', text: 'Staff alone', correct: false, feedback: 'The child and family come first.' },
      ],
    },
  ],
};

describe('scoreCheck', () => {
  it('passes when enough questions are fully right', () => {
    const result = scoreCheck(check, { q1: ['a'], q2: ['a', 'b'], q3: ['b'] });
    expect(result.score).toBe(2);
    expect(result.total).toBe(3);
    expect(result.passed).toBe(true);
    expect(result.questions.map((question) => question.right)).toEqual([true, true, false]);
  });

  it('fails below the pass mark', () => {
    const result = scoreCheck(check, { q1: ['b'], q2: ['a'], q3: ['a'] });
    expect(result.score).toBe(1);
    expect(result.passed).toBe(false);
  });

  it('counts a multiple-choice question right only with exactly the right options', () => {
    expect(scoreCheck(check, { q2: ['a'] }).questions[1]?.right).toBe(false);
    expect(scoreCheck(check, { q2: ['a', 'b', 'c'] }).questions[1]?.right).toBe(false);
    expect(scoreCheck(check, { q2: ['b', 'a'] }).questions[1]?.right).toBe(true);
  });

  it('never counts two choices on a single-choice question or unknown options as right', () => {
    expect(scoreCheck(check, { q1: ['a', 'b'] }).questions[0]?.right).toBe(false);
    expect(scoreCheck(check, { q1: ['a', 'zzz'] }).questions[0]?.right).toBe(false);
  });

  it('gives the feedback of each chosen option', () => {
    const result = scoreCheck(check, { q2: ['a', 'c'] });
    expect(result.questions[1]?.chosen.map((option) => option.feedback)).toEqual([
      'Yes, words.',
      'Behaviour is communication too.',
    ]);
    expect(result.questions[0]?.answered).toBe(false);
  });
});

describe('checkForLearner', () => {
  it('leaves out the answer key and the feedback', () => {
    const shown = JSON.stringify(checkForLearner(check));
    expect(shown).not.toContain('correct');
    expect(shown).not.toContain('feedback');
    expect(shown).not.toContain('Behaviour is communication too.');
    expect(shown).toContain('Which are ways to communicate?');
  });
});
