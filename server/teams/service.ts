/**
 * Teams: staff teams with members (who learn) and trainers (who look after them).
 * Membership is kept on both sides: team.members and user.teams, through the users service.
 * Made once by the composition root (../services.ts).
 */
import { Types } from 'mongoose';
import { Conflict, Forbidden, Invalid, NotFound } from '../errors';
import { AUDIT_ACTIONS, type AuditService } from '../audit/service';
import { normaliseEmail, type ChangedBy, type UsersService } from '../users/service';
import type { SignedInUser } from '../people';
import { Team, TeamMembership, type TeamMembershipRecord } from './model';
import { isDuplicateKey } from '../db/mongo-errors';

export interface TeamSummary {
  id: string;
  name: string;
  memberCount: number;
  trainerCount: number;
}

export interface TeamDetail {
  id: string;
  name: string;
  memberIds: string[];
  trainerIds: string[];
}

function cleanTeamName(name: string): string {
  return name.trim().replace(/\s+/g, ' ');
}

function teamKey(name: string): string {
  return cleanTeamName(name).toLowerCase();
}

const TEAM_DETAIL_FIELDS = { name: 1, members: 1, trainers: 1 } as const;

function toTeamDetail(team: { _id: Types.ObjectId; name: string; members: Types.ObjectId[]; trainers: Types.ObjectId[] }): TeamDetail {
  return { id: String(team._id), name: team.name, memberIds: team.members.map(String), trainerIds: team.trainers.map(String) };
}

function objectId(id: string): Types.ObjectId {
  if (!Types.ObjectId.isValid(id)) throw new NotFound('We could not find this team.');
  return new Types.ObjectId(id);
}

export interface TeamsServiceDeps {
  users: UsersService;
  /** Where creating and changing teams is recorded. */
  audit: Pick<AuditService, 'recordAudit'>;
}

