/**
 * The shipped courses' knowledge checks must test understanding, not test-taking: the right answer of a
 * choose-one question must not be given away by being the longest option. Reads every question of every
 * course under content/courses.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { formatProblem, parseCourseDirectory } from '../../server/courses/parse';
import type { CheckBlock, CheckQuestion } from '../../server/courses/types';

const coursesDir = path.resolve(__dirname, '..', '..', 'content', 'courses');
const MOST_OFTEN_LONGEST = 0.4;
/** The opposite giveaway: a right answer that is nearly always the shortest teaches learners to pick the shortest. */
const MOST_OFTEN_SHORTEST = 0.5;

async function shippedQuestions(): Promise<{ course: string; question: CheckQuestion }[]> {
  const found: { course: string; question: CheckQuestion }[] = [];
  for (const entry of await readdir(coursesDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const parsed = await parseCourseDirectory(path.join(coursesDir, entry.name));
    expect(parsed.problems.map(formatProblem)).toEqual([]);
    const checks = parsed.content.modules.flatMap((m) => m.lessons.flatMap((l) => l.blocks)).filter((b): b is CheckBlock => b.kind === 'check');
    for (const check of checks) for (const question of check.questions) found.push({ course: entry.name, question });
  }
  return found;
}

/** The right option is at least as long as every other option. */
function rightIsLongest(question: CheckQuestion): boolean {
  const right = question.options.find((option) => option.correct);
  if (!right) return false;
  return question.options.every((option) => option === right || option.text.length <= right.text.length);
}

/** The right option is at most as long as every other option. */
function rightIsShortest(question: CheckQuestion): boolean {
  const right = question.options.find((option) => option.correct);
  if (!right) return false;
  return question.options.every((option) => option === right || option.text.length >= right.text.length);
}

test('the right answer is the longest option in at most 40% of the choose-one questions', async () => {
  const single = (await shippedQuestions()).filter(({ question }) => !question.multiple);
  expect(single.length).toBeGreaterThanOrEqual(15);
  const longest = single.filter(({ question }) => rightIsLongest(question));
  const share = longest.length / single.length;
  if (share > MOST_OFTEN_LONGEST) {
    throw new Error(
      `The right answer is the longest option in ${longest.length} of ${single.length} choose-one questions (over 40%):\n` +
        longest.map(({ course, question }) => `  ${course}: ${question.prompt}`).join('\n'),
    );
  }
});

test('the right answer is not usually the shortest option either (at most half of the choose-one questions)', async () => {
  const single = (await shippedQuestions()).filter(({ question }) => !question.multiple);
  const shortest = single.filter(({ question }) => rightIsShortest(question));
  expect(shortest.length / single.length).toBeLessThanOrEqual(MOST_OFTEN_SHORTEST);
});

test('the measure counts a right answer tied for longest as longest, and a shorter one as not', () => {
  const option = (text: string, correct: boolean) => ({ key: text, text, correct, feedback: 'Feedback here.' });
  expect(rightIsLongest({ key: 'q', prompt: 'p', multiple: false, options: [option('Long answer', true), option('Short', false)] })).toBe(true);
  expect(rightIsLongest({ key: 'q', prompt: 'p', multiple: false, options: [option('Same', true), option('Also', false)] })).toBe(true);
  expect(rightIsLongest({ key: 'q', prompt: 'p', multiple: false, options: [option('Short', true), option('Much longer', false)] })).toBe(false);
});

test('the feedback of every wrong option starts with a clear "No." and a reason, never "Not quite"', async () => {
  const softened = (await shippedQuestions()).flatMap(({ course, question }) =>
    question.options
      .filter((option) => !option.correct && !/^No\. \S/.test(option.feedback))
      .map((option) => `  ${course}: ${question.prompt} -> ${option.text}: ${option.feedback}`),
  );
  expect(softened).toEqual([]);
});
