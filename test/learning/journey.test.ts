/**
 * The learner's journey through the app (supertest on the in-memory engine): enrolment, progress under
 * concurrency, checks scored on the server with the answer key kept out of the page, reflections and who may
 * read them, completion and the certificate, public verification, version pinning, and cross-learner access.
 */
import { Types } from 'mongoose';
import { Certificate } from '../../server/certificates/model';
import { orderOptions } from '../../server/assessment/order';
import { Enrolment } from '../../server/learning/model';
import { startTestApp, type TestAgent, type TestApp, type TestUser } from '../support/app';
import { importFixtureCourse, type FixtureCourse } from './support/fixture-course';
import { pdfText } from './support/pdf-text';

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

interface Learner {
  agent: TestAgent;
  user: TestUser;
  token: string;
}

async function newLearner(name?: string): Promise<Learner> {
  const { agent, user } = await t.signedInAgent({ roles: ['learner'], ...(name ? { name } : {}) });
  return { agent, user, token: await t.csrfToken(agent, '/dashboard') };
}

function lesson(moduleKey: string, lessonKey: string): string {
  return `/learn/${course.slug}/${moduleKey}/${lessonKey}`;
}

async function post(learner: Learner, path: string, fields: Record<string, string | string[]> = {}) {
  return learner.agent.post(path).type('form').send({ _csrf: learner.token, ...fields });
}

async function start(learner: Learner) {
  const response = await post(learner, `/courses/${course.slug}/start`);
  expect(response.status).toBe(303);
  return response;
}

function answerFields(answers: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(answers).map(([question, options]) => [`q:${question}`, options]));
}

async function passCheck(learner: Learner) {
  return post(learner, `${lesson('basics', 'check-lesson')}/check`, { block: course.checkKey, ...answerFields(await course.rightAnswers()) });
}

async function writeReflection(learner: Learner, text: string) {
  return post(learner, `${lesson('basics', 'reflect')}/reflection`, { block: course.reflectionKey, reflection: text });
}

async function enrolmentOf(learner: Learner) {
  return Enrolment.findOne({ learner: new Types.ObjectId(learner.user.id) }).lean();
}

describe('catalogue and enrolment', () => {
  it('lists the published course and shows its overview with credits as chosen', async () => {
    const learner = await newLearner();
    const catalogue = await learner.agent.get('/courses');
    expect(catalogue.status).toBe(200);
    expect(catalogue.text).toContain('Learning fixture course');
    const overview = await learner.agent.get(`/courses/${course.slug}`);
    expect(overview.text).toContain('Robin');
    expect(overview.text).toContain('young autistic co-facilitator');
    expect(overview.text).toContain('Start the course');
  });

  it('refuses a second enrolment for the same course, even when both arrive at once', async () => {
    const learner = await newLearner();
    const [first, second] = await Promise.all([start(learner), start(learner)]);
    expect(first.headers.location).toBe(lesson('basics', 'welcome'));
    expect(second.headers.location).toBe(lesson('basics', 'welcome'));
    expect(await Enrolment.countDocuments({ learner: new Types.ObjectId(learner.user.id) })).toBe(1);
    await expect(
      Enrolment.create({ learner: new Types.ObjectId(learner.user.id), course: new Types.ObjectId(course.courseId), courseSlug: course.slug, version: 1, startedAt: new Date() }),
    ).rejects.toMatchObject({ code: 11000 });
  });

  it('sends a learner who has not started from a lesson to the course page', async () => {
    const learner = await newLearner();
    const response = await learner.agent.get(lesson('basics', 'welcome'));
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe(`/courses/${course.slug}`);
  });
});

