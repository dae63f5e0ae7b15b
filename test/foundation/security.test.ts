import { csrfFrom, startTestApp, type TestApp } from '../support/app';

function sessionCookie(setCookie: string[] | string | undefined): string | undefined {
  const list = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  return list.find((cookie) => cookie.startsWith('coproduce.sid='))?.split(';')[0];
}

describe('safety on every request', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('sends a strict Content-Security-Policy with a fresh nonce and no inline styles', async () => {
    const first = await t.request().get('/sign-in');
    const second = await t.request().get('/sign-in');
    const policy = String(first.headers['content-security-policy']);
    expect(policy).toContain("style-src 'self'");
    expect(policy).toContain("object-src 'none'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toContain('unsafe-inline');
    const nonce = /'nonce-([^']+)'/.exec(policy)?.[1];
    expect(nonce).toBeDefined();
    expect(String(second.headers['content-security-policy'])).not.toContain(nonce);
    expect(first.text).not.toMatch(/style="/);
    expect(first.headers['x-powered-by']).toBeUndefined();
  });

  it("sends helmet's other protections on every response, and pages load scripts only from this site", async () => {
    for (const path of ['/sign-in', '/no-such-page', '/healthz']) {
      const response = await t.request().get(path);
      expect(response.headers).toMatchObject({
        'x-frame-options': 'SAMEORIGIN',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'same-origin',
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-resource-policy': 'same-origin',
        'x-dns-prefetch-control': 'off',
        'x-permitted-cross-domain-policies': 'none',
        'origin-agent-cluster': '?1',
      });
      expect(response.headers['content-security-policy']).toMatch(/script-src 'self' 'nonce-[0-9a-f-]{36}'/);
    }
    const page = await t.request().get('/sign-in');
    const scripts = [...page.text.matchAll(/<script[^>]*>/g)].map((match) => match[0]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) expect(script).toMatch(/ src="\/public\/[^"?]+\?v=[0-9a-f]{12}"/);
    // Stylesheets too carry the release's version, so browsers may keep them long and still get a new release.
    const stylesheets = [...page.text.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map((match) => match[1]);
    expect(stylesheets.length).toBeGreaterThan(0);
    for (const href of stylesheets) expect(href).toMatch(/^\/public\/css\/[^?]+\?v=[0-9a-f]{12}$/);
  });

  it('gives a new session id at sign-in, so a session planted before sign-in is worth nothing', async () => {
    const user = await t.createUser();
    const agent = t.request();
    // Saving preferences before signing in creates a session (for the notice on the next page).
    const preferencesForm = await agent.get('/preferences');
    const saved = await agent
      .post('/preferences')
      .type('form')
      .send({ _csrf: csrfFrom(preferencesForm.text), textSize: 'large', theme: 'standard' });
    const before = sessionCookie(saved.headers['set-cookie']);
    expect(before).toBeDefined();

    const form = await agent.get('/sign-in');
    const signedIn = await agent.post('/sign-in').type('form').send({ _csrf: csrfFrom(form.text), email: user.email, password: user.password });
    expect(signedIn.status).toBe(303);
    const after = sessionCookie(signedIn.headers['set-cookie']);
    expect(after).toBeDefined();
    expect(after).not.toBe(before);

    const withOldCookie = await t.request().get('/').set('Cookie', before ?? '');
    expect(withOldCookie.text).not.toContain('Signed in as');
    const cookieHeader = (Array.isArray(signedIn.headers['set-cookie']) ? signedIn.headers['set-cookie'] : []).find((cookie: string) => cookie.startsWith('coproduce.sid='));
    expect(cookieHeader).toMatch(/HttpOnly/i);
    expect(cookieHeader).toMatch(/SameSite=Lax/i);
  });

  it('ends the session at sign-out: the old cookie no longer signs anyone in', async () => {
    const user = await t.createUser();
    const agent = t.request();
    const form = await agent.get('/sign-in');
    const signedIn = await agent.post('/sign-in').type('form').send({ _csrf: csrfFrom(form.text), email: user.email, password: user.password });
    const cookie = sessionCookie(signedIn.headers['set-cookie']);
    expect(cookie).toBeDefined();
    expect((await t.request().get('/preferences').set('Cookie', cookie ?? '')).text).toContain('Signed in as');

    const page = await agent.get('/preferences');
    const signedOut = await agent.post('/sign-out').type('form').send({ _csrf: csrfFrom(page.text) });
    expect(signedOut.status).toBe(303);
    expect((await agent.get('/preferences')).text).not.toContain('Signed in as');
    expect((await t.request().get('/preferences').set('Cookie', cookie ?? '')).text).not.toContain('Signed in as');
  });

  it('refuses a form sent without its CSRF token, or with another visitor’s token, and changes nothing', async () => {
    const { agent: admin } = await t.signedInAgent({ roles: ['admin'] });
    const missing = await admin.post('/admin/teams').type('form').send({ name: 'Forged team' });
    expect(missing.status).toBe(403);
    expect(missing.text).toContain('This form has expired');

    const otherVisitor = t.request();
    const foreignToken = csrfFrom((await otherVisitor.get('/sign-in')).text);
    const foreign = await admin.post('/admin/teams').type('form').send({ _csrf: foreignToken, name: 'Forged team' });
    expect(foreign.status).toBe(403);

    const json = await admin.post('/admin/teams').set('Accept', 'application/json').type('form').send({ name: 'Forged team' });
    expect(json.status).toBe(403);
    expect(json.body.error.status).toBe(403);

    expect((await admin.get('/admin/teams')).text).not.toContain('Forged team');
  });

  it('refuses a multipart post without a readable token on a route that does not take uploads', async () => {
    const { agent: admin } = await t.signedInAgent({ roles: ['admin'] });
    const team = await admin.post('/admin/teams').field('name', 'Multipart team');
    expect(team.status).toBe(403);
    const signOut = await admin.post('/sign-out').field('anything', 'x');
    expect(signOut.status).toBe(403);
    expect((await admin.get('/admin/teams')).text).not.toContain('Multipart team');
    expect((await admin.get('/preferences')).text).toContain('Signed in as');

    // The same post with its token in the header is checked at once, like any other form.
    const token = await t.csrfToken(admin, '/admin/teams');
    const withHeader = await admin.post('/admin/teams').set('x-csrf-token', token).field('name', 'Multipart team');
    expect(withHeader.status).toBe(422);
  });

  it('limits failed sign-ins with a plain message, even when the right password comes next', async () => {
    const user = await t.createUser();
    const agent = t.request();
    const token = csrfFrom((await agent.get('/sign-in')).text);
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      const response = await agent.post('/sign-in').type('form').send({ _csrf: token, email: user.email, password: 'wrong password' });
      expect(response.status).toBe(401);
    }
    const limited = await agent.post('/sign-in').type('form').send({ _csrf: token, email: user.email, password: user.password });
    expect(limited.status).toBe(429);
    expect(limited.text).toContain('too many sign-in attempts');
    expect(limited.text).toContain('Please wait 15 minutes');
  });

  it('rejects Mongo operators in form and JSON bodies instead of passing them to a query', async () => {
    const user = await t.createUser();
    const agent = t.request();
    const token = csrfFrom((await agent.get('/sign-in')).text);
    const bracketed = await agent.post('/sign-in').type('form').send(`_csrf=${encodeURIComponent(token)}&email[$ne]=x&password[$ne]=x`);
    expect(bracketed.status).toBe(422);
    expect(bracketed.text).toContain('Enter your email address');

    const json = await agent
      .post('/sign-in')
      .set('x-csrf-token', token)
      .send({ email: { $ne: null }, password: { $ne: null } });
    expect(json.status).toBe(422);

    const regex = await agent.post('/sign-in').type('form').send({ _csrf: token, email: user.email.replace(/^./, '.*'), password: user.password });
    expect(regex.status).toBe(422);
    expect((await agent.get('/')).text).not.toContain('Signed in as');
  });

  it('refuses a body larger than the limit with 413', async () => {
    const agent = t.request();
    const token = csrfFrom((await agent.get('/sign-in')).text);
    const response = await agent.post('/sign-in').type('form').send({ _csrf: token, email: 'a@example.org', password: 'x'.repeat(200_000) });
    expect(response.status).toBe(413);
    expect(response.text).toContain('This is too large');
  });

  it('answers unknown pages with a calm 404 page, or JSON when asked', async () => {
    const page = await t.request().get('/no/such/page');
    expect(page.status).toBe(404);
    expect(page.text).toContain('Page not found');
    expect(page.text).toContain('Skip to main content');
    const json = await t.request().get('/no/such/page').set('Accept', 'application/json');
    expect(json.status).toBe(404);
    expect(json.body).toEqual({ error: { status: 404, message: expect.any(String) } });
  });

  it('keeps a disabled person out, and signs them out at once', async () => {
    const { agent: admin } = await t.signedInAgent({ roles: ['admin'] });
    const person = await t.createUser({ roles: ['learner'] });
    const personAgent = t.request();
    await t.signIn(personAgent, person.email, person.password);

    const page = await admin.get(`/admin/people/${person.id}`);
    expect(page.status).toBe(200);
    const disabled = await admin.post(`/admin/people/${person.id}/status`).type('form').send({ _csrf: csrfFrom(page.text), action: 'disable' });
    expect(disabled.status).toBe(303);

    expect((await personAgent.get('/preferences')).text).not.toContain('Signed in as');
    const again = t.request();
    const form = await again.get('/sign-in');
    const refused = await again.post('/sign-in').type('form').send({ _csrf: csrfFrom(form.text), email: person.email, password: person.password });
    expect(refused.status).toBe(401);
    expect(refused.text).toContain('This account has been turned off');
  });

  it('applies a change of roles on the person’s very next request', async () => {
    const { agent: admin } = await t.signedInAgent({ roles: ['admin'] });
    const { agent: person, user } = await t.signedInAgent({ roles: ['learner'] });
    expect((await person.get('/admin/teams')).status).toBe(403);
    const page = await admin.get(`/admin/people/${user.id}`);
    const changed = await admin.post(`/admin/people/${user.id}/roles`).type('form').send({ _csrf: csrfFrom(page.text), roles: ['learner', 'trainer'] });
    expect(changed.status).toBe(303);
    expect((await person.get('/admin/teams')).status).toBe(200);
  });

  it('does not let an admin remove their own admin role or turn off their own account', async () => {
    const { agent: admin, user } = await t.signedInAgent({ roles: ['admin'] });
    const page = await admin.get(`/admin/people/${user.id}`);
    const token = csrfFrom(page.text);
    const roles = await admin.post(`/admin/people/${user.id}/roles`).type('form').send({ _csrf: token, roles: 'trainer' });
    expect(roles.status).toBe(403);
    const status = await admin.post(`/admin/people/${user.id}/status`).type('form').send({ _csrf: token, action: 'disable' });
    expect(status.status).toBe(403);
    expect((await admin.get('/admin/audit')).status).toBe(200);
  });

  it('names the field on a bad roles form and keeps the page', async () => {
    const { agent: admin } = await t.signedInAgent({ roles: ['admin'] });
    const person = await t.createUser();
    const page = await admin.get(`/admin/people/${person.id}`);
    const response = await admin.post(`/admin/people/${person.id}/roles`).type('form').send({ _csrf: csrfFrom(page.text), roles: 'wizard' });
    expect(response.status).toBe(422);
    expect(response.text).toContain('Choose roles from the list');
    expect(response.text).toContain('href="#roles"');
  });
});
