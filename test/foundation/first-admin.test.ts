import path from 'node:path';
import pino from 'pino';
import { inviteFirstAdmin } from '../../server/auth/service';
import { createMailer } from '../../server/mail/mailer';
import { adminExists } from '../../server/users/service';
import { csrfFrom, startTestApp, type TestApp } from '../support/app';

describe('the first admin of a new installation (ADMIN_EMAIL)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('gets an invitation link that makes them an active admin', async () => {
    expect(await adminExists()).toBe(false);
    const mailer = createMailer({ dataDir: path.dirname(t.mailDir), from: t.config.mailFrom, logger: pino({ level: 'silent' }) });
    const link = await inviteFirstAdmin('owner@example.org', { mailer, baseUrl: t.config.baseUrl });
    expect((await t.latestMail('owner@example.org')).links).toContain(link);

    const agent = t.request();
    const invitationPath = new URL(link).pathname;
    const form = await agent.get(invitationPath);
    const accepted = await agent.post(invitationPath).type('form').send({ _csrf: csrfFrom(form.text), name: 'Olu Owner', password: 'owner password here', confirmPassword: 'owner password here' });
    expect(accepted.status).toBe(303);
    expect((await agent.get('/admin/audit')).status).toBe(200);
    expect(await adminExists()).toBe(true);
  });
});
