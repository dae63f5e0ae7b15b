/**
 * Knowledge-check scoring: pure rules, no database. The answer key lives only here on the server;
 * `checkForLearner` is the only shape of a check that may be sent to a browser before it is answered.
 */
import type { CheckBlock } from '../courses/types';
import { orderOptions } from './order';

/** The learner's answers: question key -> the option keys they chose. */
export type CheckAnswers = Record<string, string[]>;

export interface OptionFeedback {
  optionKey: string;
  text: string;
  /** Feedback for an option the learner chose. */
  feedback: string;
}

export interface QuestionResult {
  questionKey: string;
  /** Fully right: exactly the right options chosen, no more and no fewer. */
  right: boolean;
  answered: boolean;
  chosen: OptionFeedback[];
}

export interface CheckResult {
  score: number;
  total: number;
  passMark: number;
  passed: boolean;
  questions: QuestionResult[];
}

/** What a learner may see of a check before answering: no `correct` flags, no feedback. */
export interface CheckForLearner {
  key: string;
  title: string;
  passMark: number;
  questionCount: number;
  questions: { key: string; prompt: string; multiple: boolean; options: { key: string; text: string }[] }[];
}

/** The check as one attempt shows it: options in the order of that attempt's seed (`null`: as authored). */
export function checkForLearner(block: CheckBlock, seed: number | null = null): CheckForLearner {
  return {
    key: block.key,
    title: block.title,
    passMark: block.passMark,
    questionCount: block.questions.length,
    questions: block.questions.map((question) => ({
      key: question.key,
      prompt: question.prompt,
      multiple: question.multiple,
      options: orderOptions(question.options, question.key, seed).map((option) => ({ key: option.key, text: option.text })),
    })),
  };
}

export function scoreCheck(block: CheckBlock, answers: CheckAnswers): CheckResult {
  const questions = block.questions.map((question): QuestionResult => {
    const chosenKeys = new Set(answers[question.key] ?? []);
    const known = question.options.filter((option) => chosenKeys.has(option.key));
    const rightKeys = question.options.filter((option) => option.correct).map((option) => option.key);
    // An unknown option key or a second choice on a single-choice question is never right.
    const onlyKnown = known.length === chosenKeys.size;
    const allowedCount = question.multiple || chosenKeys.size <= 1;
    const exact = known.length === rightKeys.length && rightKeys.every((key) => chosenKeys.has(key));
    return {
      questionKey: question.key,
      right: onlyKnown && allowedCount && exact,
      answered: chosenKeys.size > 0,
      chosen: known.map((option) => ({ optionKey: option.key, text: option.text, feedback: option.feedback })),
    };
  });
  const score = questions.filter((question) => question.right).length;
  return { score, total: questions.length, passMark: block.passMark, passed: score >= block.passMark, questions };
}
