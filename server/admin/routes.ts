/**
 * Admin pages: people, invitations, teams and the audit log.
 *   GET  /admin                                   trainer, admin   -> /admin/people
 *   GET  /admin/people                            trainer, admin   search and filter (trainers: people in their teams)
 *   GET  /admin/people/invite                     trainer, admin   invite one person, or many from a CSV
 *   POST /admin/people/invite                     trainer, admin   rate limited; trainers invite learners and co-facilitators
 *   POST /admin/people/invite-csv                 trainer, admin   rate limited; CSV upload (text/csv, 200 KB)
 *   GET  /admin/people/:id                        admin            roles and account status
 *   POST /admin/people/:id/roles                  admin            change roles (not your own admin role)
 *   POST /admin/people/:id/status                 admin            turn an account off or back on (not your own)
 *   POST /admin/people/:id/invitation             admin            send the invitation again (invited people only)
 *   GET  /admin/teams                             trainer, admin   teams (trainers: the teams they train)
 *   POST /admin/teams                             admin            create a team
 *   GET  /admin/teams/:id                         trainer, admin   members and trainers (trainers: their teams only)
 *   POST /admin/teams/:id/members                 trainer, admin   add an existing person (trainers: their teams only)
 *   POST /admin/teams/:id/members/:userId/remove  trainer, admin   remove a person (trainers: their teams only)
 *   GET  /admin/audit                             admin            the audit log, filtered and paginated
 */
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { invitePeople, invitePerson, ROLES_TRAINERS_GRANT, type InvitationContext, type InvitationOutcome, type InvitationRequest } from '../auth/service';
import { AUDIT_ACTIONS, listAuditActions, listAuditEvents, recordAudit } from '../audit/service';
import {
  addMembers,
  addTrainers,
  assertCanManageTeam,
  createTeam,
  findTeamByName,
  getTeam,
  listTeams,
  removeFromTeam,
  teamIdsTrainedBy,
  teamNamesByIds,
} from '../teams/service';
import { reflectionLinksFor } from '../learning/dashboard';
import { changeRoles, findUserIdsByEmails, getPeopleByIds, getPerson, listPeople, setAccountDisabled } from '../users/service';
import { ROLES, type Role, type SignedInUser } from '../users/types';
import { requireRole } from '../web/access';
import { Invalid, NotFound } from '../errors';
import type { FeatureContext } from '../web/feature-context';
import { parseForm, type FormValues } from '../web/forms';
import { setFlash } from '../web/locals';
import { readInvitationCsv } from './invitation-csv';
import { auditActionOptions, auditRows, personRow, roleOptions, rolesText, statusOptions } from './views';

const PAGE_SIZE = 25;
const staffOnly = requireRole('trainer', 'admin');
const adminOnly = requireRole('admin');

const pageNumber = z.coerce.number().int().min(1).max(100_000).catch(1);
const searchText = z.string().trim().max(100).optional().catch(undefined);

const peopleQuery = z.object({
  q: searchText,
  role: z.enum(ROLES).optional().catch(undefined),
  status: z.enum(['invited', 'active', 'disabled']).optional().catch(undefined),
  page: pageNumber,
});

const auditQuery = z.object({ action: z.string().trim().max(80).optional().catch(undefined), q: searchText, page: pageNumber });

/** Checkboxes send one value as a string and several as a list. */
const roleList = z.preprocess(
  (value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]),
  z.array(z.enum(ROLES, { error: 'Choose roles from the list' })).min(1, 'Choose at least one role'),
);

const emailField = z
  .string({ error: 'Enter an email address' })
  .trim()
  .min(1, 'Enter an email address')
  .max(320, 'Email addresses are at most 320 characters')
  .pipe(z.email({ error: 'Enter an email address like name@example.org' }));

const teamIdField = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value ? value : undefined))
  .pipe(z.string().regex(/^[a-f0-9]{24}$/, 'Choose a team from the list').optional());

