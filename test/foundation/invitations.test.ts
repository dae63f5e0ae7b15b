import { csrfFrom, startTestApp, type TestApp } from '../support/app';

describe('invitations', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('lets an admin invite someone who then sets a name and password through the emailed link', async () => {
    const { agent: admin } = await t.signedInAgent({ roles: ['admin'] });
    const token = await t.csrfToken(admin, '/admin/people/invite');
    const sent = await admin.post('/admin/people/invite').type('form').send({ _csrf: token, email: 'New.Person@Example.org', roles: ['learner', 'co-facilitator'], teamId: '' });
    expect(sent.status).toBe(303);

    const mail = await t.latestMail('new.person@example.org');
    expect(mail.subject).toBe('You are invited to Coproduce');
    const link = mail.links.find((href) => href.includes('/invitations/'));
    expect(link).toBeDefined();
    const invitationPath = new URL(link ?? '').pathname;

    const invitee = t.request();
    const form = await invitee.get(invitationPath);
    expect(form.status).toBe(200);
    expect(form.text).toContain('new.person@example.org');
    const accepted = await invitee
      .post(invitationPath)
      .type('form')
      .send({ _csrf: csrfFrom(form.text), name: 'Nat Person', password: 'a long new password', confirmPassword: 'a long new password' });
    expect(accepted.status).toBe(303);
    expect((await invitee.get('/preferences')).text).toContain('Signed in as Nat Person');

    // The link works once.
    const again = await t.request().get(invitationPath);
    expect(again.status).toBe(410);
    expect(again.text).toContain('This link does not work any more');

    // And the new password works at the sign-in form.
    await t.signIn(t.request(), 'new.person@example.org', 'a long new password');
  });

  it('re-shows the acceptance form with the name kept and each problem beside its field', async () => {
    const { agent: admin } = await t.signedInAgent({ roles: ['admin'] });
    const token = await t.csrfToken(admin, '/admin/people/invite');
    await admin.post('/admin/people/invite').type('form').send({ _csrf: token, email: 'second@example.org', roles: 'learner' });
    const invitationPath = new URL((await t.latestMail('second@example.org')).links[0] ?? '').pathname;
    const invitee = t.request();
    const form = await invitee.get(invitationPath);
    const response = await invitee.post(invitationPath).type('form').send({ _csrf: csrfFrom(form.text), name: 'Sam', password: 'short', confirmPassword: 'different' });
    expect(response.status).toBe(422);
    expect(response.text).toContain('value="Sam"');
    expect(response.text).toContain('Use at least 10 characters');
    expect(response.text).toContain('The two passwords are not the same');
    expect(response.text).toContain('href="#password"');
  });

  it('does not let a trainer invite an admin', async () => {
    const { agent: trainer } = await t.signedInAgent({ roles: ['trainer'] });
    const token = await t.csrfToken(trainer, '/admin/people/invite');
    const response = await trainer.post('/admin/people/invite').type('form').send({ _csrf: token, email: 'boss@example.org', roles: 'admin' });
    expect(response.status).toBe(422);
    expect(response.text).toContain('Ask an admin to invite trainers or admins');
    await expect(t.latestMail('boss@example.org')).rejects.toThrow('No mail');
  });

  it('names the field when the invitation form is filled in wrongly', async () => {
    const { agent: admin } = await t.signedInAgent({ roles: ['admin'] });
    const token = await t.csrfToken(admin, '/admin/people/invite');
    const response = await admin.post('/admin/people/invite').type('form').send({ _csrf: token, email: 'not an email', teamId: 'zzz' });
    expect(response.status).toBe(422);
    expect(response.text).toContain('Enter an email address like name@example.org');
    expect(response.text).toContain('Choose at least one role');
    expect(response.text).toContain('Choose a team from the list');
    expect(response.text).toContain('value="not an email"');
  });

  it('invites many people from a CSV file and reports each row', async () => {
    const { agent: admin } = await t.signedInAgent({ roles: ['admin'] });
    const teamToken = await t.csrfToken(admin, '/admin/teams');
    expect((await admin.post('/admin/teams').type('form').send({ _csrf: teamToken, name: 'Day service' })).status).toBe(303);

    const csv = 'email,roles,team\ncsv.one@example.org,learner,Day service\ncsv.two@example.org,co-facilitator,\nbroken-email,learner,\ncsv.three@example.org,learner,No such team\n';
    const token = await t.csrfToken(admin, '/admin/people/invite');
    const response = await admin
      .post('/admin/people/invite-csv')
      .field('_csrf', token)
      .attach('file', Buffer.from(csv), { filename: 'people.csv', contentType: 'text/csv' });
    expect(response.status).toBe(200);
    expect(response.text).toContain('2 sent. 2 not sent.');
    expect(response.text).toContain('There is no team called &#34;No such team&#34;');
    expect((await t.latestMail('csv.one@example.org')).subject).toBe('You are invited to Coproduce');
    expect((await t.latestMail('csv.two@example.org')).subject).toBe('You are invited to Coproduce');

    const team = await admin.get('/admin/teams');
    expect(team.text).toMatch(/Day service<\/a><\/td><td class="numeric">1</);
  });

  it('refuses an upload that is not text, and an upload without the CSRF field', async () => {
    const { agent: admin } = await t.signedInAgent({ roles: ['admin'] });
    const token = await t.csrfToken(admin, '/admin/people/invite');
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    const binary = await admin.post('/admin/people/invite-csv').field('_csrf', token).attach('file', png, { filename: 'people.csv', contentType: 'text/csv' });
    expect(binary.status).toBe(422);
    expect(binary.text).toContain('is not a file type we can use here');

    const forged = await admin.post('/admin/people/invite-csv').attach('file', Buffer.from('email\na@example.org\n'), { filename: 'people.csv', contentType: 'text/csv' });
    expect(forged.status).toBe(403);
    await expect(t.latestMail('a@example.org')).rejects.toThrow('No mail');
  });

  it('refuses a file over the size limit, naming the field, and a form whose token comes after the file', async () => {
    const { agent: admin } = await t.signedInAgent({ roles: ['admin'] });
    const token = await t.csrfToken(admin, '/admin/people/invite');
    const large = Buffer.from(`email\n${'x'.repeat(210_000)}@example.org\n`);
    const tooLarge = await admin.post('/admin/people/invite-csv').field('_csrf', token).attach('file', large, { filename: 'people.csv', contentType: 'text/csv' });
    expect(tooLarge.status).toBe(422);
    expect(tooLarge.text).toContain('The file is too large. It can be up to 200 KB.');

    const tokenLast = await admin
      .post('/admin/people/invite-csv')
      .attach('file', Buffer.from('email\nlate@example.org\n'), { filename: 'people.csv', contentType: 'text/csv' })
      .field('_csrf', token);
    expect(tokenLast.status).toBe(403);
    await expect(t.latestMail('late@example.org')).rejects.toThrow('No mail');
  });

  it('lets an admin send an invitation again: the new link works and the old one does not', async () => {
    const { agent: admin } = await t.signedInAgent({ roles: ['admin'] });
    const token = await t.csrfToken(admin, '/admin/people/invite');
    await admin.post('/admin/people/invite').type('form').send({ _csrf: token, email: 'again@example.org', roles: 'learner' });
    const firstLink = new URL((await t.latestMail('again@example.org')).links[0] ?? '').pathname;

    const people = await admin.get('/admin/people?q=again');
    const personId = /href="\/admin\/people\/([a-f0-9]{24})"/.exec(people.text)?.[1] ?? '';
    const page = await admin.get(`/admin/people/${personId}`);
    expect(page.text).toContain('<h1>again@example.org</h1>');
    const resent = await admin.post(`/admin/people/${personId}/invitation`).type('form').send({ _csrf: csrfFrom(page.text) });
    expect(resent.status).toBe(303);
    expect((await admin.get(`/admin/people/${personId}`)).text).toContain('We have sent a new invitation to again@example.org.');

    const secondLink = new URL((await t.latestMail('again@example.org')).links[0] ?? '').pathname;
    expect(secondLink).not.toBe(firstLink);
    expect((await t.request().get(firstLink)).status).toBe(410);
    expect((await t.request().get(secondLink)).status).toBe(200);
  });
});
