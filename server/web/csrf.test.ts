import { csrfFrom, startTestApp, type TestAgent, type TestApp } from '../../test/support/app';

const CSRF_COOKIE = 'coproduce.csrf';

/** The value of the CSRF cookie a response sets, or undefined when it sets none. */
function csrfCookieSet(response: { headers: Record<string, unknown> }): string | undefined {
  const cookies = response.headers['set-cookie'];
  const list = Array.isArray(cookies) ? (cookies as string[]) : [];
  const cookie = list.find((line) => line.startsWith(`${CSRF_COOKIE}=`));
  return cookie ? decodeURIComponent(cookie.slice(CSRF_COOKIE.length + 1).split(';')[0] ?? '') : undefined;
}

describe('CSRF token cookie', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('is sent once per session or visitor, and again only when the token changes', async () => {
    const user = await t.createUser();
    const agent: TestAgent = t.request();

    const first = await agent.get('/sign-in');
    const visitorToken = csrfFrom(first.text);
    expect(csrfCookieSet(first)).toBe(visitorToken);

    const again = await agent.get('/sign-in');
    expect(csrfFrom(again.text)).toBe(visitorToken);
    expect(csrfCookieSet(again)).toBeUndefined();

    const signedIn = await agent.post('/sign-in').type('form').send({ _csrf: visitorToken, email: user.email, password: user.password });
    expect(signedIn.status).toBe(303);

    // Signing in starts a new session: the visitor's token no longer fits, so the next page sends a new one.
    const page = await agent.get('/preferences');
    const sessionToken = csrfFrom(page.text);
    expect(sessionToken).not.toBe(visitorToken);
    expect(csrfCookieSet(page)).toBe(sessionToken);

    const pageAgain = await agent.get('/preferences');
    expect(csrfFrom(pageAgain.text)).toBe(sessionToken);
    expect(csrfCookieSet(pageAgain)).toBeUndefined();
  });

  it('replaces a cookie whose token was not signed by this app', async () => {
    const agent = t.request();
    const forged = `${'0'.repeat(64)}.${'1'.repeat(64)}`;
    const response = await agent.get('/sign-in').set('Cookie', `${CSRF_COOKIE}=${forged}`);
    const token = csrfFrom(response.text);
    expect(token).not.toBe(forged);
    expect(csrfCookieSet(response)).toBe(token);
  });

  it('never reuses a token it has seen for one session in another, on pages or on forms', async () => {
    const first = await t.signedInAgent();
    const firstPage = await first.agent.get('/preferences');
    const firstToken = csrfFrom(firstPage.text);
    // Seen twice for the first session, so this app has checked it and remembers it.
    expect(csrfFrom((await first.agent.get('/preferences')).text)).toBe(firstToken);

    const second = await t.signedInAgent();
    const sentCookies = (await second.agent.get('/preferences')).request.cookies;
    const sessionCookie = /coproduce\.sid=[^;]+/.exec(sentCookies)?.[0];
    if (!sessionCookie) throw new Error('The second browser holds no session cookie');
    // The second session's browser given the first session's token cookie (a fresh agent: no cookie jar of its own).
    const withFirstToken = `${sessionCookie}; ${CSRF_COOKIE}=${encodeURIComponent(firstToken)}`;
    const replaced = await t.request().get('/preferences').set('Cookie', withFirstToken);
    expect(replaced.text).toContain('Sign out');
    const secondToken = csrfFrom(replaced.text);
    expect(secondToken).not.toBe(firstToken);
    expect(csrfCookieSet(replaced)).toBe(secondToken);
    // And a form sent with the first session's token (cookie and field alike) is refused.
    const refused = await t.request().post('/sign-out').set('Cookie', withFirstToken).type('form').send({ _csrf: firstToken });
    expect(refused.status).toBe(403);
  });
});
