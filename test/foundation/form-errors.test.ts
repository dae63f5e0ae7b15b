/**
 * Every foundation form, sent wrongly: the page comes back with 422, a summary at the top linking to each field,
 * the message beside the field, and what the person typed kept (never a password).
 */
import { csrfFrom, startTestApp, type TestAgent, type TestApp } from '../support/app';

describe('forms that need correcting', () => {
  let t: TestApp;
  let admin: TestAgent;
  let personId: string;
  let teamId: string;
  let invitationPath: string;

  beforeAll(async () => {
    t = await startTestApp();
    admin = (await t.signedInAgent({ roles: ['admin'] })).agent;
    personId = (await t.createUser()).id;
    const teams = await admin.get('/admin/teams');
    const created = await admin.post('/admin/teams').type('form').send({ _csrf: csrfFrom(teams.text), name: 'Form team' });
    teamId = String(created.headers.location).split('/').pop() ?? '';
    const invite = await admin.get('/admin/people/invite');
    await admin.post('/admin/people/invite').type('form').send({ _csrf: csrfFrom(invite.text), email: 'form.invitee@example.org', roles: 'learner' });
    invitationPath = new URL((await t.latestMail('form.invitee@example.org')).links[0] ?? '').pathname;
  });

  afterAll(async () => {
    await t.stop();
  });

  const cases: Array<{ form: string; page: () => string; action: () => string; signedIn: boolean; body: Record<string, string>; fields: Record<string, string>; kept?: string }> = [
    { form: 'sign-in', page: () => '/sign-in', action: () => '/sign-in', signedIn: false, body: { email: 'sam@', password: '' }, fields: { email: 'Enter an email address like name@example.org', password: 'Enter your password' }, kept: 'value="sam@"' },
    { form: 'password reset request', page: () => '/password-reset', action: () => '/password-reset', signedIn: false, body: { email: '' }, fields: { email: 'Enter your email address' } },
    { form: 'invitation acceptance', page: () => invitationPath, action: () => invitationPath, signedIn: false, body: { name: '', password: 'x', confirmPassword: 'y' }, fields: { name: 'Enter your name', password: 'Use at least 10 characters', confirmPassword: 'The two passwords are not the same' } },
    { form: 'invitation', page: () => '/admin/people/invite', action: () => '/admin/people/invite', signedIn: true, body: { email: 'jo at example', teamId: 'x' }, fields: { email: 'Enter an email address like name@example.org', roles: 'Choose at least one role', teamId: 'Choose a team from the list' }, kept: 'value="jo at example"' },
    { form: 'roles', page: () => `/admin/people/${personId}`, action: () => `/admin/people/${personId}/roles`, signedIn: true, body: {}, fields: { roles: 'Choose at least one role' } },
    { form: 'account status', page: () => `/admin/people/${personId}`, action: () => `/admin/people/${personId}/status`, signedIn: true, body: { action: 'explode' }, fields: { action: 'Choose turn off or turn on' } },
    { form: 'new team', page: () => '/admin/teams', action: () => '/admin/teams', signedIn: true, body: { name: '' }, fields: { name: 'Enter a name for the team' } },
    { form: 'team member', page: () => `/admin/teams/${teamId}`, action: () => `/admin/teams/${teamId}/members`, signedIn: true, body: { email: 'nobody', as: 'boss' }, fields: { email: 'Enter an email address like name@example.org', as: 'Choose member or trainer' }, kept: 'value="nobody"' },
  ];

  it.each(cases)('the $form form names each field', async ({ page, action, signedIn, body, fields, kept }) => {
    const agent = signedIn ? admin : t.request();
    const token = csrfFrom((await agent.get(page())).text);
    const response = await agent.post(action()).type('form').send({ _csrf: token, ...body });
    expect(response.status).toBe(422);
    expect(response.text).toContain('There is a problem');
    for (const [field, message] of Object.entries(fields)) {
      expect(response.text).toContain(`href="#${field}"`);
      expect(response.text).toContain(message);
    }
    if (kept) expect(response.text).toContain(kept);
    expect(response.text).toMatch(/<title>Error: /);
  });

  it('the CSV upload names the file field when the file has no email column or is missing', async () => {
    const token = csrfFrom((await admin.get('/admin/people/invite')).text);
    const noEmail = await admin.post('/admin/people/invite-csv').field('_csrf', token).attach('file', Buffer.from('name\nSam\n'), { filename: 'people.csv', contentType: 'text/csv' });
    expect(noEmail.status).toBe(422);
    expect(noEmail.text).toContain('href="#file"');
    expect(noEmail.text).toContain('one of them must be &#34;email&#34;');
    const missing = await admin.post('/admin/people/invite-csv').field('_csrf', token);
    expect(missing.status).toBe(422);
    expect(missing.text).toContain('Choose a CSV file to upload');
  });
});
