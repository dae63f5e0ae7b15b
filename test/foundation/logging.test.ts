import { maskTokens } from '../../server/web/logging';
import { csrfFrom, startTestApp, type TestApp } from '../support/app';

describe('request logs', () => {
  const lines: string[] = [];
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ logDestination: { write: (line) => lines.push(line) } });
  });
  afterAll(async () => {
    await t.stop();
  });

  it('masks one-time tokens in paths and queries', () => {
    const token = 'Abc_def-123456789012345678901234567890123';
    expect(maskTokens(`/invitations/${token}`)).toBe('/invitations/[redacted]');
    expect(maskTokens(`/x?token=${token}&page=2`)).toBe('/x?token=[redacted]&page=2');
    expect(maskTokens('/admin/people/0123456789abcdef01234567')).toBe('/admin/people/0123456789abcdef01234567');
  });

  it('writes one structured line per request, without passwords, cookies or tokens', async () => {
    const user = await t.createUser({ password: 'very-secret-password-123' });
    const agent = t.request();
    const form = await agent.get('/sign-in');
    const token = csrfFrom(form.text);
    lines.length = 0;
    await agent.post('/sign-in').type('form').send({ _csrf: token, email: user.email, password: 'very-secret-password-123' });
    await t.request().get(`/invitations/${'Z'.repeat(43)}`);

    const requests = lines.map((line) => JSON.parse(line) as { req?: { method: string; url: string }; res?: { statusCode: number } }).filter((entry) => entry.req);
    expect(requests.map((entry) => `${entry.req?.method} ${entry.req?.url} ${entry.res?.statusCode}`)).toEqual([
      'POST /sign-in 303',
      'GET /invitations/[redacted] 410',
    ]);
    const everything = lines.join('\n');
    expect(everything).not.toContain('very-secret-password-123');
    expect(everything).not.toContain(token);
    expect(everything).not.toContain('Z'.repeat(43));
    expect(everything).not.toMatch(/coproduce\.(sid|csrf|visitor)=/);
  });
});

describe('masking secrets in logged addresses', () => {
  const token = 'Abc_def-123456789012345678901234567890123';

  it('masks the token of every one-time link, whatever its shape', () => {
    expect(maskTokens(`/invitations/${token}`)).toBe('/invitations/[redacted]');
    expect(maskTokens('/invitations/short')).toBe('/invitations/[redacted]');
    expect(maskTokens(`/password-reset/${token}?x=1`)).toBe('/password-reset/[redacted]?x=1');
    expect(maskTokens(`/account/email/${token}`)).toBe('/account/email/[redacted]');
    expect(maskTokens('/password-reset')).toBe('/password-reset');
  });

  it('masks secret query values and other random-looking values, but not ordinary slugs', () => {
    expect(maskTokens('/x?token=short&page=2')).toBe('/x?token=[redacted]&page=2');
    expect(maskTokens(`/some/${token}/more`)).toBe('/some/[redacted]/more');
    const lesson = '/learn/person-centred-support/understanding-sensory-overload-and-shutdown/overload';
    expect(maskTokens(lesson)).toBe(lesson);
    expect(maskTokens(`${lesson}/blocks/done`)).toBe(`${lesson}/blocks/done`);
    expect(maskTokens('/certificates/verify/C-2026-ABCD2345')).toBe('/certificates/verify/C-2026-ABCD2345');
  });
});
