/**
 * A small course for the learning tests, written as content files in a temporary folder and imported through
 * the courses feature (importCourseFromDirectory), the same way real content arrives.
 *
 *   const course = await importFixtureCourse(t.services);   // version 1, published
 *   await course.publishVersion2();                    // a changed version, published (learners part-way stay on 1)
 *
 * Lessons (module "basics"): welcome (reading only), check-lesson (a check: 3 questions, pass mark 2),
 * reflect (a required reflection). Module "many-parts": one lesson of 50 optional reading blocks.
 * Version 2 changes the welcome text, removes the last 10 reading blocks and adds a lesson "extra" with a
 * required reflection.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Services } from '../../../server/services';
import type { CheckBlock, CourseVersionContent } from '../../../server/courses/types';

export const FIXTURE_SLUG = 'learning-fixture';

/** The right answers of the fixture check (question key -> option keys), for the tests to answer with. */
export interface FixtureCourse {
  slug: string;
  courseId: string;
  content(): Promise<CourseVersionContent>;
  /** The fixture's check block, as published. */
  check(): Promise<CheckBlock>;
  checkKey: string;
  rightAnswers(): Promise<Record<string, string[]>>;
  wrongAnswers(): Promise<Record<string, string[]>>;
  reflectionKey: string;
  manyPartKeys(): Promise<string[]>;
  publishVersion2(): Promise<void>;
  /** Version 2 imported as a draft (not published); returns its number. */
  draftVersion2(): Promise<number>;
  cleanUp(): Promise<void>;
}

function courseFile(version: number, title: string): string {
  return `---
title: ${title}
summary: A small course for the learning tests.
audience: Test staff
estimatedMinutes: 20
credits:
  - name: Robin
    display: pseudonym
    contribution: co-author
    role: young autistic co-facilitator (invented sample contributor)
    sample: true
${version > 1 ? 'changes: We added a lesson on sensory breaks because learners asked for it.\n' : ''}---
A course used by the tests.
`;
}

function basicsModule(version: number): string {
  return `---
title: The basics
summary: Reading, a check and a reflection.
coProductionLevel: co-production
credits:
  - name: Sam
    display: first-name
    contribution: co-author
    role: parent carer (invented sample contributor)
    sample: true
---

## Welcome {#welcome}

${version > 1 ? 'Welcome to version two of this course.' : 'Welcome to this course.'}

## A check {#check-lesson}

Some reading before the check.

:::check{title="Check what you know" passMark=2 id=check}
? Which colour is the sky on a clear day?
- [x] Blue :: Right, it is blue.
- [ ] Green :: Not quite. Look up on a clear day.

? Which of these are fruit? {multiple}
- [x] Apple :: Yes, an apple is a fruit.
- [x] Pear :: Yes, a pear is a fruit.
- [ ] Carrot :: A carrot is a vegetable.

? How many days are in a week?
- [ ] Five :: Not quite. Five is the working week.
- [x] Seven :: Right, seven days.
:::

## Reflect {#reflect}

Think about your day.

:::reflection{id=thoughts}
What went well today?
:::
${
  version > 1
    ? `
## Extra {#extra}

A new lesson on sensory breaks.

:::reflection{id=breaks}
When do you take a break?
:::
`
    : ''
}`;
}

function manyPartsModule(version: number): string {
  const count = version > 1 ? 40 : 50;
  const parts: string[] = [];
  for (let index = 1; index <= count; index += 1) {
    parts.push(`Part ${index} of the reading.`);
    if (index < count) parts.push(`:::reflection{optional id=note-${index}}\nA note, if you like.\n:::`);
  }
  return `---
title: Many parts
summary: A lesson with many small parts.
coProductionLevel: co-design
credits:
  - name: Robin
    display: pseudonym
    contribution: co-author
    role: young autistic co-facilitator (invented sample contributor)
    sample: true
---

## Many parts {#many}

${parts.join('\n\n')}
`;
}

async function writeCourse(dir: string, version: number, title: string): Promise<void> {
  await writeFile(path.join(dir, 'course.md'), courseFile(version, title));
  await writeFile(path.join(dir, '01-basics.md'), basicsModule(version));
  await writeFile(path.join(dir, '02-many-parts.md'), manyPartsModule(version));
}

export async function importFixtureCourse(
  { courseImport, courses }: Pick<Services, 'courseImport' | 'courses'>,
  slug = FIXTURE_SLUG, title = 'Learning fixture course'): Promise<FixtureCourse> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'coproduce-learning-'));
  const dir = path.join(root, slug);
  await mkdir(dir);
  await writeCourse(dir, 1, title);
  const result = await courseImport.importCourseFromDirectory(dir);
  if (result.outcome !== 'created' || !result.courseId) {
    throw new Error(`The fixture course did not import: ${JSON.stringify(result.problems)}`);
  }
  const courseId = result.courseId;

  const content = async (): Promise<CourseVersionContent> => {
    const published = await courses.getPublishedVersion(courseId);
    if (!published) throw new Error('The fixture course is not published');
    return published;
  };
  const check = async (): Promise<CheckBlock> => {
    for (const module of (await content()).modules) {
      for (const lesson of module.lessons) {
        for (const block of lesson.blocks) if (block.kind === 'check') return block;
      }
    }
    throw new Error('The fixture course has no check');
  };

  return {
    slug,
    courseId,
    content,
    check,
    checkKey: 'basics/check-lesson/check',
    reflectionKey: 'basics/reflect/thoughts',
    async rightAnswers() {
      const block = await check();
      return Object.fromEntries(block.questions.map((question) => [question.key, question.options.filter((option) => option.correct).map((option) => option.key)]));
    },
    async wrongAnswers() {
      const block = await check();
      return Object.fromEntries(block.questions.map((question) => [question.key, [question.options.find((option) => !option.correct)?.key ?? '']]));
    },
    async manyPartKeys() {
      const lesson = (await content()).modules.find((module) => module.key === 'many-parts')?.lessons[0];
      return (lesson?.blocks ?? []).filter((block) => block.kind === 'text').map((block) => block.key);
    },
    async publishVersion2() {
      await writeCourse(dir, 2, title);
      const changed = await courseImport.importCourseFromDirectory(dir);
      // A changed course's draft is published through review (two keys, test/review/); the fixture only needs
      // version 2 to be what learners start, so it takes the last step directly.
      if (!changed.courseId || changed.version !== 2) throw new Error(`Version 2 was not saved: ${JSON.stringify(changed)}`);
      await courses.publishVersion(changed.courseId, 2);
      const course = await courses.getCourseBySlug(slug);
      if (course?.publishedVersion !== 2) throw new Error('Version 2 is not the published version');
    },
    async draftVersion2() {
      await writeCourse(dir, 2, title);
      const changed = await courseImport.importCourseFromDirectory(dir);
      const draft = await courses.getLatestDraft(courseId);
      if (!draft) throw new Error(`Version 2 did not become a draft: ${JSON.stringify(changed)}`);
      return draft.version;
    },
    async cleanUp() {
      await rm(root, { recursive: true, force: true });
    },
  };
}