describe('progress', () => {
  it('keeps all 50 completions of different blocks fired at the same time', async () => {
    const learner = await newLearner();
    await start(learner);
    const keys = await course.manyPartKeys();
    expect(keys).toHaveLength(50);
    const responses = await Promise.all(keys.map((block) => post(learner, `${lesson('many-parts', 'many')}/blocks/done`, { block })));
    expect(responses.map((response) => response.status)).toEqual(keys.map(() => 303));
    const enrolment = await enrolmentOf(learner);
    expect(Object.keys(enrolment?.blocks ?? {}).sort()).toEqual([...keys].sort());
    const page = await learner.agent.get(lesson('many-parts', 'many'));
    expect(page.text).toContain('You have marked this lesson as done.');
  });

  it('marks a lesson as done and goes on to the next lesson', async () => {
    const learner = await newLearner();
    await start(learner);
    // Seen before and after: the page never shows the state from before the change.
    expect((await learner.agent.get(lesson('basics', 'welcome'))).text).toContain('Mark as done and go to the next lesson');
    const response = await post(learner, `${lesson('basics', 'welcome')}/done`);
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe(lesson('basics', 'check-lesson'));
    const page = await learner.agent.get(lesson('basics', 'welcome'));
    expect(page.text).toContain('You have marked this lesson as done.');
  });

  it('resumes at the last lesson the learner was on', async () => {
    const learner = await newLearner();
    await start(learner);
    await learner.agent.get(lesson('basics', 'reflect')).expect(200);
    const response = await learner.agent.get(`/courses/${course.slug}/continue`);
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe(lesson('basics', 'reflect'));
  });
});

describe('knowledge checks', () => {
  it('keeps the answer key and the feedback out of the page before answering', async () => {
    const learner = await newLearner();
    await start(learner);
    const page = await learner.agent.get(lesson('basics', 'check-lesson'));
    expect(page.status).toBe(200);
    expect(page.text).toContain('Which colour is the sky on a clear day?');
    expect(page.text).not.toMatch(/correct/i);
    expect(page.text).not.toContain('Right, it is blue.');
    expect(page.text).not.toContain('Not quite. Look up on a clear day.');
  });

  it('scores on the server, shows feedback per answer, allows a retry and records every attempt', async () => {
    const learner = await newLearner();
    await start(learner);
    const wrong = await post(learner, `${lesson('basics', 'check-lesson')}/check`, { block: course.checkKey, ...answerFields(await course.wrongAnswers()) });
    expect(wrong.status).toBe(303);
    const result = await learner.agent.get(wrong.headers.location as string);
    expect(result.text).toContain('You got 0 of 3 right.');
    expect(result.text).toContain('You need 2 right to pass.');
    expect(result.text).toContain('Not quite. Look up on a clear day.');
    expect(result.text).toContain('Check my answers again');

    const right = await passCheck(learner);
    const passed = await learner.agent.get(right.headers.location as string);
    expect(passed.text).toContain('You got 3 of 3 right.');
    expect(passed.text).toContain('You passed this check.');
    expect(passed.text).toContain('Right, it is blue.');

    const enrolment = await enrolmentOf(learner);
    expect(enrolment?.attempts.map((attempt) => [attempt.score, attempt.passed])).toEqual([
      [0, false],
      [3, true],
    ]);
  });

  it('shows the options in an order shuffled per attempt and kept with it, so a reload, a result and a retry agree', async () => {
    const learner = await newLearner();
    await start(learner);
    const block = await course.check();
    const shownOrder = (html: string): Record<string, string[]> =>
      Object.fromEntries(
        block.questions.map((question) => [
          question.key,
          [...html.matchAll(new RegExp(`name="q:${question.key}" value="([^"]+)"`, 'g'))].map((match) => match[1] ?? ''),
        ]),
      );
    const orderOf = (seed: number) => Object.fromEntries(block.questions.map((q) => [q.key, orderOptions(q.options, q.key, seed).map((o) => o.key)]));

    const first = shownOrder((await learner.agent.get(lesson('basics', 'check-lesson'))).text);
    expect(shownOrder((await learner.agent.get(lesson('basics', 'check-lesson'))).text)).toEqual(first);

    // Every option of q2 chosen: the result lists the learner's choices in the order the attempt showed them.
    const answers = { ...(await course.wrongAnswers()), q2: block.questions[1]?.options.map((o) => o.key) ?? [] };
    const response = await post(learner, `${lesson('basics', 'check-lesson')}/check`, { block: course.checkKey, ...answerFields(answers) });
    const enrolment = await enrolmentOf(learner);
    const attemptSeed = enrolment?.attempts[0]?.seed as number;
    expect(orderOf(attemptSeed)).toEqual(first);
    const result = (await learner.agent.get(response.headers.location as string)).text;
    const feedbackOrder = [...result.matchAll(/You chose: (Apple|Pear|Carrot)\./g)].map((match) => match[1]?.toLowerCase());
    const q2Texts = Object.fromEntries((block.questions[1]?.options ?? []).map((o) => [o.key, o.text.toLowerCase()]));
    expect(feedbackOrder).toEqual(first.q2?.map((key) => q2Texts[key]));

    // The retry is a new attempt with a new order, kept on the server: the result page and a reload show it alike.
    const stored = (enrolment?.checkOrders as unknown as Record<string, number> | undefined)?.[course.checkKey];
    expect(typeof stored).toBe('number');
    expect(stored).not.toBe(attemptSeed);
    expect(shownOrder(result)).toEqual(orderOf(stored as number));
    expect(shownOrder((await learner.agent.get(lesson('basics', 'check-lesson'))).text)).toEqual(orderOf(stored as number));
  });

  it('counts a multiple-choice question right only with every right option', async () => {
    const learner = await newLearner();
    await start(learner);
    const answers = await course.rightAnswers();
    const response = await post(learner, `${lesson('basics', 'check-lesson')}/check`, {
      block: course.checkKey,
      ...answerFields({ ...answers, q2: [answers.q2?.[0] ?? ''] }),
    });
    const page = await learner.agent.get(response.headers.location as string);
    expect(page.text).toContain('You got 2 of 3 right.');
    expect(page.text).toContain('You passed this check.');
  });

  it('asks again, keeping the choices, when a question is left unanswered', async () => {
    const learner = await newLearner();
    await start(learner);
    const answers = await course.rightAnswers();
    const response = await post(learner, `${lesson('basics', 'check-lesson')}/check`, { block: course.checkKey, 'q:q1': answers.q1 ?? [] });
    expect(response.status).toBe(422);
    expect(response.text).toContain('Choose an answer to this question');
    expect(response.text).toContain('There is a problem');
    expect(response.text).toMatch(new RegExp(`value="${answers.q1?.[0]}" checked`));
    expect((await enrolmentOf(learner))?.attempts).toHaveLength(0);
  });
});

