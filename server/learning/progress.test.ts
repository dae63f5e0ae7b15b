import type { Block, CheckBlock, CourseVersionContent } from '../courses/types';
import { compareVersions } from '../courses/changes';
import { isCourseComplete, isLessonDone, lessonState, lessonsInOrder, progressOf, resumeLesson } from './progress';

function text(key: string, required = true): Block {
  return { key, kind: 'text', required, html: `<p>${key}</p>` };
}
function check(key: string, required = true): CheckBlock {
  return {
    key,
    kind: 'check',
    required,
    title: 'Check',
    passMark: 1,
    questions: [{ key: 'q', prompt: 'Q?', multiple: false, options: [{ key: 'a', text: 'A', correct: true, feedback: 'Yes' }] }],
  };
}
function reflection(key: string, required = true): Block {
  return { key, kind: 'reflection', required, promptHtml: '<p>Think</p>' };
}

function course(): CourseVersionContent {
  return {
    title: 'Course',
    summary: 'Summary',
    audience: 'Staff',
    estimatedMinutes: 30,
    credits: [],
    modules: [
      {
        key: 'm1',
        title: 'Module 1',
        summary: '',
        coProductionLevel: 'co-production',
        credits: [],
        lessons: [
          { key: 'm1-l1', title: 'One', blocks: [text('m1/l1/a'), text('m1/l1/b', false)] },
          { key: 'm1-l2', title: 'Two', blocks: [check('m1/l2/check', false), reflection('m1/l2/reflect')] },
        ],
      },
      {
        key: 'm2',
        title: 'Module 2',
        summary: '',
        coProductionLevel: 'co-design',
        credits: [],
        lessons: [{ key: 'm2-l1', title: 'Three', blocks: [text('m2/l1/a'), reflection('m2/l1/optional', false)] }],
      },
    ],
  };
}

describe('course completion', () => {
  it('needs every required block and every check, even an optional one', () => {
    const content = course();
    const done = new Set(['m1/l1/a', 'm1/l2/reflect', 'm2/l1/a']);
    expect(isCourseComplete(content, done)).toBe(false);
    done.add('m1/l2/check');
    expect(isCourseComplete(content, done)).toBe(true);
  });

  it('does not need optional reading or optional reflections', () => {
    const done = new Set(['m1/l1/a', 'm1/l2/check', 'm1/l2/reflect', 'm2/l1/a']);
    expect(isCourseComplete(course(), done)).toBe(true);
  });
});

describe('lesson progress', () => {
  it('counts a lesson done when its required parts and checks are done', () => {
    const content = course();
    expect(isLessonDone(content.modules[0]!.lessons[0]!, new Set(['m1/l1/b']))).toBe(false);
    expect(isLessonDone(content.modules[0]!.lessons[0]!, new Set(['m1/l1/a']))).toBe(true);
    expect(isLessonDone(content.modules[0]!.lessons[1]!, new Set(['m1/l2/reflect']))).toBe(false);
    expect(isLessonDone(content.modules[0]!.lessons[1]!, new Set(['m1/l2/reflect', 'm1/l2/check']))).toBe(true);
  });

  it('counts a lesson of optional reading done once it is marked as done', () => {
    const lesson = { key: 'l', title: 'Reading', blocks: [text('r/1', false), text('r/2', false)] };
    expect(isLessonDone(lesson, new Set(['r/1']))).toBe(false);
    expect(isLessonDone(lesson, new Set(['r/1', 'r/2']))).toBe(true);
  });

  it('reports lessons done as a percentage', () => {
    const progress = progressOf(course(), new Set(['m1/l1/a']));
    expect(progress).toEqual({ lessonsDone: 1, lessonCount: 3, percent: 33 });
  });

  it('marks the current lesson apart from done and to do', () => {
    const [first, second, third] = lessonsInOrder(course());
    const done = new Set(['m1/l1/a']);
    expect(lessonState(first!, done, 'm1/m1-l2')).toBe('done');
    expect(lessonState(second!, done, 'm1/m1-l2')).toBe('current');
    expect(lessonState(third!, done, 'm1/m1-l2')).toBe('to-do');
  });
});

describe('resume', () => {
  it('returns to the last lesson while it is not done', () => {
    expect(resumeLesson(course(), new Set(), 'm1/m1-l2')?.id).toBe('m1/m1-l2');
  });
  it('moves on to the next lesson not done once the last one is done', () => {
    const done = new Set(['m1/l1/a']);
    expect(resumeLesson(course(), done, 'm1/m1-l1')?.id).toBe('m1/m1-l2');
  });
  it('starts at the first lesson without a last position', () => {
    expect(resumeLesson(course(), new Set())?.id).toBe('m1/m1-l1');
  });
});

describe('compareVersions (the one version difference) by block key', () => {
  it('names added, removed, changed and kept blocks by key', () => {
    const before = course();
    const after = course();
    const lesson = after.modules[0]!.lessons[0]!;
    lesson.blocks = [text('m1/l1/a'), { key: 'm1/l1/b', kind: 'text', required: false, html: '<p>Rewritten</p>' }, text('m1/l1/new')];
    after.modules[1]!.lessons[0]!.blocks = [text('m2/l1/a')];
    const changes = compareVersions(before, after).blocks;
    expect(changes.added).toEqual(['m1/l1/new']);
    expect(changes.removed).toEqual(['m2/l1/optional']);
    expect(changes.changed).toEqual(['m1/l1/b']);
    expect(changes.kept).toEqual(['m1/l1/a', 'm1/l2/check', 'm1/l2/reflect', 'm2/l1/a']);
  });
});
