/**
 * Teams: the list, a new team, and each team's members and trainers.
 *   GET  /admin/teams                             trainer, admin   teams (trainers: the teams they train)
 *   POST /admin/teams                             admin            create a team
 *   GET  /admin/teams/:id                         trainer, admin   members and trainers (trainers: their teams only)
 *   POST /admin/teams/:id/members                 trainer, admin   add an existing person (trainers: their teams only)
 *   POST /admin/teams/:id/members/:userId/remove  trainer, admin   remove a person (trainers: their teams only)
 */
import express, { type Response } from 'express';
import { z } from 'zod';
import { Conflict, Forbidden, Invalid } from '../errors';
import type { SignedInUser } from '../people';
import type { Services } from '../services';
import { currentUser, requireRole } from '../web/access';
import { emailField, objectIdParam, parseForm, type FormValues } from '../web/forms';
import { setFlash } from '../web/locals';
import { isAdmin } from './listing';

const staffOnly = requireRole('trainer', 'admin');
const adminOnly = requireRole('admin');

const teamSchema = z.object({ name: z.string({ error: 'Enter a name for the team' }).trim().min(1, 'Enter a name for the team').max(120, 'Team names are at most 120 characters') });
const memberSchema = z.object({ email: emailField(), as: z.enum(['member', 'trainer'], { error: 'Choose member or trainer' }) });

type PageState = { values?: FormValues; errors?: Record<string, string> };

export function teamsRouter({ teams, users, learnerPages }: Pick<Services, 'teams' | 'users' | 'learnerPages'>): express.Router {
  const router = express.Router();

  const renderTeams = async (res: Response, actor: SignedInUser, status: number, page: PageState) => {
    res.status(status).render('admin/teams', { teams: await teams.listTeams(actor), canCreate: isAdmin(actor), values: page.values ?? {}, errors: page.errors ?? {} });
  };

  router.get('/teams', staffOnly, async (req, res) => {
    await renderTeams(res, currentUser(req), 200, {});
  });

  router.post('/teams', adminOnly, async (req, res) => {
    const actor = currentUser(req);
    const form = parseForm(teamSchema, req.body, ['name']);
    if (!form.ok) {
      await renderTeams(res, actor, 422, { values: form.values, errors: form.errors });
      return;
    }
    let team;
    try {
      team = await teams.createTeam(form.data.name, { actor, ip: req.ip });
    } catch (error) {
      if (!(error instanceof Conflict)) throw error;
      await renderTeams(res, actor, 409, { values: { name: form.data.name }, errors: { name: 'There is already a team with this name' } });
      return;
    }
    setFlash(req, `The team "${team.name}" is created. Add people to it below.`);
    res.redirect(303, `/admin/teams/${team.id}`);
  });

  const renderTeam = async (res: Response, actor: SignedInUser, teamId: string, status: number, page: PageState) => {
    await teams.assertCanManageTeam(actor, teamId);
    const team = await teams.getTeam(teamId);
    const people = await users.getPeopleByIds([...new Set([...team.memberIds, ...team.trainerIds])]);
    // Reflections are for the learner and the trainers of their teams only: an admin who does not train this
    // team sees no links to them.
    const reflections = team.trainerIds.includes(actor.id) ? await learnerPages.reflectionLinksFor(team.memberIds) : undefined;
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
    await renderTeam(res, currentUser(req), objectIdParam(req, 'id'), 200, {});
  });

  router.post('/teams/:id/members', staffOnly, async (req, res) => {
    const actor = currentUser(req);
    const teamId = objectIdParam(req, 'id');
    // A trainer of another team is refused before their form is read.
    await teams.assertCanManageTeam(actor, teamId);
    const form = parseForm(memberSchema, req.body, ['email', 'as']);
    if (!form.ok) {
      await renderTeam(res, actor, teamId, 422, { values: form.values, errors: form.errors });
      return;
    }
    let team;
    try {
      team = await teams.addPersonToTeam({ actor, ip: req.ip }, teamId, form.data);
    } catch (error) {
      if (error instanceof Forbidden) {
        await renderTeam(res, actor, teamId, 403, { values: { email: form.data.email, as: 'member' }, errors: { as: error.message } });
        return;
      }
      if (error instanceof Invalid) {
        await renderTeam(res, actor, teamId, 422, { values: { email: form.data.email, as: form.data.as }, errors: error.fields });
        return;
      }
      throw error;
    }
    setFlash(req, `${form.data.email} is added to ${team.name} as a ${form.data.as}.`);
    res.redirect(303, `/admin/teams/${teamId}`);
  });

  router.post('/teams/:id/members/:userId/remove', staffOnly, async (req, res) => {
    const actor = currentUser(req);
    const teamId = objectIdParam(req, 'id');
    const userId = objectIdParam(req, 'userId');
    const removed = await teams.removePersonFromTeam({ actor, ip: req.ip }, teamId, userId);
    setFlash(req, `${removed.email} is no longer in ${removed.team.name}.`);
    res.redirect(303, `/admin/teams/${teamId}`);
  });

  return router;
}
