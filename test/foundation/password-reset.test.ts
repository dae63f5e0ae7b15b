import { csrfFrom, startTestApp, type TestApp } from '../support/app';

describe('password reset', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.stop();
  });

  async function askForReset(email: string) {
    const agent = t.request();
    const form = await agent.get('/password-reset');
    return agent.post('/password-reset').type('form').send({ _csrf: csrfFrom(form.text), email });
  }

  it('emails a one-time link that sets a new password and signs out other sessions', async () => {
    const user = await t.createUser({ email: 'forgetful@example.org' });
    const elsewhere = t.request();
    await t.signIn(elsewhere, user.email, user.password);

    const asked = await askForReset('Forgetful@Example.org');
    expect(asked.status).toBe(200);
    expect(asked.text).toContain('If <strong>Forgetful@Example.org</strong> has an account');

    const mail = await t.latestMail('forgetful@example.org');
    expect(mail.subject).toBe('Reset your Coproduce password');
    const resetPath = new URL(mail.links.find((link) => link.includes('/password-reset/')) ?? '').pathname;

    const agent = t.request();
    const form = await agent.get(resetPath);
    expect(form.status).toBe(200);
    const changed = await agent.post(resetPath).type('form').send({ _csrf: csrfFrom(form.text), password: 'my brand new password', confirmPassword: 'my brand new password' });
    expect(changed.status).toBe(303);
    expect(changed.headers.location).toBe('/sign-in');
    expect((await agent.get('/sign-in')).text).toContain('Your password has been changed');

    await t.signIn(t.request(), user.email, 'my brand new password');
    await expect(t.signIn(t.request(), user.email, user.password)).rejects.toThrow('failed with status 401');
    expect((await elsewhere.get('/preferences')).text).not.toContain('Signed in as');

    expect((await t.request().get(resetPath)).status).toBe(410);
  });

  it('gives the same answer for an email without an account, and sends nothing', async () => {
    const response = await askForReset('nobody-here@example.org');
    expect(response.status).toBe(200);
    expect(response.text).toContain('If <strong>nobody-here@example.org</strong> has an account');
    await expect(t.latestMail('nobody-here@example.org')).rejects.toThrow('No mail');
  });

  it('names the field when the email is not an email, and keeps what was typed', async () => {
    const response = await askForReset('not-an-email');
    expect(response.status).toBe(422);
    expect(response.text).toContain('Enter an email address like name@example.org');
    expect(response.text).toContain('value="not-an-email"');
  });

  it('names the fields when the new passwords are too short or differ', async () => {
    const user = await t.createUser({ email: 'second.reset@example.org' });
    await askForReset(user.email);
    const resetPath = new URL((await t.latestMail(user.email)).links[0] ?? '').pathname;
    const agent = t.request();
    const form = await agent.get(resetPath);
    const response = await agent.post(resetPath).type('form').send({ _csrf: csrfFrom(form.text), password: 'short', confirmPassword: 'other' });
    expect(response.status).toBe(422);
    expect(response.text).toContain('Use at least 10 characters');
    expect(response.text).toContain('The two passwords are not the same');
  });

  it('shows a calm page for a made-up or mistyped link', async () => {
    const made = await t.request().get(`/password-reset/${'a'.repeat(43)}`);
    expect(made.status).toBe(410);
    expect(made.text).toContain('Ask for a new reset link');
    expect((await t.request().get('/password-reset/short')).status).toBe(410);
  });

  it('limits reset requests from one address', async () => {
    const agent = t.request();
    const token = csrfFrom((await agent.get('/password-reset')).text);
    let last = 200;
    for (let attempt = 0; attempt < 12 && last !== 429; attempt += 1) {
      last = (await agent.post('/password-reset').type('form').send({ _csrf: token, email: 'flood@example.org' })).status;
    }
    expect(last).toBe(429);
  });
});
