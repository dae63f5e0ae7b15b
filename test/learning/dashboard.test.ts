/**
 * The dashboard: assigned courses with due dates (overdue first, through a team or to the person),
 * in progress with a progress bar and "Continue", finished with the certificate; and the demo seed.
 */
import { createAssignment } from '../assignments/factories';
import { seedDemoLearning } from '../../server/assignments/seed';
import { startTestApp, type TestApp } from '../support/app';
import { importFixtureCourse, type FixtureCourse } from './support/fixture-course';

const DAY_MS = 24 * 60 * 60 * 1000;

let t: TestApp;
let first: FixtureCourse;
let second: FixtureCourse;

beforeAll(async () => {
  t = await startTestApp();
  first = await importFixtureCourse(t.services, 'first-course', 'Calm spaces course');
  second = await importFixtureCourse(t.services, 'second-course', 'Talking together course');
});

afterAll(async () => {
  await first?.cleanUp();
  await second?.cleanUp();
  await t?.stop();
});

describe('dashboard', () => {
  it('shows assigned courses with due dates, overdue first, then in progress and finished', async () => {
    const { agent, user } = await t.signedInAgent({ roles: ['learner'] });
    const team = await t.services.teams.createTeam('Dashboard team');
    await t.services.teams.addMembers(team.id, [user.id]);
    await createAssignment({ courseId: second.courseId, learnerId: user.id, dueAt: new Date(Date.now() + 7 * DAY_MS) });
    await createAssignment({ courseId: first.courseId, teamId: team.id, dueAt: new Date(Date.now() - 2 * DAY_MS) });

    let page = await agent.get('/dashboard');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Assigned to you');
    expect(page.text).toContain('Overdue');
    expect(page.text).toContain('Was due');
    expect(page.text.indexOf('Calm spaces course')).toBeLessThan(page.text.indexOf('Talking together course'));
    expect(page.text).toContain('action="/courses/second-course/start"');

    // Start the second course: it stays under "Assigned to you" with its progress and a Continue button.
    const token = await t.csrfToken(agent, '/dashboard');
    await agent.post('/courses/second-course/start').type('form').send({ _csrf: token }).expect(303);
    await agent.post('/learn/second-course/basics/welcome/done').type('form').send({ _csrf: token }).expect(303);
    page = await agent.get('/dashboard');
    expect(page.text).toMatch(/Lessons done: <strong>1 of 4<\/strong>/);
    expect(page.text).toContain('Continue<span class="visually-hidden">: Talking together course</span>');
  });

  it('shows a course started without an assignment under "In progress"', async () => {
    const { agent } = await t.signedInAgent({ roles: ['learner'] });
    const token = await t.csrfToken(agent, '/dashboard');
    expect((await agent.get('/dashboard')).text).toContain('You have no courses yet.');
    await agent.post('/courses/first-course/start').type('form').send({ _csrf: token }).expect(303);
    const page = await agent.get('/dashboard');
    expect(page.text).toContain('In progress');
    expect(page.text).not.toContain('Assigned to you');
    expect(page.text).toContain('href="/courses/first-course/continue"');
  });
});

describe('seedDemoLearning', () => {
  it('assigns the course to the demo learner once', async () => {
    await t.seedDemoAccounts('demo-password-for-tests');
    expect(await seedDemoLearning(t.services, { courseSlug: 'first-course' })).toEqual({ assigned: true });
    expect(await seedDemoLearning(t.services, { courseSlug: 'first-course' })).toEqual({ assigned: false });
    const agent = t.request();
    await t.signIn(agent, 'learner@example.org', 'demo-password-for-tests');
    const home = await agent.get('/');
    expect(home.status).toBe(303);
    expect(home.headers.location).toBe('/dashboard');
    const page = await agent.get('/dashboard');
    expect(page.text).toContain('Calm spaces course');
    expect(page.text).toMatch(/Due \d{1,2} \w+ \d{4}/);
  });
});
