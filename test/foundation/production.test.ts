import { disconnectDatabase } from '../../server/db/connection';
import { startTestApp, type TestApp } from '../support/app';

/** Cookies from Set-Cookie headers, as one Cookie header (Secure cookies included: the proxy speaks HTTPS). */
function cookiesFrom(setCookie: string[] | string | undefined): string {
  const list = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  return list.map((cookie) => cookie.split(';')[0]).join('; ');
}

describe('in production, behind an HTTPS proxy', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ nodeEnv: 'production', env: { TRUST_PROXY: '1' } });
  });
  afterAll(async () => {
    await t.stop();
  });

  it('marks cookies Secure and sends HSTS', async () => {
    const response = await t.request().get('/sign-in').set('X-Forwarded-Proto', 'https');
    const cookies = (response.headers['set-cookie'] as unknown as string[]) ?? [];
    expect(cookies.length).toBeGreaterThan(0);
    for (const cookie of cookies) expect(cookie).toMatch(/; Secure/i);
    expect(cookies.some((cookie) => cookie.startsWith('__Host-coproduce.csrf='))).toBe(true);
    expect(response.headers['strict-transport-security']).toBeDefined();
  });

  it('answers 503 on the health check, and a calm page without a stack trace, when the database is gone', async () => {
    const page = await t.request().get('/password-reset').set('X-Forwarded-Proto', 'https');
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    const cookie = cookiesFrom(page.headers['set-cookie']);

    await disconnectDatabase();

    const health = await t.request().get('/healthz');
    expect(health.status).toBe(503);
    expect(health.body).toEqual({ status: 'unavailable' });

    const failed = await t
      .request()
      .post('/password-reset')
      .set('X-Forwarded-Proto', 'https')
      .set('Cookie', cookie)
      .type('form')
      .send({ _csrf: token, email: 'someone@example.org' });
    expect(failed.status).toBe(500);
    expect(failed.text).toContain('Something went wrong on our side');
    expect(failed.text).not.toMatch(/at .*\.(ts|js):\d+/);
    expect(failed.text).not.toContain('Details for developers');
  });
});