describe('completion and certificates', () => {
  it('finishes the course once every check is passed and every required part done, and issues one certificate', async () => {
    const learner = await newLearner('Alex Certificate');
    await start(learner);
    await passCheck(learner);
    let dashboard = await learner.agent.get('/dashboard');
    expect(dashboard.text).toContain('In progress');
    expect(dashboard.text).not.toContain('Download your certificate');

    const saved = await writeReflection(learner, 'Today I listened more than I talked.');
    expect(saved.status).toBe(303);
    const enrolment = await enrolmentOf(learner);
    expect(enrolment?.completedAt).toBeInstanceOf(Date);
    expect(enrolment?.certificateNumber).toMatch(/^C-\d{4}-/);

    dashboard = await learner.agent.get('/dashboard');
    expect(dashboard.text).toContain('Finished');
    const link = /href="(\/certificates\/[^"]+\.pdf)"/.exec(dashboard.text)?.[1];
    expect(link).toBe(`/certificates/${enrolment?.certificateNumber}.pdf`);

    const pdf = await learner.agent.get(link as string).buffer(true).parse((response, callback) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => callback(null, Buffer.concat(chunks)));
    });
    expect(pdf.status).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const text = await pdfText(pdf.body as Buffer);
    const certificate = await Certificate.findOne({ number: enrolment?.certificateNumber }).lean();
    expect(text).toContain('Alex Certificate');
    expect(text).toContain('Learning fixture course');
    expect(text).toContain('Robin');
    expect(text).toContain(certificate?.verificationCode);

    // The public check: name, course, version and date, and nothing else about the person.
    const verify = await t.request().get(`/certificates/verify/${certificate?.verificationCode}`);
    expect(verify.status).toBe(200);
    expect(verify.text).toContain('This certificate is real.');
    expect(verify.text).toContain('Alex Certificate');
    expect(verify.text).toContain('Learning fixture course');
    expect(verify.text).toMatch(/<dt>Version<\/dt><dd>1<\/dd>/);
    expect(verify.text).not.toContain(learner.user.email);
    expect(verify.text).not.toContain(enrolment?.certificateNumber as string);
    expect(verify.text).not.toContain('listened more');
  });

  it('issues exactly one certificate when the last two parts are finished at the same moment', async () => {
    const learner = await newLearner();
    await start(learner);
    await Promise.all([passCheck(learner), writeReflection(learner, 'Both at once.')]);
    const enrolment = await enrolmentOf(learner);
    expect(enrolment?.completedAt).toBeInstanceOf(Date);
    expect(await Certificate.countDocuments({ learner: new Types.ObjectId(learner.user.id) })).toBe(1);
  });

  it('does not finish the course while a check is not passed', async () => {
    const learner = await newLearner();
    await start(learner);
    await writeReflection(learner, 'Written, but the check is still to do.');
    await post(learner, `${lesson('basics', 'check-lesson')}/check`, { block: course.checkKey, ...answerFields(await course.wrongAnswers()) });
    expect((await enrolmentOf(learner))?.completedAt).toBeNull();
  });

  it('tells the public nothing about a code that does not exist', async () => {
    const response = await t.request().get('/certificates/verify/ABCD-EFGH-JKMN');
    expect(response.status).toBe(404);
    expect(response.text).toContain('We could not find a certificate');
  });
});

