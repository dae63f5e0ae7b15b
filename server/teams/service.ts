/**
 * Teams: staff teams with members (who learn) and trainers (who look after them).
 * Membership is kept on both sides: team.members and user.teams, through the users service.
 */
import { Types } from 'mongoose';
import { Conflict, Forbidden, Invalid, NotFound } from '../errors';
import { addTeamToUsers, removeTeamFromUsers } from '../users/service';
import type { SignedInUser } from '../users/types';
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

export async function createTeam(name: string): Promise<TeamDetail> {
  const cleanName = cleanTeamName(name);
  if (cleanName === '') throw new Invalid({ name: 'Enter a name for the team' });
  try {
    const team = await Team.create({ name: cleanName, key: teamKey(cleanName) });
    return { id: String(team._id), name: team.name, memberIds: [], trainerIds: [] };
  } catch (error) {
    if (isDuplicateKey(error)) throw new Conflict('There is already a team with this name.');
    throw error;
  }
}

export async function findTeamByName(name: string): Promise<TeamDetail | undefined> {
  const team = await Team.findOne({ key: teamKey(name) }, TEAM_DETAIL_FIELDS).lean();
  return team ? toTeamDetail(team) : undefined;
}

export async function getTeam(id: string): Promise<TeamDetail> {
  const team = await Team.findById(objectId(id), TEAM_DETAIL_FIELDS).lean();
  if (!team) throw new NotFound('We could not find this team.');
  return toTeamDetail(team);
}

/** Every team with its size, by name. Trainers who are not admins see the teams they train. */
export async function listTeams(viewer?: SignedInUser): Promise<TeamSummary[]> {
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
export async function teamIdsTrainedBy(userId: string): Promise<string[]> {
  const teams = await Team.find({ trainers: objectId(userId) }, { _id: 1 }).lean();
  return teams.map((team) => String(team._id));
}

/** Admins manage every team; trainers only the teams they train. */
export async function assertCanManageTeam(actor: SignedInUser, teamId: string): Promise<void> {
  if (actor.roles.includes('admin')) return;
  if (actor.roles.includes('trainer') && Types.ObjectId.isValid(teamId) && (await Team.exists({ _id: new Types.ObjectId(teamId), trainers: objectId(actor.id) }))) return;
  throw new Forbidden('You can only change teams you train.');
}

export async function addMembers(teamId: string, userIds: string[], now = new Date()): Promise<void> {
  const result = await Team.updateOne({ _id: objectId(teamId) }, { $addToSet: { members: { $each: userIds.map((id) => objectId(id)) } } });
  if (result.matchedCount === 0) throw new NotFound('We could not find this team.');
  await addTeamToUsers(teamId, userIds);
  await recordJoined(teamId, userIds, now);
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

export async function addTrainers(teamId: string, userIds: string[]): Promise<void> {
  const result = await Team.updateOne({ _id: objectId(teamId) }, { $addToSet: { trainers: { $each: userIds.map((id) => objectId(id)) } } });
  if (result.matchedCount === 0) throw new NotFound('We could not find this team.');
}

export async function removeFromTeam(teamId: string, userId: string): Promise<void> {
  const result = await Team.updateOne({ _id: objectId(teamId) }, { $pull: { members: objectId(userId), trainers: objectId(userId) } });
  if (result.matchedCount === 0) throw new NotFound('We could not find this team.');
  await removeTeamFromUsers(teamId, [userId]);
  // The record stays (with the date they left): what they did while in the team is still theirs.
  await TeamMembership.updateOne({ team: objectId(teamId), user: objectId(userId), leftAt: null }, { $set: { leftAt: new Date() } });
}

export interface Membership {
  teamId: string;
  userId: string;
  joinedAt: Date;
}

function toMembership(record: Pick<TeamMembershipRecord, 'team' | 'user' | 'joinedAt'>): Membership {
  return { teamId: String(record.team), userId: String(record.user), joinedAt: record.joinedAt };
}

/** The teams a person is in now, each with the date they joined it. */
export async function currentMembershipsOf(userId: string): Promise<Membership[]> {
  if (!Types.ObjectId.isValid(userId)) return [];
  const records = await TeamMembership.find({ user: new Types.ObjectId(userId), leftAt: null }, { team: 1, user: 1, joinedAt: 1 }).lean<
    Pick<TeamMembershipRecord, 'team' | 'user' | 'joinedAt'>[]
  >();
  return records.map(toMembership);
}

/** The people in a team now, each with the date they joined it. */
export async function currentMembersOf(teamId: string): Promise<Membership[]> {
  const records = await TeamMembership.find({ team: objectId(teamId), leftAt: null }, { team: 1, user: 1, joinedAt: 1 }).lean<
    Pick<TeamMembershipRecord, 'team' | 'user' | 'joinedAt'>[]
  >();
  return records.map(toMembership);
}

/**
 * Gives every member without a membership record one (members added before records were kept), dated when
 * their team was created: the earliest they can have joined. Cheap when nothing is missing; main.ts runs it at start.
 */
export async function backfillMemberships(): Promise<number> {
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

/** Names of teams by id, for lists. */
export async function teamNamesByIds(ids: string[]): Promise<Map<string, string>> {
  const valid = ids.filter((id) => Types.ObjectId.isValid(id)).map((id) => new Types.ObjectId(id));
  if (valid.length === 0) return new Map();
  const teams = await Team.find({ _id: { $in: valid } }, { name: 1 }).lean();
  return new Map(teams.map((team) => [String(team._id), team.name]));
}