export function createTeamsService({ users, audit }: TeamsServiceDeps) {
  /**
   * Creates a team; names are unique whatever their case and spacing (Conflict otherwise). Recorded in the audit
   * log when a person creates it (`by`); the demo seed creates its team unrecorded.
   */
  async function createTeam(name: string, by?: ChangedBy): Promise<TeamDetail> {
    const cleanName = cleanTeamName(name);
    if (cleanName === '') throw new Invalid({ name: 'Enter a name for the team' });
    let team: TeamDetail;
    try {
      const created = await Team.create({ name: cleanName, key: teamKey(cleanName) });
      team = { id: String(created._id), name: created.name, memberIds: [], trainerIds: [] };
    } catch (error) {
      if (isDuplicateKey(error)) throw new Conflict('There is already a team with this name.');
      throw error;
    }
    if (by) await audit.recordAudit({ action: AUDIT_ACTIONS.teamCreated, actor: by.actor, target: { type: 'team', id: team.id, label: team.name }, ip: by.ip });
    return team;
  }

  async function findTeamByName(name: string): Promise<TeamDetail | undefined> {
    const team = await Team.findOne({ key: teamKey(name) }, TEAM_DETAIL_FIELDS).lean();
    return team ? toTeamDetail(team) : undefined;
  }

  async function getTeam(id: string): Promise<TeamDetail> {
    const team = await Team.findById(objectId(id), TEAM_DETAIL_FIELDS).lean();
    if (!team) throw new NotFound('We could not find this team.');
    return toTeamDetail(team);
  }

  /** Every team with its size, by name. Trainers who are not admins see the teams they train. */
  async function listTeams(viewer?: SignedInUser): Promise<TeamSummary[]> {
    const onlyTheirs = viewer !== undefined && !viewer.roles.includes('admin');
    const filter = onlyTheirs ? { trainers: new Types.ObjectId(viewer.id) } : {};
    const teams = await Team.aggregate<{ _id: Types.ObjectId; name: string; memberCount: number; trainerCount: number }>([
      { $match: filter },
      { $project: { name: 1, memberCount: { $size: '$members' }, trainerCount: { $size: '$trainers' } } },
      { $sort: { name: 1 } },
    ]);
    return teams.map((team) => ({ id: String(team._id), name: team.name, memberCount: team.memberCount, trainerCount: team.trainerCount }));
  }

  /** The ids of the teams this person trains. */
  async function teamIdsTrainedBy(userId: string): Promise<string[]> {
    const teams = await Team.find({ trainers: objectId(userId) }, { _id: 1 }).lean();
    return teams.map((team) => String(team._id));
  }

  /** Admins manage every team; trainers only the teams they train. */
  async function assertCanManageTeam(actor: SignedInUser, teamId: string): Promise<void> {
    if (actor.roles.includes('admin')) return;
    if (actor.roles.includes('trainer') && Types.ObjectId.isValid(teamId) && (await Team.exists({ _id: new Types.ObjectId(teamId), trainers: objectId(actor.id) }))) return;
    throw new Forbidden('You can only change teams you train.');
  }

  async function addMembers(teamId: string, userIds: string[], now = new Date()): Promise<void> {
    const result = await Team.updateOne({ _id: objectId(teamId) }, { $addToSet: { members: { $each: userIds.map((id) => objectId(id)) } } });
    if (result.matchedCount === 0) throw new NotFound('We could not find this team.');
    await users.addTeamToUsers(teamId, userIds);
    await recordJoined(teamId, userIds, now);
  }

  async function addTrainers(teamId: string, userIds: string[]): Promise<void> {
    const result = await Team.updateOne({ _id: objectId(teamId) }, { $addToSet: { trainers: { $each: userIds.map((id) => objectId(id)) } } });
    if (result.matchedCount === 0) throw new NotFound('We could not find this team.');
  }

  async function removeFromTeam(teamId: string, userId: string): Promise<void> {
    const result = await Team.updateOne({ _id: objectId(teamId) }, { $pull: { members: objectId(userId), trainers: objectId(userId) } });
    if (result.matchedCount === 0) throw new NotFound('We could not find this team.');
    await users.removeTeamFromUsers(teamId, [userId]);
    // The record stays (with the date they left): what they did while in the team is still theirs.
    await TeamMembership.updateOne({ team: objectId(teamId), user: objectId(userId), leftAt: null }, { $set: { leftAt: new Date() } });
  }

  /** The teams a person is in now, each with the date they joined it. */
  async function currentMembershipsOf(userId: string): Promise<Membership[]> {
    if (!Types.ObjectId.isValid(userId)) return [];
    const records = await TeamMembership.find({ user: new Types.ObjectId(userId), leftAt: null }, { team: 1, user: 1, joinedAt: 1 }).lean<
      Pick<TeamMembershipRecord, 'team' | 'user' | 'joinedAt'>[]
    >();
    return records.map(toMembership);
  }

  /** The people in a team now, each with the date they joined it. */
  async function currentMembersOf(teamId: string): Promise<Membership[]> {
    const records = await TeamMembership.find({ team: objectId(teamId), leftAt: null }, { team: 1, user: 1, joinedAt: 1 }).lean<
      Pick<TeamMembershipRecord, 'team' | 'user' | 'joinedAt'>[]
    >();
    return records.map(toMembership);
  }

  /**
   * Gives every member without a membership record one (members added before records were kept), dated when
   * their team was created: the earliest they can have joined. Cheap when nothing is missing; main.ts runs it at start.
   */
  async function backfillMemberships(): Promise<number> {
    let added = 0;
    const teams = await Team.find({ 'members.0': { $exists: true } }, { members: 1, createdAt: 1 }).lean<
      { _id: Types.ObjectId; members: Types.ObjectId[]; createdAt?: Date }[]
    >();
    for (const team of teams) {
      const known = new Set((await TeamMembership.find({ team: team._id }, { user: 1 }).lean<{ user: Types.ObjectId }[]>()).map((record) => String(record.user)));
      const missing = team.members.filter((member) => !known.has(String(member)));
      if (missing.length === 0) continue;
      await recordJoined(String(team._id), missing.map(String), team.createdAt ?? new Date());
      added += missing.length;
    }
    return added;
  }

  /** Every team's trainers: trainer id -> the ids of the teams they train (for the weekly digest). */
  async function teamsByTrainer(): Promise<Map<string, string[]>> {
    const teams = await Team.find({ 'trainers.0': { $exists: true } }, { trainers: 1 }).lean<{ _id: Types.ObjectId; trainers: Types.ObjectId[] }[]>();
    const byTrainer = new Map<string, string[]>();
    for (const team of teams) {
      for (const trainer of team.trainers) byTrainer.set(String(trainer), [...(byTrainer.get(String(trainer)) ?? []), String(team._id)]);
    }
    return byTrainer;
  }

  /**
   * A person adds someone with an account to a team they may manage, as a member or (admins only) as a trainer;
   * recorded in the audit log. Invalid when nobody has an account with the email.
   */
  async function addPersonToTeam(by: ChangedBy, teamId: string, input: { email: string; as: 'member' | 'trainer' }): Promise<TeamDetail> {
    await assertCanManageTeam(by.actor, teamId);
    if (input.as === 'trainer' && !by.actor.roles.includes('admin')) throw new Forbidden('Only an admin can add trainers to a team');
    const email = normaliseEmail(input.email);
    const userId = (await users.findUserIdsByEmails([email])).get(email);
    if (!userId) throw new Invalid({ email: 'Nobody has an account with this email yet. Invite them first.' });
    if (input.as === 'trainer') await addTrainers(teamId, [userId]);
    else await addMembers(teamId, [userId]);
    const team = await getTeam(teamId);
    await audit.recordAudit({
      action: AUDIT_ACTIONS.teamChanged,
      actor: by.actor,
      target: { type: 'team', id: teamId, label: team.name },
      details: { added: input.email, as: input.as },
      ip: by.ip,
    });
    return team;
  }

  /** A person takes someone out of a team they may manage (as member and as trainer); recorded in the audit log. */
  async function removePersonFromTeam(by: ChangedBy, teamId: string, userId: string): Promise<{ team: TeamDetail; email: string }> {
    await assertCanManageTeam(by.actor, teamId);
    const person = await users.getPerson(userId);
    await removeFromTeam(teamId, userId);
    const team = await getTeam(teamId);
    await audit.recordAudit({
      action: AUDIT_ACTIONS.teamChanged,
      actor: by.actor,
      target: { type: 'team', id: teamId, label: team.name },
      details: { removed: person.email },
      ip: by.ip,
    });
    return { team, email: person.email };
  }

  /** Names of teams by id, for lists. */
  async function teamNamesByIds(ids: string[]): Promise<Map<string, string>> {
    const valid = ids.filter((id) => Types.ObjectId.isValid(id)).map((id) => new Types.ObjectId(id));
    if (valid.length === 0) return new Map();
    const teams = await Team.find({ _id: { $in: valid } }, { name: 1 }).lean();
    return new Map(teams.map((team) => [String(team._id), team.name]));
  }

  /** The teams a person is a member of (none when there is no such person). */
  async function teamIdsOfLearner(learnerId: string): Promise<string[]> {
    try {
      return (await users.getPerson(learnerId)).teamIds;
    } catch (error) {
      if (error instanceof NotFound) return [];
      throw error;
    }
  }

  /**
   * Whether a trainer looks after a learner: they train a team the learner is a member of. Reflections and
   * certificates are visible to the learner and to these trainers only (not to every trainer or admin).
   */
  async function looksAfter(trainerId: string, learnerId: string): Promise<boolean> {
    if (trainerId === learnerId) return false;
    const [trained, learnerTeams] = await Promise.all([teamIdsTrainedBy(trainerId), teamIdsOfLearner(learnerId)]);
    return learnerTeams.some((teamId) => trained.includes(teamId));
  }

  return {
    createTeam,
    findTeamByName,
    getTeam,
    listTeams,
    teamIdsTrainedBy,
    assertCanManageTeam,
    addMembers,
    addTrainers,
    removeFromTeam,
    addPersonToTeam,
    removePersonFromTeam,
    teamNamesByIds,
    teamIdsOfLearner,
    looksAfter,
    currentMembershipsOf,
    currentMembersOf,
    backfillMemberships,
    teamsByTrainer,
  };
}

export interface Membership {
  teamId: string;
  userId: string;
  joinedAt: Date;
}

function toMembership(record: Pick<TeamMembershipRecord, 'team' | 'user' | 'joinedAt'>): Membership {
  return { teamId: String(record.team), userId: String(record.user), joinedAt: record.joinedAt };
}

/**
 * Dates of joining: a person who left and comes back starts a new joinedAt; a person already in the team keeps
 * theirs (adding them again changes nothing). Each write is one atomic upsert, so two requests adding the same
 * person at once make one record.
 */
async function recordJoined(teamId: string, userIds: string[], now: Date): Promise<void> {
  const team = objectId(teamId);
  for (const userId of new Set(userIds)) {
    const user = objectId(userId);
    await TeamMembership.updateOne({ team, user, leftAt: { $ne: null } }, { $set: { joinedAt: now, leftAt: null } });
    try {
      await TeamMembership.updateOne({ team, user }, { $setOnInsert: { joinedAt: now, leftAt: null } }, { upsert: true });
    } catch (error) {
      // Two upserts of a new record raced; the other one made it.
      if (!isDuplicateKey(error)) throw error;
    }
  }
}

export type TeamsService = ReturnType<typeof createTeamsService>;