const inviteSchema = z.object({ email: emailField, roles: roleList, teamId: teamIdField });
const rolesSchema = z.object({ roles: roleList });
const statusSchema = z.object({ action: z.enum(['disable', 'enable'], { error: 'Choose turn off or turn on' }) });
const teamSchema = z.object({ name: z.string({ error: 'Enter a name for the team' }).trim().min(1, 'Enter a name for the team').max(120, 'Team names are at most 120 characters') });
const memberSchema = z.object({ email: emailField, as: z.enum(['member', 'trainer'], { error: 'Choose member or trainer' }) });

function idParam(req: Request, name: string): string {
  const value = req.params[name];
  if (typeof value !== 'string' || !/^[a-f0-9]{24}$/.test(value)) throw new NotFound();
  return value;
}

function signedIn(req: Request): SignedInUser {
  if (!req.user) throw new Error('guard missing: this route needs a signed-in person');
  return req.user;
}

const isAdmin = (user: SignedInUser): boolean => user.roles.includes('admin');

/** What the inviter may offer: trainers invite learners and co-facilitators into teams they train. */
async function inviteChoices(actor: SignedInUser) {
  const teams = await listTeams(actor);
  const grantable: readonly Role[] = isAdmin(actor) ? ROLES : ROLES_TRAINERS_GRANT;
  return {
    roleOptions: roleOptions.filter((option) => grantable.includes(option.value)),
    teamOptions: [{ value: '', text: 'No team' }, ...teams.map((team) => ({ value: team.id, text: team.name }))],
  };
}

