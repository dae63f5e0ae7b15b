/**
 * A lesson's address decides what can be changed through it: a block, check or reflection is found only in the
 * lesson the path names, and an address that fits no lesson is a 404 (not a 422, which is for forms).
 */
import { Types } from 'mongoose';
import { Enrolment } from '../../server/learning/model';
import { startTestApp, type TestAgent, type TestApp } from '../support/app';
import { importFixtureCourse, type FixtureCourse } from './support/fixture-course';

let t: TestApp;
let course: FixtureCourse;

beforeAll(async () => {
  t = await startTestApp();
  course = await importFixtureCourse(t.services);
});

afterAll(async () => {
  await course?.cleanUp();
  await t?.stop();
});

async function startedLearner(): Promise<{ agent: TestAgent; id: string; token: string }> {
  const { agent, user } = await t.signedInAgent({ roles: ['learner'] });
  const token = await t.csrfToken(agent, '/dashboard');
  expect((await agent.post(`/courses/${course.slug}/start`).type('form').send({ _csrf: token })).status).toBe(303);
  return { agent, id: user.id, token };
}

async function doneBlocks(learnerId: string): Promise<string[]> {
  const enrolment = await Enrolment.findOne({ learner: new Types.ObjectId(learnerId) }, { blocks: 1 }).lean<{ blocks?: Record<string, Date> }>();
  return Object.keys(enrolment?.blocks ?? {});
}

describe('what a lesson address can change', () => {
  it('marks a block done only through the lesson that holds it', async () => {
    const learner = await startedLearner();
    const [block] = await course.manyPartKeys();
    if (!block) throw new Error('the fixture has reading blocks');
    const elsewhere = await learner.agent
      .post(`/learn/${course.slug}/basics/welcome/blocks/done`)
      .type('form')
      .send({ _csrf: learner.token, block });
    expect(elsewhere.status).toBe(404);
    expect(await doneBlocks(learner.id)).toEqual([]);

    const home = await learner.agent.post(`/learn/${course.slug}/many-parts/many/blocks/done`).type('form').send({ _csrf: learner.token, block });
    expect(home.status).toBe(303);
    expect(await doneBlocks(learner.id)).toEqual([block]);
  });

  it('takes a check’s answers and a reflection only through their own lessons', async () => {
    const learner = await startedLearner();
    const answers = Object.fromEntries(Object.entries(await course.rightAnswers()).map(([question, options]) => [`q:${question}`, options]));
    const check = await learner.agent
      .post(`/learn/${course.slug}/basics/welcome/check`)
      .type('form')
      .send({ _csrf: learner.token, block: course.checkKey, ...answers });
    expect(check.status).toBe(404);
    const reflection = await learner.agent
      .post(`/learn/${course.slug}/basics/check-lesson/reflection`)
      .type('form')
      .send({ _csrf: learner.token, block: course.reflectionKey, reflection: 'In the wrong place' });
    expect(reflection.status).toBe(404);
    expect(await doneBlocks(learner.id)).toEqual([]);
  });

  it('answers 404 for a lesson, module or course key that fits no address', async () => {
    const learner = await startedLearner();
    const long = 'x'.repeat(201);
    for (const path of [
      `/learn/${course.slug}/basics/${long}`,
      `/learn/${course.slug}/${long}/welcome`,
      `/learn/${long}/basics/welcome`,
      `/learn/${course.slug}/basics/no-such-lesson`,
      `/courses/${long}`,
    ]) {
      const response = await learner.agent.get(path);
      expect([path, response.status]).toEqual([path, 404]);
    }
    const post = await learner.agent.post(`/learn/${course.slug}/basics/${long}/blocks/done`).type('form').send({ _csrf: learner.token, block: 'x' });
    expect(post.status).toBe(404);
  });
});
