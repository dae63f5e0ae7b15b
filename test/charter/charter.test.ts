/**
 * The co-production charter (issue #13), through the app on the in-memory engine: the shipped text is version 1;
 * co-facilitators are sent to accept it before the authoring pages, and again after an admin publishes a new
 * version; acceptances keep their version and date; only admins publish; history keeps every version.
 */
import { Types } from 'mongoose';
import { AuditEvent } from '../../server/audit/model';
import { CharterAcceptance, CharterVersion } from '../../server/charter/model';
import { Course } from '../../server/courses/model';
import { csrfFrom, startTestApp, type TestAgent, type TestApp, type TestUser } from '../support/app';

let t: TestApp;
let admin: { agent: TestAgent; user: TestUser };
let cofacilitator: { agent: TestAgent; user: TestUser };

beforeAll(async () => {
  t = await startTestApp();
  admin = await t.signedInAgent({ roles: ['admin'] });
  cofacilitator = await t.signedInAgent({ roles: ['co-facilitator'], name: 'River Example' });
});

afterAll(async () => {
  await t?.stop();
});

async function acceptances(user: TestUser): Promise<Array<{ version: number; acceptedAt: Date }>> {
  return CharterAcceptance.find({ user: new Types.ObjectId(user.id) }, { _id: 0, version: 1, acceptedAt: 1 }).sort({ version: 1 }).lean();
}

async function publish(agent: TestAgent, fields: Record<string, string>) {
  const page = await agent.get('/admin/charter');
  const token = csrfFrom(page.text);
  const basedOn = /name="basedOn" value="(\d+)"/.exec(page.text)?.[1] ?? '';
  return agent.post('/admin/charter').type('form').send({ _csrf: token, basedOn, ...fields });
}

describe('accepting the charter', () => {
  it('sends a co-facilitator to the shipped charter before the authoring pages, then back where they were going', async () => {
    const gated = await cofacilitator.agent.get('/manage/courses').redirects(0);
    expect(gated.status).toBe(303);
    expect(gated.headers.location).toBe(`/charter?next=${encodeURIComponent('/manage/courses')}`);

    const page = await cofacilitator.agent.get(gated.headers.location as string);
    expect(page.status).toBe(200);
    expect(page.text).toContain('The charter, version 1');
    expect(page.text).toContain('We are equal partners');
    expect(page.text).toContain('Please read this before you carry on');
    const token = csrfFrom(page.text);
    const accepted = await cofacilitator.agent.post('/charter/accept').type('form').send({ _csrf: token, version: '1', next: '/manage/courses' });
    expect(accepted.status).toBe(303);
    expect(accepted.headers.location).toBe('/manage/courses');
    expect((await cofacilitator.agent.get('/manage/courses').redirects(0)).status).toBe(200);

    const stored = await acceptances(cofacilitator.user);
    expect(stored.map((item) => item.version)).toEqual([1]);
    expect(stored[0]?.acceptedAt).toBeInstanceOf(Date);
    expect(await AuditEvent.countDocuments({ action: 'charter.accepted', actorId: new Types.ObjectId(cofacilitator.user.id) })).toBe(1);
    // Accepting twice records it once.
    await cofacilitator.agent.post('/charter/accept').type('form').send({ _csrf: token, version: '1' });
    expect(await acceptances(cofacilitator.user)).toHaveLength(1);
  });

  it('does not stop trainers, and asks people added to an authoring team as co-facilitators', async () => {
    const trainer = await t.signedInAgent({ roles: ['trainer'] });
    expect((await trainer.agent.get('/manage/courses').redirects(0)).status).toBe(200);
    const member = await t.createUser({ roles: ['learner'] });
    expect(await t.services.charter.mustAcceptCharter({ id: member.id, roles: ['learner'] })).toBe(false);
    await Course.create({
      slug: 'team-course',
      title: 'Team course',
      summary: 'A course with a team.',
      audience: 'Staff',
      estimatedMinutes: 10,
      authoringTeam: [{ user: new Types.ObjectId(member.id), role: 'co-facilitator', livedExperience: true, addedAt: new Date() }],
    });
    expect(await t.services.charter.mustAcceptCharter({ id: member.id, roles: ['learner'] })).toBe(true);
  });
});