export function adminRouter(context: FeatureContext): express.Router {
  const router = express.Router();
  const { rateLimits, mailer, config } = context;
  const invitationContext = (req: Request): InvitationContext => ({ actor: signedIn(req), mailer, baseUrl: config.baseUrl, ip: req.ip });
  const csvUpload = context.upload.single('file', { accept: ['text/csv'], maxFileBytes: 200_000 });

  router.get('/', staffOnly, (_req, res) => {
    res.redirect(303, '/admin/people');
  });

  // --- People -------------------------------------------------------------------------------------------------

  router.get('/people', staffOnly, async (req, res) => {
    const actor = signedIn(req);
    const query = peopleQuery.parse(req.query);
    const teamIds = isAdmin(actor) ? undefined : await teamIdsTrainedBy(actor.id);
    const people = await listPeople({ search: query.q, role: query.role, status: query.status, teamIds, page: query.page, pageSize: PAGE_SIZE });
    const teamNames = await teamNamesByIds([...new Set(people.items.flatMap((person) => person.teamIds))]);
    res.render('admin/people', {
      filters: { q: query.q ?? '', role: query.role ?? '', status: query.status ?? '' },
      roleFilterOptions: [{ value: '', text: 'Any role' }, ...roleOptions],
      statusFilterOptions: statusOptions(),
      people: people.items.map((person) => personRow(person, teamNames)),
      total: people.total,
      canManage: isAdmin(actor),
      onlyTheirTeams: !isAdmin(actor),
      pagination: { page: people.page, pageCount: people.pageCount, path: '/admin/people', query: { q: query.q, role: query.role, status: query.status } },
    });
  });

  const renderInvite = async (res: Response, actor: SignedInUser, status: number, page: { values?: FormValues; errors?: Record<string, string>; csvError?: string }) => {
    res.status(status).render('admin/invite', { ...(await inviteChoices(actor)), values: page.values ?? { roles: ['learner'] }, errors: page.errors ?? {}, csvError: page.csvError });
  };

  router.get('/people/invite', staffOnly, async (req, res) => {
    await renderInvite(res, signedIn(req), 200, {});
  });

  router.post('/people/invite', staffOnly, rateLimits.invitations, async (req, res) => {
    const actor = signedIn(req);
    const form = parseForm(inviteSchema, req.body, ['email', 'roles', 'teamId']);
    if (!form.ok) {
      await renderInvite(res, actor, 422, { values: form.values, errors: form.errors });
      return;
    }
    let outcome: InvitationOutcome;
    try {
      outcome = await invitePerson(invitationContext(req), { email: form.data.email, roles: form.data.roles, teamId: form.data.teamId });
    } catch (error) {
      if (error instanceof Invalid) {
        await renderInvite(res, actor, 422, { values: { email: form.data.email, roles: form.data.roles, teamId: form.data.teamId ?? '' }, errors: error.fields });
        return;
      }
      throw error;
    }
    if (outcome.result === 'refused') {
      await renderInvite(res, actor, 409, { values: { email: form.data.email, roles: form.data.roles, teamId: form.data.teamId ?? '' }, errors: { email: outcome.message } });
      return;
    }
    setFlash(req, outcome.result === 'invited' ? `We have sent an invitation to ${outcome.email}.` : `${outcome.email} already had an account. We added the new access and told them by email.`);
    res.redirect(303, '/admin/people/invite');
  });

  router.post('/people/invite-csv', staffOnly, rateLimits.invitations, ...csvUpload, async (req, res) => {
    const actor = signedIn(req);
    if (!req.file?.buffer) {
      await renderInvite(res, actor, 422, { csvError: 'Choose a CSV file to upload' });
      return;
    }
    const csv = readInvitationCsv(req.file.buffer.toString('utf8'));
    if (!csv.ok) {
      await renderInvite(res, actor, 422, { csvError: csv.problem });
      return;
    }
    // Each team named in the file is looked up once, however many rows name it.
    const teamNames = [...new Set(csv.rows.flatMap((row) => (row.teamName ? [row.teamName] : [])))];
    const teams = new Map(await Promise.all(teamNames.map(async (name) => [name, await findTeamByName(name)] as const)));
    const outcomes: Array<InvitationOutcome & { line: number }> = [];
    const invitable: Array<{ line: number; request: InvitationRequest }> = [];
    for (const row of csv.rows) {
      const team = row.teamName ? teams.get(row.teamName) : undefined;
      if (row.teamName && !team) outcomes.push({ line: row.line, email: row.email, result: 'refused', message: `There is no team called "${row.teamName}".` });
      else invitable.push({ line: row.line, request: { email: row.email, roles: row.roles, teamId: team?.id } });
    }
    const invited = await invitePeople(invitationContext(req), invitable.map((row) => row.request));
    invited.forEach((outcome, index) => outcomes.push({ ...outcome, line: invitable[index]?.line ?? 0 }));
    for (const problem of csv.problems) outcomes.push({ line: problem.line, email: problem.text, result: 'refused', message: problem.problem });
    outcomes.sort((a, b) => a.line - b.line);
    res.render('admin/invite-results', {
      outcomes,
      invitedCount: outcomes.filter((outcome) => outcome.result !== 'refused').length,
      refusedCount: outcomes.filter((outcome) => outcome.result === 'refused').length,
    });
  });

  const renderPerson = async (res: Response, personId: string, status: number, page: { values?: FormValues; errors?: Record<string, string> }) => {
    const person = await getPerson(personId);
    const teamNames = await teamNamesByIds(person.teamIds);
    res.status(status).render('admin/person', {
      person: personRow(person, teamNames),
      roleOptions,
      values: page.values ?? { roles: person.roles },
      errors: page.errors ?? {},
    });
  };

  router.get('/people/:id', adminOnly, async (req, res) => {
    await renderPerson(res, idParam(req, 'id'), 200, {});
  });

  router.post('/people/:id/roles', adminOnly, async (req, res) => {
    const actor = signedIn(req);
    const personId = idParam(req, 'id');
    const form = parseForm(rolesSchema, req.body, ['roles']);
    if (!form.ok) {
      await renderPerson(res, personId, 422, { values: form.values, errors: form.errors });
      return;
    }
    const person = await getPerson(personId);
    const change = await changeRoles(actor, personId, form.data.roles);
    await recordAudit({
      action: AUDIT_ACTIONS.rolesChanged,
      actor,
      target: { type: 'user', id: personId, label: person.email },
      details: { before: change.before, after: change.after },
      ip: req.ip,
    });
    setFlash(req, `Roles saved. ${person.email} now has: ${rolesText(change.after)}.`);
    res.redirect(303, `/admin/people/${personId}`);
  });

  router.post('/people/:id/status', adminOnly, async (req, res) => {
    const actor = signedIn(req);
    const personId = idParam(req, 'id');
    const form = parseForm(statusSchema, req.body, ['action']);
    if (!form.ok) {
      await renderPerson(res, personId, 422, { errors: form.errors });
      return;
    }
    const disable = form.data.action === 'disable';
    const person = await setAccountDisabled(actor, personId, disable);
    await recordAudit({
      action: disable ? AUDIT_ACTIONS.userDisabled : AUDIT_ACTIONS.userEnabled,
      actor,
      target: { type: 'user', id: personId, label: person.email },
      ip: req.ip,
    });
    setFlash(req, disable ? `${person.email} is turned off and cannot sign in.` : `${person.email} is turned back on.`);
    res.redirect(303, `/admin/people/${personId}`);
  });

  router.post('/people/:id/invitation', adminOnly, rateLimits.invitations, async (req, res) => {
    const personId = idParam(req, 'id');
    const person = await getPerson(personId);
    if (person.status !== 'invited') {
      setFlash(req, `${person.email} has already set up their account, so there is no invitation to send.`);
      res.redirect(303, `/admin/people/${personId}`);
      return;
    }
    const outcome = await invitePerson(invitationContext(req), { email: person.email, roles: person.roles });
    setFlash(req, outcome.result === 'invited' ? `We have sent a new invitation to ${person.email}.` : outcome.message);
    res.redirect(303, `/admin/people/${personId}`);
  });

  // --- Teams --------------------------------------------------------------------------------------------------

  const renderTeams = async (res: Response, actor: SignedInUser, status: number, page: { values?: FormValues; errors?: Record<string, string> }) => {
    res.status(status).render('admin/teams', { teams: await listTeams(actor), canCreate: isAdmin(actor), values: page.values ?? {}, errors: page.errors ?? {} });
  };

  router.get('/teams', staffOnly, async (req, res) => {
    await renderTeams(res, signedIn(req), 200, {});
  });

  router.post('/teams', adminOnly, async (req, res) => {
    const actor = signedIn(req);
    const form = parseForm(teamSchema, req.body, ['name']);
    if (!form.ok) {
      await renderTeams(res, actor, 422, { values: form.values, errors: form.errors });
      return;
    }
    if (await findTeamByName(form.data.name)) {
      await renderTeams(res, actor, 409, { values: { name: form.data.name }, errors: { name: 'There is already a team with this name' } });
      return;
    }
    const team = await createTeam(form.data.name);
    await recordAudit({ action: AUDIT_ACTIONS.teamCreated, actor, target: { type: 'team', id: team.id, label: team.name }, ip: req.ip });
    setFlash(req, `The team "${team.name}" is created. Add people to it below.`);
    res.redirect(303, `/admin/teams/${team.id}`);
  });

  const renderTeam = async (res: Response, actor: SignedInUser, teamId: string, status: number, page: { values?: FormValues; errors?: Record<string, string> }) => {
    await assertCanManageTeam(actor, teamId);
    const team = await getTeam(teamId);
    const people = await getPeopleByIds([...new Set([...team.memberIds, ...team.trainerIds])]);
    // Reflections are for the learner and the trainers of their teams only: an admin who does not train this
    // team sees no links to them.
    const reflections = team.trainerIds.includes(actor.id) ? await reflectionLinksFor(team.memberIds) : undefined;
    const entry = (person: (typeof people)[number]) => ({ id: person.id, name: person.name || '(not given yet)', email: person.email });
    res.status(status).render('admin/team', {
      team: { id: team.id, name: team.name },
      members: people
        .filter((person) => team.memberIds.includes(person.id))
        .map((person) => ({ ...entry(person), reflections: reflections?.get(person.id) ?? [] })),
      showReflections: reflections !== undefined,
      trainers: people.filter((person) => team.trainerIds.includes(person.id)).map(entry),
      canAddTrainers: isAdmin(actor),
      values: page.values ?? { as: 'member' },
      errors: page.errors ?? {},
    });
  };

  router.get('/teams/:id', staffOnly, async (req, res) => {
    await renderTeam(res, signedIn(req), idParam(req, 'id'), 200, {});
  });

  router.post('/teams/:id/members', staffOnly, async (req, res) => {
    const actor = signedIn(req);
    const teamId = idParam(req, 'id');
    await assertCanManageTeam(actor, teamId);
    const form = parseForm(memberSchema, req.body, ['email', 'as']);
    if (!form.ok) {
      await renderTeam(res, actor, teamId, 422, { values: form.values, errors: form.errors });
      return;
    }
    if (form.data.as === 'trainer' && !isAdmin(actor)) {
      await renderTeam(res, actor, teamId, 403, { values: { email: form.data.email, as: 'member' }, errors: { as: 'Only an admin can add trainers to a team' } });
      return;
    }
    const userId = (await findUserIdsByEmails([form.data.email])).get(form.data.email.toLowerCase());
    if (!userId) {
      await renderTeam(res, actor, teamId, 422, {
        values: { email: form.data.email, as: form.data.as },
        errors: { email: 'Nobody has an account with this email yet. Invite them first.' },
      });
      return;
    }
    if (form.data.as === 'trainer') await addTrainers(teamId, [userId]);
    else await addMembers(teamId, [userId]);
    const team = await getTeam(teamId);
    await recordAudit({ action: AUDIT_ACTIONS.teamChanged, actor, target: { type: 'team', id: teamId, label: team.name }, details: { added: form.data.email, as: form.data.as }, ip: req.ip });
    setFlash(req, `${form.data.email} is added to ${team.name} as a ${form.data.as}.`);
    res.redirect(303, `/admin/teams/${teamId}`);
  });

  router.post('/teams/:id/members/:userId/remove', staffOnly, async (req, res) => {
    const actor = signedIn(req);
    const teamId = idParam(req, 'id');
    const userId = idParam(req, 'userId');
    await assertCanManageTeam(actor, teamId);
    const person = await getPerson(userId);
    await removeFromTeam(teamId, userId);
    const team = await getTeam(teamId);
    await recordAudit({ action: AUDIT_ACTIONS.teamChanged, actor, target: { type: 'team', id: teamId, label: team.name }, details: { removed: person.email }, ip: req.ip });
    setFlash(req, `${person.email} is no longer in ${team.name}.`);
    res.redirect(303, `/admin/teams/${teamId}`);
  });

  // --- Audit log ----------------------------------------------------------------------------------------------

  router.get('/audit', adminOnly, async (req, res) => {
    const query = auditQuery.parse(req.query);
    const [list, actions] = await Promise.all([
      listAuditEvents({ action: query.action || undefined, search: query.q, page: query.page, pageSize: PAGE_SIZE }),
      listAuditActions(),
    ]);
    res.render('admin/audit', {
      filters: { action: query.action ?? '', q: query.q ?? '' },
      actionOptions: auditActionOptions(actions),
      events: auditRows(list),
      total: list.total,
      pagination: { page: list.page, pageCount: list.pageCount, path: '/admin/audit', query: { action: query.action, q: query.q } },
    });
  });

  return router;
}
