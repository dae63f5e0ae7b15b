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
    expect(await t.services.users.adminExists()).toBe(false);
    const link = await t.services.auth.inviteFirstAdmin('owner@example.org');
    expect((await t.latestMail('owner@example.org')).links).toContain(link);

    const agent = t.request();
    const invitationPath = new URL(link).pathname;
    const form = await agent.get(invitationPath);
    const accepted = await agent.post(invitationPath).type('form').send({ _csrf: csrfFrom(form.text), name: 'Olu Owner', password: 'owner password here', confirmPassword: 'owner password here' });
    expect(accepted.status).toBe(303);
    expect((await agent.get('/admin/audit')).status).toBe(200);
    expect(await t.services.users.adminExists()).toBe(true);
  });
});