describe('reflections', () => {
  it('saves as the learner types (JSON with the CSRF header) and keeps it on the page', async () => {
    const learner = await newLearner();
    await start(learner);
    const response = await learner.agent
      .post(`${lesson('basics', 'reflect')}/reflection`)
      .set('Accept', 'application/json')
      .set('x-csrf-token', learner.token)
      .type('form')
      .send({ block: course.reflectionKey, reflection: 'Half a thought' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ saved: true });
    const page = await learner.agent.get(lesson('basics', 'reflect'));
    expect(page.text).toContain('Half a thought');
    expect(page.text).toContain('Saved on');
  });

  it('refuses an autosave without the CSRF token', async () => {
    const learner = await newLearner();
    await start(learner);
    const response = await learner.agent
      .post(`${lesson('basics', 'reflect')}/reflection`)
      .set('Accept', 'application/json')
      .type('form')
      .send({ block: course.reflectionKey, reflection: 'No token' });
    expect(response.status).toBe(403);
  });

  it('shows reflections to the learner and their team trainer only', async () => {
    const owner = await newLearner();
    const other = await newLearner();
    const trainer = await t.signedInAgent({ roles: ['trainer'] });
    const otherTrainer = await t.signedInAgent({ roles: ['trainer'] });
    const team = await t.services.teams.createTeam(`Team ${owner.user.id}`);
    await t.services.teams.addMembers(team.id, [owner.user.id]);
    await t.services.teams.addTrainers(team.id, [trainer.user.id]);
    await start(owner);
    await writeReflection(owner, 'A private thought about my practice');

    const path = `/learners/${owner.user.id}/courses/${course.slug}/reflections`;
    expect((await owner.agent.get(path)).text).toContain('A private thought about my practice');
    const byTrainer = await trainer.agent.get(path);
    expect(byTrainer.status).toBe(200);
    expect(byTrainer.text).toContain('A private thought about my practice');
    for (const outsider of [other.agent, otherTrainer.agent]) {
      const response = await outsider.get(path);
      expect(response.status).toBe(403);
      expect(response.text).not.toContain('A private thought');
    }
    expect((await t.request().get(path)).status).toBe(303);
  });

  it("links a team's trainer from the team page to each member's reflections, and shows an admin no such links", async () => {
    const member = await newLearner();
    const trainer = await t.signedInAgent({ roles: ['trainer'] });
    const admin = await t.signedInAgent({ roles: ['admin'] });
    const team = await t.services.teams.createTeam(`Team page ${member.user.id}`);
    await t.services.teams.addMembers(team.id, [member.user.id]);
    await t.services.teams.addTrainers(team.id, [trainer.user.id]);
    await start(member);
    await writeReflection(member, 'Found through the team page');

    const href = `/learners/${member.user.id}/courses/${course.slug}/reflections`;
    const teamPage = await trainer.agent.get(`/admin/teams/${team.id}`);
    expect(teamPage.status).toBe(200);
    expect(teamPage.text).toContain(`href="${href}"`);
    expect((await trainer.agent.get(href)).text).toContain('Found through the team page');

    const byAdmin = await admin.agent.get(`/admin/teams/${team.id}`);
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.text).not.toContain('/reflections');
  });
});

