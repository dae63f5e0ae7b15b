/**
 * Who looks after a learner: the trainers of any team the learner is a member of. Reflections and
 * certificates are visible to the learner and to these trainers only (not to every trainer or admin).
 */
import { teamIdsTrainedBy } from '../teams/service';
import { getPerson } from '../users/service';
import { NotFound } from '../errors';

export async function teamIdsOfLearner(learnerId: string): Promise<string[]> {
  try {
    return (await getPerson(learnerId)).teamIds;
  } catch (error) {
    if (error instanceof NotFound) return [];
    throw error;
  }
}

export async function looksAfter(trainerId: string, learnerId: string): Promise<boolean> {
  if (trainerId === learnerId) return false;
  const [trained, learnerTeams] = await Promise.all([teamIdsTrainedBy(trainerId), teamIdsOfLearner(learnerId)]);
  return learnerTeams.some((teamId) => trained.includes(teamId));
}
