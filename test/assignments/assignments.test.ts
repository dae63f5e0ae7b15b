/**
 * Assignments through the trainer's pages, as a trainer and learners would see them: team assignments reach
 * people who join later; relative due dates and recertification; completions recorded elsewhere are audited and
 * can be withdrawn; a trainer manages only their teams.
 */
import { Types } from 'mongoose';
import { AuditEvent } from '../../server/audit/model';
import { Enrolment } from '../../server/learning/model';
import { csrfFrom, startTestApp, type TestAgent, type TestApp } from '../support/app';
import { importFixtureCourse, type FixtureCourse } from '../learning/support/fixture-course';

let t: TestApp;
let course: FixtureCourse;

const DAY_MS = 24 * 60 * 60 * 1000;
const day = (iso: string): Date => new Date(`${iso}T00:00:00.000Z`);

beforeAll(async () => {
  t = await startTestApp();
  course = await importFixtureCourse(t.services);
});

afterAll(async () => {
  t.setNow(null);
  await course?.cleanUp();
  await t?.stop();
});

afterEach(() => t.setNow(null));

async function postForm(agent: TestAgent, pagePath: string, action: string, fields: Record<string, string | string[]>) {
  const token = csrfFrom((await agent.get(pagePath)).text);
  return agent.post(action).type('form').send({ _csrf: token, ...fields });
}

async function trainerWithTeam(name: string) {
  const trainer = await t.signedInAgent({ roles: ['trainer'] });
  const team = await t.services.teams.createTeam(name);
  await t.services.teams.addTrainers(team.id, [trainer.user.id]);
  return { ...trainer, team };
}

describe('assigning a course to a team', () => {
  it('reaches people who join later, each with their own relative due date; people who leave keep their records', async () => {
    const { agent, team } = await trainerWithTeam('Later joiners team');
    const early = await t.signedInAgent({ roles: ['learner'] });
    t.setNow(new Date('2026-03-01T09:00:00Z'));
    await t.services.teams.addMembers(team.id, [early.user.id], t.now());

    t.setNow(new Date('2026-03-10T15:00:00Z'));
    const created = await postForm(agent, '/manage/assignments/new', '/manage/assignments', {
      courseId: course.courseId,
      targetKind: 'team',
      teamIds: [team.id],
      dueRule: 'after-assigned',
      dueDays: '30',
    });
    expect(created.status).toBe(303);
    const list = await agent.get('/manage/assignments');
    expect(list.text).toContain('Team: Later joiners team');
    expect(list.text).toContain('30 days after being assigned');

    // Someone who joins ten days later is due 30 days after joining, not after the assignment.
    const later = await t.signedInAgent({ roles: ['learner'] });
    t.setNow(new Date('2026-03-20T08:00:00Z'));
    await t.services.teams.addMembers(team.id, [later.user.id], t.now());

    const earlyStatus = await t.services.assignments.statusesForLearner(early.user.id);
    const laterStatus = await t.services.assignments.statusesForLearner(later.user.id);
    expect(earlyStatus).toEqual([expect.objectContaining({ courseId: course.courseId, state: 'not-started', dueAt: day('2026-04-09') })]);
    expect(laterStatus).toEqual([expect.objectContaining({ courseId: course.courseId, state: 'not-started', dueAt: day('2026-04-19') })]);
    const dashboard = await later.agent.get('/dashboard');
    expect(dashboard.text).toContain('Due 19 April 2026');

    // The early member starts the course, then leaves the team: the assignment no longer reaches them, their
    // enrolment stays theirs.
    const token = csrfFrom((await early.agent.get('/dashboard')).text);
    await early.agent.post(`/courses/${course.slug}/start`).type('form').send({ _csrf: token }).expect(303);
    await t.services.teams.removeFromTeam(team.id, early.user.id);
    expect(await t.services.assignments.statusesForLearner(early.user.id)).toEqual([]);
    expect(await Enrolment.countDocuments({ learner: new Types.ObjectId(early.user.id), course: new Types.ObjectId(course.courseId) })).toBe(1);
    const afterLeaving = await early.agent.get('/dashboard');
    expect(afterLeaving.text).not.toContain('Assigned to you');
    expect(afterLeaving.text).toContain('In progress');
  });

  it('"after joining the team" counts from joining, so a long-standing member is overdue at once', async () => {
    const { agent, team } = await trainerWithTeam('Induction team');
    const member = await t.signedInAgent({ roles: ['learner'] });
    await t.services.teams.addMembers(team.id, [member.user.id], new Date(Date.now() - 100 * DAY_MS));
    const created = await postForm(agent, '/manage/assignments/new', '/manage/assignments', {
      courseId: course.courseId,
      targetKind: 'team',
      teamIds: team.id,
      dueRule: 'after-joined',
      dueDays: '14',
    });
    expect(created.status).toBe(303);
    const [status] = await t.services.assignments.statusesForLearner(member.user.id);
    expect(status).toMatchObject({ state: 'overdue', pastDue: true });
    const dashboard = await member.agent.get('/dashboard');
    expect(dashboard.text).toContain('Was due');
  });

  it('keeps what was typed and says what to fix when the form is incomplete', async () => {
    const { agent, team } = await trainerWithTeam('Form errors team');
    const response = await postForm(agent, '/manage/assignments/new', '/manage/assignments', {
      courseId: course.courseId,
      targetKind: 'team',
      teamIds: team.id,
      dueRule: 'fixed',
      dueDays: '12',
      dueAt: '',
    });
    expect(response.status).toBe(422);
    expect(response.text).toContain('There is a problem');
    expect(response.text).toContain('Enter the date the course is due');
    expect(response.text).toMatch(/name="dueDays" value="12"/);
    const noTeam = await postForm(agent, '/manage/assignments/new', '/manage/assignments', {
      courseId: course.courseId,
      targetKind: 'team',
      dueRule: 'after-assigned',
      dueDays: 'ten',
    });
    expect(noTeam.status).toBe(422);
    expect(noTeam.text).toContain('Enter the number of days as a whole number');
  });

  it('withdrawing an assignment stops it reaching anyone and is audited', async () => {
    const { agent, team, user: trainer } = await trainerWithTeam('Withdraw team');
    const member = await t.signedInAgent({ roles: ['learner'] });
    await t.services.teams.addMembers(team.id, [member.user.id]);
    await postForm(agent, '/manage/assignments/new', '/manage/assignments', {
      courseId: course.courseId,
      targetKind: 'team',
      teamIds: team.id,
      dueRule: 'after-assigned',
      dueDays: '5',
    });
    expect(await t.services.assignments.statusesForLearner(member.user.id)).toHaveLength(1);
    const list = await agent.get('/manage/assignments');
    const id = /action="\/manage\/assignments\/([0-9a-f]{24})\/withdraw"/.exec(list.text)?.[1];
    expect(id).toBeDefined();
    const withdrawn = await postForm(agent, '/manage/assignments', `/manage/assignments/${id}/withdraw`, {});
    expect(withdrawn.status).toBe(303);
    expect(await t.services.assignments.statusesForLearner(member.user.id)).toEqual([]);
    expect(await AuditEvent.countDocuments({ action: 'assignment.created', actorId: new Types.ObjectId(trainer.id) })).toBe(1);
    expect(await AuditEvent.countDocuments({ action: 'assignment.withdrawn', targetId: id })).toBe(1);
  });
});

