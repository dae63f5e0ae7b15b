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
