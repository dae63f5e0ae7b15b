import { csrfFrom, startTestApp, type TestAgent, type TestApp } from '../support/app';

describe('teams', () => {
  let t: TestApp;
  let admin: TestAgent;
  beforeAll(async () => {
    t = await startTestApp();
    admin = (await t.signedInAgent({ roles: ['admin'] })).agent;
  });
  afterAll(async () => {
    await t.stop();
  });

  async function createTeam(name: string): Promise<string> {
    const page = await admin.get('/admin/teams');
    const created = await admin.post('/admin/teams').type('form').send({ _csrf: csrfFrom(page.text), name });
    expect(created.status).toBe(303);
    return String(created.headers.location).split('/').pop() ?? '';
  }

  async function addToTeam(agent: TestAgent, teamId: string, email: string, as: 'member' | 'trainer') {
    const page = await agent.get(`/admin/teams/${teamId}`);
    return agent.post(`/admin/teams/${teamId}/members`).type('form').send({ _csrf: csrfFrom(page.text), email, as });
  }

  it('lets a trainer look after the teams they train, and only those', async () => {
    const north = await createTeam('North team');
    const south = await createTeam('South team');
    const { agent: trainer, user: trainerUser } = await t.signedInAgent({ roles: ['trainer'] });
    const learner = await t.createUser({ roles: ['learner'], name: 'Lou North' });
    const stranger = await t.createUser({ roles: ['learner'], name: 'Sol South' });
    expect((await addToTeam(admin, north, trainerUser.email, 'trainer')).status).toBe(303);
    expect((await addToTeam(admin, south, stranger.email, 'member')).status).toBe(303);

    const teams = await trainer.get('/admin/teams');
    expect(teams.text).toContain('North team');
    expect(teams.text).not.toContain('South team');
    expect((await trainer.get(`/admin/teams/${south}`)).status).toBe(403);

    expect((await addToTeam(trainer, north, learner.email, 'member')).status).toBe(303);
    const people = await trainer.get('/admin/people');
    expect(people.text).toContain('Lou North');
    expect(people.text).not.toContain('Sol South');

    const southToken = csrfFrom((await trainer.get('/admin/teams')).text);
    const intoSouth = await trainer.post(`/admin/teams/${south}/members`).type('form').send({ _csrf: southToken, email: learner.email, as: 'member' });
    expect(intoSouth.status).toBe(403);
    const removeFromSouth = await trainer.post(`/admin/teams/${south}/members/${stranger.id}/remove`).type('form').send({ _csrf: southToken });
    expect(removeFromSouth.status).toBe(403);
    expect((await admin.get(`/admin/teams/${south}`)).text).toContain('Sol South');

    const page = await trainer.get(`/admin/teams/${north}`);
    const removed = await trainer.post(`/admin/teams/${north}/members/${learner.id}/remove`).type('form').send({ _csrf: csrfFrom(page.text) });
    expect(removed.status).toBe(303);
    expect((await trainer.get(`/admin/teams/${north}`)).text).not.toContain('Lou North');
  });

  it('does not let a trainer make someone a trainer of a team', async () => {
    const team = await createTeam('East team');
    const { agent: trainer, user } = await t.signedInAgent({ roles: ['trainer'] });
    await addToTeam(admin, team, user.email, 'trainer');
    const other = await t.createUser({ roles: ['learner'] });
    const response = await addToTeam(trainer, team, other.email, 'trainer');
    expect(response.status).toBe(403);
    expect(response.text).toContain('Only an admin can add trainers to a team');
  });

  it('names the field when a team name is missing or taken, or a person has no account', async () => {
    const page = await admin.get('/admin/teams');
    const empty = await admin.post('/admin/teams').type('form').send({ _csrf: csrfFrom(page.text), name: '   ' });
    expect(empty.status).toBe(422);
    expect(empty.text).toContain('Enter a name for the team');
    await createTeam('West team');
    const taken = await admin.post('/admin/teams').type('form').send({ _csrf: csrfFrom(page.text), name: 'west   TEAM' });
    expect(taken.status).toBe(409);
    expect(taken.text).toContain('There is already a team with this name');

    const team = await createTeam('Central team');
    const unknown = await addToTeam(admin, team, 'nobody@example.org', 'member');
    expect(unknown.status).toBe(422);
    expect(unknown.text).toContain('Invite them first');
    expect(unknown.text).toContain('value="nobody@example.org"');
  });
});