describe('access between learners', () => {
  it('never shows one learner another learner\'s progress, reflections or certificate', async () => {
    const a = await newLearner('Learner A');
    const b = await newLearner('Learner B');
    await start(a);
    await passCheck(a);
    await writeReflection(a, 'Only A wrote this');
    const certificateNumber = (await enrolmentOf(a))?.certificateNumber as string;
    expect(certificateNumber).toBeTruthy();

    // B's lesson pages are B's own: not started, so they go to the course page; nothing of A's appears.
    const lessonPage = await b.agent.get(lesson('basics', 'reflect'));
    expect(lessonPage.status).toBe(303);
    expect((await b.agent.get(`/courses/${course.slug}`)).text).toContain('Start the course');
    await start(b);
    expect((await b.agent.get(lesson('basics', 'reflect'))).text).not.toContain('Only A wrote this');

    // A's certificate by its number: not found for B, the sign-in page for anyone not signed in.
    const byB = await b.agent.get(`/certificates/${certificateNumber}.pdf`);
    expect(byB.status).toBe(404);
    expect(byB.headers['content-type']).not.toContain('pdf');
    expect((await t.request().get(`/certificates/${certificateNumber}.pdf`)).status).toBe(303);

    // A's reflections by A's id: refused.
    expect((await b.agent.get(`/learners/${a.user.id}/courses/${course.slug}/reflections`)).status).toBe(403);

    // A trainer of A's team may open A's certificate; a trainer of another team may not.
    const trainer = await t.signedInAgent({ roles: ['trainer'] });
    const otherTrainer = await t.signedInAgent({ roles: ['trainer'] });
    const team = await t.services.teams.createTeam(`Certificate team ${a.user.id}`);
    await t.services.teams.addMembers(team.id, [a.user.id]);
    await t.services.teams.addTrainers(team.id, [trainer.user.id]);
    const byTrainer = await trainer.agent.get(`/certificates/${certificateNumber}.pdf`);
    expect(byTrainer.status).toBe(200);
    expect(byTrainer.headers['content-type']).toBe('application/pdf');
    expect((await otherTrainer.agent.get(`/certificates/${certificateNumber}.pdf`)).status).toBe(404);

    // B posting progress changes only B's enrolment.
    await passCheck(b);
    expect((await enrolmentOf(a))?.attempts).toHaveLength(1);
  });
});

describe('versions', () => {
  it('keeps a learner part-way on their version, offers the new one with what changed, and keeps progress on switching', async () => {
    const learner = await newLearner();
    await start(learner);
    await passCheck(learner);
    const keys = await course.manyPartKeys();
    await Promise.all(keys.slice(-12).map((block) => post(learner, `${lesson('many-parts', 'many')}/blocks/done`, { block })));

    await course.publishVersion2();

    const pinned = await learner.agent.get(lesson('basics', 'welcome'));
    expect(pinned.text).toContain('Welcome to this course.');
    // Each lesson page says so too, and leads to the course page where the changes are listed.
    expect(pinned.text).toContain('A new version of this course is ready');
    expect(pinned.text).toContain(`<a href="/courses/${course.slug}">See what changed and choose</a>`);
    const overview = await learner.agent.get(`/courses/${course.slug}`);
    expect(overview.text).toContain('A new version of this course is ready');
    expect(overview.text).toContain('We added a lesson on sensory breaks because learners asked for it.');
    expect(overview.text).toMatch(/New lessons:<\/strong>[\s\S]*<li>The basics: Extra<\/li>/);
    expect(overview.text).toMatch(/Lessons that changed:<\/strong>[\s\S]*<li>The basics: Welcome<\/li>/);
    expect((await learner.agent.get('/dashboard')).text).toContain('A new version of this course is available');

    const newcomer = await newLearner();
    await start(newcomer);
    const newcomerPage = await newcomer.agent.get(lesson('basics', 'welcome'));
    expect(newcomerPage.text).toContain('Welcome to version two of this course.');
    expect(newcomerPage.text).not.toContain('A new version of this course is ready');

    const switched = await post(learner, `/courses/${course.slug}/switch-version`);
    expect(switched.status).toBe(303);
    const after = await enrolmentOf(learner);
    expect(after?.version).toBe(2);
    // The check's key still exists: still passed. Of the 12 reading parts, the last 10 are gone in version 2.
    const done = Object.keys(after?.blocks ?? {});
    expect(done).toContain(course.checkKey);
    expect(done.filter((key) => key.startsWith('many-parts/'))).toHaveLength(2);
    const checkPage = await learner.agent.get(lesson('basics', 'check-lesson'));
    expect(checkPage.text).toContain('You passed this check.');
    const switchedPage = await learner.agent.get(lesson('basics', 'welcome'));
    expect(switchedPage.text).toContain('Welcome to version two of this course.');
    expect(switchedPage.text).not.toContain('A new version of this course is ready');
    expect((await learner.agent.get(`/courses/${course.slug}`)).text).not.toContain('A new version of this course is ready');
  });
});
