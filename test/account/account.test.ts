/**
 * Each person's own account page (/account): name and email (a new address confirmed by a link sent to it),
 * password (the current one asked for; other sessions end), sign out everywhere, certificates with check links.
 */
import { Types } from 'mongoose';
import { csrfFrom, startTestApp, type TestAgent, type TestApp } from '../support/app';

describe('my account', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.stop();
  });

  async function signedIn(agent: TestAgent): Promise<boolean> {
    return (await agent.get('/preferences')).text.includes('Signed in as');
  }

  async function auditActionsFor(email: string): Promise<string[]> {
    return (await t.services.audit.listAuditEvents({ search: email, page: 1, pageSize: 50 })).items.map((item) => item.action);
  }

  it('is linked from the navigation, and asks anonymous people to sign in', async () => {
    const { agent, user } = await t.signedInAgent({ name: 'Ada Account' });
    const page = await agent.get('/account');
    expect(page.status).toBe(200);
    expect(page.text).toContain('href="/account" aria-current="page"');
    expect(page.text).toContain('value="Ada Account"');
    expect(page.text).toContain(`value="${user.email}"`);
    expect(page.text).toContain('You have no certificates yet');
    const anonymous = await t.request().get('/account');
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.location).toBe('/sign-in?next=%2Faccount');
  });

  it('saves a new name at once, with an audit event', async () => {
    const { agent, user } = await t.signedInAgent({ name: 'Old Name' });
    const token = await t.csrfToken(agent, '/account');
    const saved = await agent.post('/account/details').type('form').send({ _csrf: token, name: 'New Name', email: user.email });
    expect(saved.status).toBe(303);
    const page = await agent.get('/account');
    expect(page.text).toContain('Your name is saved.');
    expect(page.text).toContain('Signed in as New Name');
    expect(await auditActionsFor(user.email)).toContain('account.name-changed');
  });

  it('changes the email only once the link sent to the new address is opened and confirmed', async () => {
    const { agent, user } = await t.signedInAgent({ name: 'Mover' });
    const token = await t.csrfToken(agent, '/account');
    const asked = await agent.post('/account/details').type('form').send({ _csrf: token, name: 'Mover', email: 'Moved.Here@example.org' });
    expect(asked.status).toBe(303);
    expect((await agent.get('/account')).text).toContain('We sent a link to moved.here@example.org');
    // Not yet changed: the old address still signs in.
    await t.signIn(t.request(), user.email, user.password);

    const mail = await t.latestMail('moved.here@example.org');
    expect(mail.subject).toBe('Confirm your new email address for Coproduce');
    const linkPath = new URL(mail.links.find((link) => link.includes('/account/email/')) ?? '').pathname;
    // Opening the link (as a mail scanner would) changes nothing.
    const opened = await t.request().get(linkPath);
    expect(opened.status).toBe(200);
    expect(opened.text).toContain('moved.here@example.org');
    await t.signIn(t.request(), user.email, user.password);

    const visitor = t.request();
    const confirmPage = await visitor.get(linkPath);
    const confirmed = await visitor.post(linkPath).type('form').send({ _csrf: csrfFrom(confirmPage.text) });
    expect(confirmed.status).toBe(303);
    await t.signIn(t.request(), 'moved.here@example.org', user.password);
    await expect(t.signIn(t.request(), user.email, user.password)).rejects.toThrow(/failed with status 401/);
    expect((await t.latestMail(user.email)).subject).toBe('Your Coproduce email address has changed');
    expect((await t.request().get(linkPath)).status).toBe(410);
    expect(await auditActionsFor(user.email)).toContain('account.email-change-requested');
    expect(await auditActionsFor('moved.here@example.org')).toContain('account.email-changed');
  });

  it('keeps what was typed and names each problem (422), and refuses an address another account has', async () => {
    const other = await t.createUser();
    const { agent } = await t.signedInAgent({ name: 'Keeper' });
    const token = await t.csrfToken(agent, '/account');
    const empty = await agent.post('/account/details').type('form').send({ _csrf: token, name: '', email: 'not an email' });
    expect(empty.status).toBe(422);
    expect(empty.text).toContain('Enter your name');
    expect(empty.text).toContain('Enter an email address like name@example.org');
    expect(empty.text).toContain('value="not an email"');
    expect(empty.text).toContain('href="#email"');
    const taken = await agent.post('/account/details').type('form').send({ _csrf: token, name: 'Keeper Two', email: other.email });
    expect(taken.status).toBe(422);
    expect(taken.text).toContain('There is already an account with this email address');
    expect(taken.text).toContain('value="Keeper Two"');
  });

  it('changes the password only with the current one, and ends the person’s other sessions', async () => {
    const { agent, user } = await t.signedInAgent();
    const phone = t.request();
    await t.signIn(phone, user.email, user.password);
    const token = await t.csrfToken(agent, '/account');
    const wrong = await agent
      .post('/account/password')
      .type('form')
      .send({ _csrf: token, currentPassword: 'not my password', password: 'a brand new password', confirmPassword: 'a brand new password' });
    expect(wrong.status).toBe(422);
    expect(wrong.text).toContain('This is not your current password');
    expect(wrong.text).not.toContain('a brand new password');
    expect(await signedIn(phone)).toBe(true);

    const changed = await agent
      .post('/account/password')
      .type('form')
      .send({ _csrf: token, currentPassword: user.password, password: 'a brand new password', confirmPassword: 'a brand new password' });
    expect(changed.status).toBe(303);
    expect(await signedIn(agent)).toBe(true);
    expect(await signedIn(phone)).toBe(false);
    await t.signIn(t.request(), user.email, 'a brand new password');
    await expect(t.signIn(t.request(), user.email, user.password)).rejects.toThrow(/401/);
    expect(await auditActionsFor(user.email)).toContain('account.password-changed');
  });

  it('signs out everywhere, this browser too', async () => {
    const { agent, user } = await t.signedInAgent();
    const laptop = t.request();
    await t.signIn(laptop, user.email, user.password);
    const token = await t.csrfToken(agent, '/account');
    const response = await agent.post('/account/sign-out-everywhere').type('form').send({ _csrf: token });
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe('/sign-in');
    expect((await agent.get('/sign-in')).text).toContain('You are signed out on every device');
    expect(await signedIn(agent)).toBe(false);
    expect(await signedIn(laptop)).toBe(false);
    await t.signIn(t.request(), user.email, user.password);
    expect(await auditActionsFor(user.email)).toContain('account.signed-out-everywhere');
  });

  it('lists the person’s certificates with their check links', async () => {
    const { agent, user } = await t.signedInAgent({ name: 'Certified Person' });
    const certificate = await t.services.certificates.issueCertificate({
      enrolmentId: new Types.ObjectId().toString(),
      learnerId: user.id,
      learnerName: user.name,
      courseId: new Types.ObjectId().toString(),
      courseSlug: 'a-course',
      courseTitle: 'Understanding autism',
      version: 2,
      completedAt: new Date('2026-11-03T10:00:00Z'),
    });
    const page = await agent.get('/account');
    expect(page.text).toContain('Understanding autism (version 2)');
    expect(page.text).toContain('3 November 2026');
    expect(page.text).toContain(`href="${t.config.baseUrl}/certificates/verify/${certificate.verificationCode}"`);
    expect(page.text).toContain(`href="/certificates/${certificate.number}.pdf"`);
    const verify = await t.request().get(`/certificates/verify/${certificate.verificationCode}`);
    expect(verify.status).toBe(200);
  });

  it('refuses a form without its CSRF token', async () => {
    const { agent, user } = await t.signedInAgent();
    const forged = await agent.post('/account/details').type('form').send({ name: 'Forged', email: user.email });
    expect(forged.status).toBe(403);
    const everywhere = await agent.post('/account/sign-out-everywhere').type('form').send({});
    expect(everywhere.status).toBe(403);
    expect(await signedIn(agent)).toBe(true);
  });
});
