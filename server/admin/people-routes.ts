/**
 * People: the list, invitations (one, or many from a CSV) and each person's roles and account status.
 *   GET  /admin/people                            trainer, admin   search and filter (trainers: people in their teams)
 *   GET  /admin/people/invite                     trainer, admin   invite one person, or many from a CSV
 *   POST /admin/people/invite                     trainer, admin   rate limited; trainers invite learners and co-facilitators
 *   POST /admin/people/invite-csv                 trainer, admin   rate limited; CSV upload (text/csv, 200 KB)
 *   GET  /admin/people/:id                        admin            roles and account status
 *   POST /admin/people/:id/roles                  admin            change roles (not your own admin role)
 *   POST /admin/people/:id/status                 admin            turn an account off or back on (not your own)
 *   POST /admin/people/:id/invitation             admin            send the invitation again (invited people only)
 */
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { ROLES_TRAINERS_GRANT, type InvitationContext, type InvitationOutcome, type InvitationRequest } from '../auth/service';
import { Invalid } from '../errors';
import { ROLES, type Role, type SignedInUser } from '../people';
import type { Services } from '../services';
import { currentUser, requireRole } from '../web/access';
import type { WebTools } from '../web/feature-context';
import { OBJECT_ID_PATTERN, emailField, objectIdParam, parseForm, type FormValues } from '../web/forms';
import { setFlash } from '../web/locals';
import { readInvitationCsv } from './invitation-csv';
import { PAGE_SIZE, isAdmin, pageNumber, searchText } from './listing';
import { personRow, roleOptions, rolesText, statusOptions } from './views';

const staffOnly = requireRole('trainer', 'admin');
const adminOnly = requireRole('admin');

const peopleQuery = z.object({
  q: searchText,
  role: z.enum(ROLES).optional().catch(undefined),
  status: z.enum(['invited', 'active', 'disabled']).optional().catch(undefined),
  page: pageNumber,
});

/** Checkboxes send one value as a string and several as a list. */
const roleList = z.preprocess(
  (value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]),
  z.array(z.enum(ROLES, { error: 'Choose roles from the list' })).min(1, 'Choose at least one role'),
);

const teamIdField = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value ? value : undefined))
  .pipe(z.string().regex(OBJECT_ID_PATTERN, 'Choose a team from the list').optional());

const inviteSchema = z.object({ email: emailField(), roles: roleList, teamId: teamIdField });
const rolesSchema = z.object({ roles: roleList });
const statusSchema = z.object({ action: z.enum(['disable', 'enable'], { error: 'Choose turn off or turn on' }) });

