/**
 * Status changes are conditional updates, and turning an account off ends its sessions for good (one process;
 * the two-process bound is in revocation.test.ts).
 */
import mongoose from 'mongoose';
import { DEFAULT_PREFERENCES, type SignedInUser } from '../../server/people';
import { startTestApp, type TestApp, type TestUser } from '../support/app';

/** An admin as the services see the person acting. */
function by(user: TestUser): { actor: SignedInUser } {
  return { actor: { id: user.id, name: user.name, email: user.email, roles: user.roles, preferences: { ...DEFAULT_PREFERENCES }, sessionVersion: 0 } };
}

describe('account status', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.stop();
  });

  async function storedSessionsOf(userId: string): Promise<number> {
    return mongoose.connection.collection('sessions').countDocuments({ 'session.passport.user': userId });
  }

  it('an invitation accepted after the account was turned off leaves it off', async () => {
    const admin = await t.createUser({ roles: ['admin'] });
    const invited = await t.createUser({ status: 'invited' });
    await t.services.users.setAccountDisabled(by(admin), invited.id, true);
    expect(await t.services.users.activateInvitedAccount(invited.id, 'a-new-hash', 'Late Person')).toBe(false);
    expect((await t.services.users.getPerson(invited.id)).status).toBe('disabled');
  });

  it('turning an account off deletes its sessions; turning it on again brings none back', async () => {
    const { agent: admin, user: adminUser } = await t.signedInAgent({ roles: ['admin'] });
    const { agent: person, user } = await t.signedInAgent({ roles: ['learner'] });
    const elsewhere = t.request();
    await t.signIn(elsewhere, user.email, user.password);
    expect(await storedSessionsOf(user.id)).toBe(2);

    const page = await admin.get(`/admin/people/${user.id}`);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    expect((await admin.post(`/admin/people/${user.id}/status`).type('form').send({ _csrf: token, action: 'disable' })).status).toBe(303);
    expect(await storedSessionsOf(user.id)).toBe(0);
    expect(await storedSessionsOf(adminUser.id)).toBe(1);

    expect((await admin.post(`/admin/people/${user.id}/status`).type('form').send({ _csrf: token, action: 'enable' })).status).toBe(303);
    expect((await t.services.users.getPerson(user.id)).status).toBe('active');
    expect((await person.get('/preferences')).text).not.toContain('Signed in as');
    expect((await elsewhere.get('/preferences')).text).not.toContain('Signed in as');
    await t.signIn(t.request(), user.email, user.password);
  });

  it('turning on an account that never accepted its invitation returns it to invited, not active', async () => {
    const admin = await t.createUser({ roles: ['admin'] });
    const invited = await t.createUser({ status: 'invited' });
    await mongoose.connection.collection('users').updateOne({ _id: new mongoose.Types.ObjectId(invited.id) }, { $unset: { passwordHash: '' } });
    await t.services.users.setAccountDisabled(by(admin), invited.id, true);
    expect((await t.services.users.setAccountDisabled(by(admin), invited.id, false)).status).toBe('invited');
    // Asked again, nothing changes.
    expect((await t.services.users.setAccountDisabled(by(admin), invited.id, false)).status).toBe('invited');
  });
});
