/**
 * Forms posted from another site are refused with 403 before any handler runs, even with a valid CSRF token
 * (server/web/same-origin.ts). Same-origin posts, and posts without Origin (old browsers, scripts), still work.
 */
import { csrfFrom, startTestApp, type TestApp } from '../support/app';

describe('requests from another site', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.stop();
  });

  async function signInWith(headers: Record<string, string>): Promise<{ status: number; text: string; signedIn: boolean }> {
    const user = await t.createUser();
    const agent = t.request();
    const token = csrfFrom((await agent.get('/sign-in')).text);
    const response = await agent.post('/sign-in').set(headers).type('form').send({ _csrf: token, email: user.email, password: user.password });
    const signedIn = (await agent.get('/preferences')).text.includes('Signed in as');
    return { status: response.status, text: response.text, signedIn };
  }

  it('refuses a sign-in posted from another site, with a valid token', async () => {
    const refused = await signInWith({ Origin: 'https://evil.example' });
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('sent from another website');
    expect(refused.signedIn).toBe(false);
  });

  it('refuses Origin: null (a sandboxed frame or a redirect across sites)', async () => {
    const refused = await signInWith({ Origin: 'null' });
    expect(refused.status).toBe(403);
    expect(refused.signedIn).toBe(false);
  });

  it('refuses Sec-Fetch-Site: cross-site and same-site when no Origin is sent', async () => {
    expect((await signInWith({ 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    expect((await signInWith({ 'Sec-Fetch-Site': 'same-site' })).status).toBe(403);
  });

  it('refuses another port or scheme of our own host name: they are other origins', async () => {
    expect((await signInWith({ Origin: 'http://127.0.0.1:1' })).status).toBe(403);
    expect((await signInWith({ Origin: 'https://127.0.0.1:3000' })).status).toBe(403);
  });

  it('accepts BASE_URL’s origin, the origin the request was addressed to, and no Origin at all', async () => {
    const fromBaseUrl = await signInWith({ Origin: 'http://127.0.0.1:3000', 'Sec-Fetch-Site': 'same-origin' });
    expect(fromBaseUrl.status).toBe(303);
    expect(fromBaseUrl.signedIn).toBe(true);
    const fromOwnHost = await signInWith({ Origin: 'http://coproduce.test:8080', Host: 'coproduce.test:8080' });
    expect(fromOwnHost.status).toBe(303);
    const oldClient = await signInWith({});
    expect(oldClient.status).toBe(303);
    expect(oldClient.signedIn).toBe(true);
    const typedAddress = await signInWith({ 'Sec-Fetch-Site': 'none' });
    expect(typedAddress.status).toBe(303);
  });

  it('refuses before the handler runs: a cross-site sign-out leaves the person signed in', async () => {
    const { agent } = await t.signedInAgent();
    const token = await t.csrfToken(agent, '/preferences');
    const refused = await agent.post('/sign-out').set('Origin', 'https://evil.example').type('form').send({ _csrf: token });
    expect(refused.status).toBe(403);
    expect((await agent.get('/preferences')).text).toContain('Signed in as');
    const json = await agent.post('/sign-out').set({ Origin: 'https://evil.example', Accept: 'application/json' }).type('form').send({ _csrf: token });
    expect(json.status).toBe(403);
    expect(json.body.error.status).toBe(403);
  });

  it('leaves reading pages from a link on another site alone', async () => {
    const page = await t.request().get('/sign-in').set({ Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' });
    expect(page.status).toBe(200);
  });
});

describe('requests from another site, behind a trusted proxy', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { TRUST_PROXY: '1', BASE_URL: 'https://coproduce.example.org' } });
  });
  afterAll(async () => {
    await t.stop();
  });

  it('takes our origin from BASE_URL and from the forwarded host and scheme', async () => {
    const user = await t.createUser();
    for (const [headers, expected] of [
      [{ Origin: 'https://coproduce.example.org' }, 303],
      [{ Origin: 'https://other.example.org', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'other.example.org' }, 303],
      [{ Origin: 'http://coproduce.example.org' }, 403],
      [{ Origin: 'https://evil.example' }, 403],
    ] as const) {
      const agent = t.request();
      const token = csrfFrom((await agent.get('/sign-in')).text);
      const response = await agent.post('/sign-in').set(headers).type('form').send({ _csrf: token, email: user.email, password: user.password });
      expect([headers.Origin, response.status]).toEqual([headers.Origin, expected]);
    }
  });
});