describe('a new version', () => {
  it('is published by an admin with a change note, kept in the history, and asks co-facilitators again', async () => {
    const current = await CharterVersion.findOne({ version: 1 }).lean();
    const published = await publish(admin.agent, {
      text: `${current?.text ?? ''}\n\n### We meet where it suits you\n\n- Online or in person, at times that work for families.`,
      changeNote: 'We added a part on where and when we meet.',
    });
    expect(published.status).toBe(303);
    const adminPage = await admin.agent.get('/admin/charter');
    expect(adminPage.text).toContain('The charter in force is version 2');
    expect(adminPage.text).toContain('We added a part on where and when we meet.');
    expect(adminPage.text).toContain('href="/admin/charter/versions/1"');
    expect(adminPage.text).toContain('River Example');
    const old = await admin.agent.get('/admin/charter/versions/1');
    expect(old.status).toBe(200);
    expect(old.text).not.toContain('We meet where it suits you');
    expect(await AuditEvent.countDocuments({ action: 'charter.published' })).toBe(1);

    const gated = await cofacilitator.agent.get('/manage/courses').redirects(0);
    expect(gated.status).toBe(303);
    const page = await cofacilitator.agent.get(gated.headers.location as string);
    expect(page.text).toContain('You accepted version 1. There is a new version.');
    expect(page.text).toContain('We added a part on where and when we meet.');
    expect(page.text).toContain('We meet where it suits you');

    // Accepting the old version the page showed before is refused: they must read the new one.
    const token = csrfFrom(page.text);
    const stale = await cofacilitator.agent.post('/charter/accept').type('form').send({ _csrf: token, version: '1' });
    expect(stale.status).toBe(303);
    expect((await acceptances(cofacilitator.user)).map((item) => item.version)).toEqual([1]);

    await cofacilitator.agent.post('/charter/accept').type('form').send({ _csrf: token, version: '2' });
    expect((await acceptances(cofacilitator.user)).map((item) => item.version)).toEqual([1, 2]);
    expect((await cofacilitator.agent.get('/manage/courses').redirects(0)).status).toBe(200);
  });

  it('refuses a publish without a change note or over a newer version, keeping the text typed', async () => {
    const noNote = await publish(admin.agent, { text: 'Short new text.', changeNote: '' });
    expect(noNote.status).toBe(422);
    expect(noNote.text).toContain('Say in a few words what changed');
    expect(noNote.text).toContain('Short new text.');

    const token = csrfFrom((await admin.agent.get('/admin/charter')).text);
    const stale = await admin.agent.post('/admin/charter').type('form').send({ _csrf: token, basedOn: '1', text: 'My edit of version 1.', changeNote: 'Edits' });
    expect(stale.status).toBe(409);
    expect(stale.text).toContain('Someone published version 2 while you were editing');
    expect(stale.text).toContain('My edit of version 1.');
    expect(await CharterVersion.countDocuments()).toBe(2);
  });

  it('may be published by admins only', async () => {
    for (const roles of [['trainer'], ['co-facilitator'], ['learner']] as const) {
      const { agent } = await t.signedInAgent({ roles: [...roles] });
      expect((await agent.get('/admin/charter')).status).toBe(403);
      const token = csrfFrom((await agent.get('/charter')).text);
      const refused = await agent.post('/admin/charter').type('form').send({ _csrf: token, basedOn: '2', text: 'Taken over', changeNote: 'x' });
      expect(refused.status).toBe(403);
    }
    await expect(t.services.charter.publishCharter({ id: cofacilitator.user.id, roles: ['co-facilitator'] }, { text: 'x', changeNote: 'y', basedOn: 2 })).rejects.toThrow('Only admins');
    expect(await CharterVersion.countDocuments()).toBe(2);
  });
});
