/**
 * Demo accounts for a first start outside production: one person per role and a demo team, so a new
 * installation can be tried at once. The password is DEMO_PASSWORD, or random and shown once.
 */
import { randomBytes } from 'node:crypto';
import { hashPassword } from '../auth/passwords';
import type { TeamsService } from '../teams/service';
import type { UsersService } from '../users/service';
import type { Role } from '../people';

export const DEMO_ACCOUNTS: ReadonlyArray<{ email: string; name: string; roles: Role[] }> = [
  { email: 'admin@example.org', name: 'Alex Admin', roles: ['admin'] },
  { email: 'trainer@example.org', name: 'Tara Trainer', roles: ['trainer'] },
  { email: 'cofacilitator@example.org', name: 'Casey Co-facilitator', roles: ['co-facilitator'] },
  { email: 'learner@example.org', name: 'Lee Learner', roles: ['learner'] },
];

const DEMO_TEAM = 'Demo team';

export interface DemoSeedResult {
  created: string[];
  password: string;
}

/** A password that is easy to type from the console: four groups of letters and digits. */
function randomPassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  const bytes = randomBytes(16);
  const characters = [...bytes].map((byte) => alphabet[byte % alphabet.length]);
  return [0, 4, 8, 12].map((start) => characters.slice(start, start + 4).join('')).join('-');
}

/** Creates the demo accounts that do not exist yet. */
export async function seedDemoAccounts(
  { users, teams }: { users: Pick<UsersService, 'userExists' | 'createUser'>; teams: Pick<TeamsService, 'findTeamByName' | 'createTeam' | 'addMembers' | 'addTrainers'> },
  options: { password?: string },
): Promise<DemoSeedResult> {
  const password = options.password ?? randomPassword();
  const passwordHash = await hashPassword(password);
  const created: string[] = [];
  const ids = new Map<string, string>();
  for (const account of DEMO_ACCOUNTS) {
    if (await users.userExists(account.email)) continue;
    const user = await users.createUser({ ...account, status: 'active', passwordHash });
    ids.set(account.email, user.id);
    created.push(account.email);
  }
  const team = (await teams.findTeamByName(DEMO_TEAM)) ?? (await teams.createTeam(DEMO_TEAM));
  const learner = ids.get('learner@example.org');
  const trainer = ids.get('trainer@example.org');
  if (learner) await teams.addMembers(team.id, [learner]);
  if (trainer) await teams.addTrainers(team.id, [trainer]);
  return { created, password };
}
