/**
 * Teams: staff teams with members (who learn) and trainers (who look after them).
 * Membership is kept on both sides: team.members and user.teams, through the users service.
 */
import { Types } from 'mongoose';
import { Conflict, Forbidden, Invalid, NotFound } from '../errors';
import { addTeamToUsers, removeTeamFromUsers } from '../users/service';
import type { SignedInUser } from '../users/types';
import { Team } from './model';
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

export async function addMembers(teamId: string, userIds: string[]): Promise<void> {
  const result = await Team.updateOne({ _id: objectId(teamId) }, { $addToSet: { members: { $each: userIds.map((id) => objectId(id)) } } });
  if (result.matchedCount === 0) throw new NotFound('We could not find this team.');
  await addTeamToUsers(teamId, userIds);
}

export async function addTrainers(teamId: string, userIds: string[]): Promise<void> {
  const result = await Team.updateOne({ _id: objectId(teamId) }, { $addToSet: { trainers: { $each: userIds.map((id) => objectId(id)) } } });
  if (result.matchedCount === 0) throw new NotFound('We could not find this team.');
}

export async function removeFromTeam(teamId: string, userId: string): Promise<void> {
  const result = await Team.updateOne({ _id: objectId(teamId) }, { $pull: { members: objectId(userId), trainers: objectId(userId) } });
  if (result.matchedCount === 0) throw new NotFound('We could not find this team.');
  await removeTeamFromUsers(teamId, [userId]);
}

/** Names of teams by id, for lists. */
export async function teamNamesByIds(ids: string[]): Promise<Map<string, string>> {
  const valid = ids.filter((id) => Types.ObjectId.isValid(id)).map((id) => new Types.ObjectId(id));
  if (valid.length === 0) return new Map();
  const teams = await Team.find({ _id: { $in: valid } }, { name: 1 }).lean();
  return new Map(teams.map((team) => [String(team._id), team.name]));
}