describe('recertification and completions recorded elsewhere', () => {
  it('a recorded completion counts until it expires, shows as recorded, is audited, and can be withdrawn', async () => {
    const { agent, team, user: trainer } = await trainerWithTeam('Recert team');
    const member = await t.signedInAgent({ roles: ['learner'] });
    await t.services.teams.addMembers(team.id, [member.user.id]);
    t.setNow(new Date('2026-01-15T10:00:00Z'));
    await postForm(agent, '/manage/assignments/new', '/manage/assignments', {
      courseId: course.courseId,
      targetKind: 'team',
      teamIds: team.id,
      dueRule: 'fixed',
      dueAt: '2026-02-28',
      recertifyMonths: '12',
    });

    // Reason required: the form comes back with the date kept.
    const personPage = `/manage/assignments/people/${member.user.id}`;
    const refused = await postForm(agent, personPage, `${personPage}/completions`, { courseId: course.courseId, completedAt: '2026-01-10', reason: '  ' });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('Say why you are recording this completion');
    expect(refused.text).toContain('value="2026-01-10"');

    // Recorded with evidence (multipart, through the upload factory).
    const token = csrfFrom((await agent.get(personPage)).text);
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n');
    const recorded = await agent
      .post(`${personPage}/completions`)
      .field('_csrf', token)
      .field('courseId', course.courseId)
      .field('completedAt', '2026-01-10')
      .field('reason', 'Completed with the county council')
      .attach('evidence', pdf, { filename: 'certificate.pdf', contentType: 'application/pdf' });
    expect(recorded.status).toBe(303);
    expect(await t.services.assignments.statusesForLearner(member.user.id)).toEqual([
      expect.objectContaining({ state: 'completed', completionRecorded: true, expiresAt: day('2027-01-10'), dueAt: day('2027-01-10') }),
    ]);
    const page = await agent.get(personPage);
    expect(page.text).toContain('(recorded by a trainer)');
    expect(page.text).toContain('Completed with the county council');
    const evidenceHref = /href="(\/manage\/assignments\/completions\/[0-9a-f]{24}\/evidence)"/.exec(page.text)?.[1] ?? '';
    const evidence = await agent.get(evidenceHref).buffer(true);
    expect(evidence.status).toBe(200);
    expect(evidence.headers['content-type']).toBe('application/pdf');
    expect(Buffer.from(evidence.body as Buffer).equals(pdf)).toBe(true);
    // The learner sees no trainer page, and another trainer cannot read the evidence.
    expect((await member.agent.get(evidenceHref)).status).toBe(403);
    const stranger = await t.signedInAgent({ roles: ['trainer'] });
    expect((await stranger.agent.get(evidenceHref)).status).toBe(403);

    // Twelve months on, the completion has expired and the course is due again.
    t.setNow(new Date('2027-01-10T08:00:00Z'));
    expect(await t.services.assignments.statusesForLearner(member.user.id)).toEqual([expect.objectContaining({ state: 'expired', dueAt: day('2027-01-10'), pastDue: false })]);
    t.setNow(new Date('2027-01-11T08:00:00Z'));
    expect(await t.services.assignments.statusesForLearner(member.user.id)).toEqual([expect.objectContaining({ state: 'expired', pastDue: true })]);

    // Withdrawn (reason required): kept, marked withdrawn, no longer counted; both steps audited.
    t.setNow(new Date('2026-02-01T08:00:00Z'));
    const id = /action="\/manage\/assignments\/completions\/([0-9a-f]{24})\/withdraw"/.exec(page.text)?.[1] ?? '';
    const noReason = await postForm(agent, personPage, `/manage/assignments/completions/${id}/withdraw`, { withdrawReason: '' });
    expect(noReason.status).toBe(422);
    const withdrawn = await postForm(agent, personPage, `/manage/assignments/completions/${id}/withdraw`, { withdrawReason: 'Recorded for the wrong person' });
    expect(withdrawn.status).toBe(303);
    expect(await t.services.assignments.statusesForLearner(member.user.id)).toEqual([expect.objectContaining({ state: 'not-started', lastCompletedAt: null })]);
    const after = await agent.get(personPage);
    expect(after.text).toContain('Withdrawn');
    expect(after.text).toContain('Recorded for the wrong person');
    expect(await AuditEvent.countDocuments({ action: 'completion.recorded', actorId: new Types.ObjectId(trainer.id) })).toBe(1);
    expect(await AuditEvent.countDocuments({ action: 'completion.record-withdrawn', targetId: id })).toBe(1);
  });

  it('refuses evidence that is not a PDF or picture, keeping the form', async () => {
    const { agent, team } = await trainerWithTeam('Evidence type team');
    const member = await t.signedInAgent({ roles: ['learner'] });
    await t.services.teams.addMembers(team.id, [member.user.id]);
    const personPage = `/manage/assignments/people/${member.user.id}`;
    const token = csrfFrom((await agent.get(personPage)).text);
    const response = await agent
      .post(`${personPage}/completions`)
      .field('_csrf', token)
      .field('courseId', course.courseId)
      .field('completedAt', '2026-01-10')
      .field('reason', 'Done elsewhere')
      .attach('evidence', Buffer.from('MZ this is not a certificate'), { filename: 'certificate.pdf', contentType: 'application/pdf' });
    expect(response.status).toBe(422);
    expect(response.text).toContain('is not a file type we can use here');
    expect(response.text).toContain('Done elsewhere');
  });
});

