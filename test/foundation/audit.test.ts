import { csrfFrom, startTestApp, type TestApp } from '../support/app';

describe('the audit log', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('records sign-ins, failed sign-ins, invitations, role changes and turning accounts off', async () => {
    const { agent: admin } = await t.signedInAgent({ roles: ['admin'], email: 'auditor@example.org' });
    const person = await t.createUser({ email: 'audited@example.org' });

    const visitor = t.request();
    const signInForm = await visitor.get('/sign-in');
    await visitor.post('/sign-in').type('form').send({ _csrf: csrfFrom(signInForm.text), email: 'audited@example.org', password: 'wrong password!' });

    const inviteForm = await admin.get('/admin/people/invite');
    await admin.post('/admin/people/invite').type('form').send({ _csrf: csrfFrom(inviteForm.text), email: 'invitee@example.org', roles: 'learner' });
    const personPage = await admin.get(`/admin/people/${person.id}`);
    await admin.post(`/admin/people/${person.id}/roles`).type('form').send({ _csrf: csrfFrom(personPage.text), roles: ['learner', 'co-facilitator'] });
    await admin.post(`/admin/people/${person.id}/status`).type('form').send({ _csrf: csrfFrom(personPage.text), action: 'disable' });

    const log = await admin.get('/admin/audit');
    expect(log.status).toBe(200);
    for (const words of ['Signed in', 'Sign-in refused', 'Invitation sent', 'Roles changed', 'Account turned off']) {
      expect(log.text).toContain(words);
    }
    expect(log.text).toContain('before: learner; after: learner, co-facilitator');

    const filtered = await admin.get('/admin/audit?action=sign-in.failed');
    expect(filtered.text).toContain('audited@example.org');
    expect(filtered.text).toContain('1 event found');
    expect(filtered.text).not.toContain('Invitation sent</td>');

    const searched = await admin.get('/admin/audit?q=invitee');
    expect(searched.text).toContain('1 event found');
  });

  it('pages through a long log', async () => {
    const { agent: admin } = await t.signedInAgent({ roles: ['admin'] });
    const visitor = t.request();
    const token = csrfFrom((await visitor.get('/sign-in')).text);
    // 25 events a page: 30 refused sign-ins make a second page.
    for (let attempt = 0; attempt < 30; attempt += 1) {
      await visitor.post('/sign-in').type('form').send({ _csrf: token, email: `pager${attempt}@example.org`, password: 'wrong password!' });
    }
    const first = await admin.get('/admin/audit');
    const total = Number(/(\d+) events found/.exec(first.text)?.[1]);
    expect(total).toBeGreaterThan(25);
    expect(first.text).toContain('Page 1 of');
    const second = await admin.get('/admin/audit?page=2');
    expect(second.status).toBe(200);
    expect(second.text).toContain('Page 2 of');
  });

  it('lets only admins read it', async () => {
    const { agent: trainer } = await t.signedInAgent({ roles: ['trainer'] });
    expect((await trainer.get('/admin/audit')).status).toBe(403);
  });
});
