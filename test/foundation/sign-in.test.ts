import { csrfFrom, startTestApp, type TestApp } from '../support/app';

describe('signing in', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('answers the health check when the database answers', async () => {
    const response = await t.request().get('/healthz');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('signs in with the right password and shows the person their name', async () => {
    const user = await t.createUser({ roles: ['trainer'], name: 'Robin Trainer' });
    const agent = t.request();
    await t.signIn(agent, user.email, user.password);
    const home = await agent.get('/');
    expect(home.status).toBe(200);
    expect(home.text).toContain('Signed in as Robin Trainer');
  });

  it('refuses a wrong password with the same calm message as an unknown email', async () => {
    const user = await t.createUser();
    const agent = t.request();
    const token = csrfFrom((await agent.get('/sign-in')).text);
    const wrong = await agent.post('/sign-in').type('form').send({ _csrf: token, email: user.email, password: 'not the password' });
    const unknown = await agent.post('/sign-in').type('form').send({ _csrf: token, email: 'nobody@example.org', password: 'not the password' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.text).toContain('The email address or password is not right');
    expect(unknown.text).toContain('The email address or password is not right');
    expect((await agent.get('/')).text).not.toContain('Signed in as');
  });
});

describe('after signing in', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('returns to the page the person first asked for, but never to another site', async () => {
    const user = await t.createUser({ roles: ['admin'] });
    const agent = t.request();
    const asked = await agent.get('/admin/audit?page=1');
    expect(asked.status).toBe(303);
    expect(asked.headers.location).toBe('/sign-in?next=%2Fadmin%2Faudit%3Fpage%3D1');

    const form = await agent.get(asked.headers.location ?? '');
    expect(form.text).toContain('name="next" value="/admin/audit?page=1"');
    const signedIn = await agent.post('/sign-in').type('form').send({ _csrf: csrfFrom(form.text), email: user.email, password: user.password, next: '/admin/audit?page=1' });
    expect(signedIn.headers.location).toBe('/admin/audit?page=1');

    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
      const other = t.request();
      const otherForm = await other.get('/sign-in');
      const response = await other.post('/sign-in').type('form').send({ _csrf: csrfFrom(otherForm.text), email: user.email, password: user.password, next });
      expect(response.headers.location).toBe('/');
    }
  });

  it('welcomes anonymous visitors calmly, and shows signed-in staff the places for their roles', async () => {
    const welcome = await t.request().get('/');
    expect(welcome.text).toContain('Welcome to Coproduce');
    expect(welcome.text).toContain('href="/sign-in"');

    const { agent: trainer } = await t.signedInAgent({ roles: ['trainer', 'co-facilitator'] });
    const home = await trainer.get('/');
    expect(home.status).toBe(200);
    expect(home.text).toContain('href="/admin/people"');
    expect(home.text).toContain('href="/manage/courses"');
    expect(home.text).not.toContain('href="/admin/audit"');
  });

  it('sends people with only the learner role to their dashboard', async () => {
    const { agent: learner } = await t.signedInAgent({ roles: ['learner'] });
    const home = await learner.get('/');
    expect(home.status).toBe(303);
    expect(home.headers.location).toBe('/dashboard');
  });

  it('tells browsers not to keep pages of a signed-in person', async () => {
    const { agent } = await t.signedInAgent();
    expect((await agent.get('/preferences')).headers['cache-control']).toBe('no-store');
    expect((await t.request().get('/preferences')).headers['cache-control']).toBeUndefined();
  });
});