export function peopleRouter({ auth, users, teams }: Pick<Services, 'auth' | 'users' | 'teams'>, web: Pick<WebTools, 'rateLimits' | 'upload'>): express.Router {
  const router = express.Router();
  const { rateLimits } = web;
  const invitationContext = (req: Request): InvitationContext => ({ actor: currentUser(req), ip: req.ip });
  const csvUpload = web.upload.single('file', { accept: ['text/csv'], maxFileBytes: 200_000 });

  /** What the inviter may offer: trainers invite learners and co-facilitators into teams they train. */
  async function inviteChoices(actor: SignedInUser) {
    const list = await teams.listTeams(actor);
    const grantable: readonly Role[] = isAdmin(actor) ? ROLES : ROLES_TRAINERS_GRANT;
    return {
      roleOptions: roleOptions.filter((option) => grantable.includes(option.value)),
      teamOptions: [{ value: '', text: 'No team' }, ...list.map((team) => ({ value: team.id, text: team.name }))],
    };
  }

  router.get('/people', staffOnly, async (req, res) => {
    const actor = currentUser(req);
    const query = peopleQuery.parse(req.query);
    const teamIds = isAdmin(actor) ? undefined : await teams.teamIdsTrainedBy(actor.id);
    const people = await users.listPeople({ search: query.q, role: query.role, status: query.status, teamIds, page: query.page, pageSize: PAGE_SIZE });
    const teamNames = await teams.teamNamesByIds([...new Set(people.items.flatMap((person) => person.teamIds))]);
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
    await renderInvite(res, currentUser(req), 200, {});
  });

  router.post('/people/invite', staffOnly, rateLimits.invitations, async (req, res) => {
    const actor = currentUser(req);
    const form = parseForm(inviteSchema, req.body, ['email', 'roles', 'teamId']);
    if (!form.ok) {
      await renderInvite(res, actor, 422, { values: form.values, errors: form.errors });
      return;
    }
    let outcome: InvitationOutcome;
    try {
      outcome = await auth.invitePerson(invitationContext(req), { email: form.data.email, roles: form.data.roles, teamId: form.data.teamId });
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
    const actor = currentUser(req);
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
    const named = new Map(await Promise.all(teamNames.map(async (name) => [name, await teams.findTeamByName(name)] as const)));
    const outcomes: Array<InvitationOutcome & { line: number }> = [];
    const invitable: Array<{ line: number; request: InvitationRequest }> = [];
    for (const row of csv.rows) {
      const team = row.teamName ? named.get(row.teamName) : undefined;
      if (row.teamName && !team) outcomes.push({ line: row.line, email: row.email, result: 'refused', message: `There is no team called "${row.teamName}".` });
      else invitable.push({ line: row.line, request: { email: row.email, roles: row.roles, teamId: team?.id } });
    }
    const invited = await auth.invitePeople(invitationContext(req), invitable.map((row) => row.request));
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
    const person = await users.getPerson(personId);
    const teamNames = await teams.teamNamesByIds(person.teamIds);
    res.status(status).render('admin/person', {
      person: personRow(person, teamNames),
      roleOptions,
      values: page.values ?? { roles: person.roles },
      errors: page.errors ?? {},
    });
  };

  router.get('/people/:id', adminOnly, async (req, res) => {
    await renderPerson(res, objectIdParam(req, 'id'), 200, {});
  });

  router.post('/people/:id/roles', adminOnly, async (req, res) => {
    const actor = currentUser(req);
    const personId = objectIdParam(req, 'id');
    const form = parseForm(rolesSchema, req.body, ['roles']);
    if (!form.ok) {
      await renderPerson(res, personId, 422, { values: form.values, errors: form.errors });
      return;
    }
    const change = await users.changeRoles({ actor, ip: req.ip }, personId, form.data.roles);
    setFlash(req, `Roles saved. ${change.email} now has: ${rolesText(change.after)}.`);
    res.redirect(303, `/admin/people/${personId}`);
  });

  router.post('/people/:id/status', adminOnly, async (req, res) => {
    const actor = currentUser(req);
    const personId = objectIdParam(req, 'id');
    const form = parseForm(statusSchema, req.body, ['action']);
    if (!form.ok) {
      await renderPerson(res, personId, 422, { errors: form.errors });
      return;
    }
    const disable = form.data.action === 'disable';
    const person = await users.setAccountDisabled({ actor, ip: req.ip }, personId, disable);
    setFlash(req, disable ? `${person.email} is turned off and cannot sign in.` : `${person.email} is turned back on.`);
    res.redirect(303, `/admin/people/${personId}`);
  });

  router.post('/people/:id/invitation', adminOnly, rateLimits.invitations, async (req, res) => {
    const personId = objectIdParam(req, 'id');
    const person = await users.getPerson(personId);
    if (person.status !== 'invited') {
      setFlash(req, `${person.email} has already set up their account, so there is no invitation to send.`);
      res.redirect(303, `/admin/people/${personId}`);
      return;
    }
    const outcome = await auth.invitePerson(invitationContext(req), { email: person.email, roles: person.roles });
    setFlash(req, outcome.result === 'invited' ? `We have sent a new invitation to ${person.email}.` : outcome.message);
    res.redirect(303, `/admin/people/${personId}`);
  });

  return router;
}