describe('who may manage assignments', () => {
  it('a trainer manages only the teams they train and the people in them; an admin any', async () => {
    const mine = await trainerWithTeam('My team');
    const theirs = await t.services.teams.createTeam('Not my team');
    const outsider = await t.createUser({ roles: ['learner'] });
    await t.services.teams.addMembers(theirs.id, [outsider.id]);

    const form = await mine.agent.get('/manage/assignments/new');
    expect(form.text).toContain('My team');
    expect(form.text).not.toContain('Not my team');
    const refused = await postForm(mine.agent, '/manage/assignments/new', '/manage/assignments', {
      courseId: course.courseId,
      targetKind: 'team',
      teamIds: theirs.id,
      dueRule: 'after-assigned',
      dueDays: '10',
    });
    expect(refused.status).toBe(403);
    const refusedPerson = await postForm(mine.agent, '/manage/assignments/new', '/manage/assignments', {
      courseId: course.courseId,
      targetKind: 'person',
      learnerIds: outsider.id,
      dueRule: 'after-assigned',
      dueDays: '10',
    });
    expect(refusedPerson.status).toBe(403);
    expect((await mine.agent.get(`/manage/assignments/people/${outsider.id}`)).status).toBe(403);

    const admin = await t.signedInAgent({ roles: ['admin'] });
    const byAdmin = await postForm(admin.agent, '/manage/assignments/new', '/manage/assignments', {
      courseId: course.courseId,
      targetKind: 'person',
      learnerIds: outsider.id,
      dueRule: 'after-assigned',
      dueDays: '10',
    });
    expect(byAdmin.status).toBe(303);
    // The trainer's list does not show the admin's assignment to someone outside their teams.
    expect((await mine.agent.get('/manage/assignments')).text).not.toContain(outsider.name);
    expect((await admin.agent.get('/manage/assignments')).text).toContain(outsider.name);

    for (const role of ['learner', 'co-facilitator'] as const) {
      const { agent } = await t.signedInAgent({ roles: [role] });
      expect((await agent.get('/manage/assignments')).status).toBe(403);
      expect((await agent.get(`/manage/assignments/people/${outsider.id}`)).status).toBe(403);
    }
  });
});
