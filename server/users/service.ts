/**
 * People: finding, creating and changing user accounts. Other features call this service, never the model.
 * Made once by the composition root (../services.ts) with the cache of signed-in people it owns.
 */
import { Types, type QueryFilter } from 'mongoose';
import { AUDIT_ACTIONS, type AuditService } from '../audit/service';
import { isDuplicateKey } from '../db/mongo-errors';
import { RecentReads } from '../db/recent-reads';
import { containsText } from '../db/text-search';
import { Conflict, Forbidden, Invalid, NotFound } from '../errors';
import type { SessionsService } from '../sessions/service';
import { User, type UserDocument, type UserStatus } from './model';
import { DEFAULT_PREFERENCES, normalisePreferences, type Preferences, type Role, type SignedInUser } from './types';

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

function objectId(id: string): Types.ObjectId {
  if (!Types.ObjectId.isValid(id)) throw new NotFound('We could not find this person.');
  return new Types.ObjectId(id);
}

const SIGNED_IN_FIELDS = { email: 1, name: 1, roles: 1, preferences: 1, status: 1, sessionVersion: 1 } as const;

type SignedInFields = Pick<UserDocument, '_id' | 'email' | 'name' | 'roles' | 'preferences' | 'status'> & { sessionVersion?: number | null };

function toSignedInUser(user: SignedInFields): SignedInUser {
  return {
    id: String(user._id),
    name: user.name ?? '',
    email: user.email,
    roles: [...(user.roles as Role[])],
    preferences: normalisePreferences(user.preferences),
    sessionVersion: user.sessionVersion ?? 0,
  };
}

/**
 * Every signed-in request needs its person; reading them from the database each time doubled the cost of a
 * small page (measured with bench/lesson.ts). So this process remembers each person for a few seconds
 * (../db/recent-reads.ts), and forgets them at once when this service has changed them. A change that takes
 * access away is also announced (../sessions/service.ts), and every other process's revocation feed forgets the
 * person within a second (../services.ts wires it); a new name or preferences reach other processes within
 * SIGNED_IN_CACHE_MS.
 */
const SIGNED_IN_CACHE_MS = 10_000;

export type SignedInCache = RecentReads<SignedInUser | undefined>;

export function createSignedInCache(): SignedInCache {
  return new RecentReads<SignedInUser | undefined>({ ttlMs: SIGNED_IN_CACHE_MS, limit: 10_000 });
}

function copyOf(user: SignedInUser): SignedInUser {
  return { ...user, roles: [...user.roles], preferences: { ...user.preferences } };
}

export interface SignInCandidate {
  user: SignedInUser;
  status: UserStatus;
  passwordHash: string | undefined;
}

export interface NewUser {
  email: string;
  name?: string;
  roles: Role[];
  status: UserStatus;
  passwordHash?: string;
  teamIds?: string[];
}

export interface PersonSummary {
  id: string;
  name: string;
  email: string;
  roles: Role[];
  status: UserStatus;
  lastSignInAt: Date | undefined;
  teamIds: string[];
}

export interface PeopleQuery {
  search?: string;
  role?: Role;
  status?: UserStatus;
  /** Only members of these teams (trainers see the people in the teams they train). */
  teamIds?: string[];
  page: number;
  pageSize: number;
}

type PersonFields = SignedInFields & { lastSignInAt?: Date | null; teams?: Types.ObjectId[] };

function toPersonSummary(user: PersonFields): PersonSummary {
  return {
    id: String(user._id),
    name: user.name ?? '',
    email: user.email,
    roles: [...(user.roles as Role[])],
    status: user.status,
    lastSignInAt: user.lastSignInAt ?? undefined,
    teamIds: (user.teams ?? []).map(String),
  };
}

const PERSON_FIELDS = { ...SIGNED_IN_FIELDS, lastSignInAt: 1, teams: 1 } as const;

export interface UsersServiceDeps {
  signedInCache: SignedInCache;
  /** Ends stored sessions and tells every app process what to forget. */
  sessions: SessionsService;
  /** Where role changes and turning accounts off or on are recorded. */
  audit: Pick<AuditService, 'recordAudit'>;
}

/** Who made a change, for the audit log. */
export interface ChangedBy {
  actor: SignedInUser;
  ip?: string;
}

export function createUsersService({ signedInCache: signedInReads, audit, sessions }: UsersServiceDeps) {
  /** Forgets what this process remembers about a person, after a change. */
  function forgetSignedInUser(id: string): void {
    signedInReads.forget(id);
  }

  /** After a change that takes access away: forgotten here at once, and announced to every other process. */
  async function revokeRemembered(id: string): Promise<void> {
    forgetSignedInUser(id);
    await sessions.announceRevocation({ userId: id });
  }

  async function readSignedInUser(id: string): Promise<SignedInUser | undefined> {
    const found = await User.findOne({ _id: new Types.ObjectId(id), status: 'active' }, SIGNED_IN_FIELDS).lean<SignedInFields>();
    return found ? toSignedInUser(found) : undefined;
  }

  /** The person behind a session: only active accounts, only the fields every page needs. Each caller gets a copy. */
  async function findSignedInUser(id: string): Promise<SignedInUser | undefined> {
    if (!Types.ObjectId.isValid(id)) return undefined;
    const user = await signedInReads.get(id, () => readSignedInUser(id));
    return user && copyOf(user);
  }

  /** The account for an email address, with its hash, for checking a password. */
  async function findSignInCandidate(email: string): Promise<SignInCandidate | undefined> {
    const user = await User.findOne({ email: normaliseEmail(email) }, { ...SIGNED_IN_FIELDS, passwordHash: 1 }).lean<
      SignedInFields & { passwordHash?: string | null }
    >();
    if (!user) return undefined;
    return { user: toSignedInUser(user), status: user.status, passwordHash: user.passwordHash ?? undefined };
  }

  /** Creates an account; Conflict when the email is already used. */
  async function createUser(input: NewUser): Promise<SignedInUser> {
    try {
      const user = await User.create({
        email: normaliseEmail(input.email),
        name: input.name ?? '',
        roles: [...new Set(input.roles)],
        status: input.status,
        passwordHash: input.passwordHash,
        teams: (input.teamIds ?? []).map((id) => objectId(id)),
        preferences: { ...DEFAULT_PREFERENCES },
      });
      return toSignedInUser(user);
    } catch (error) {
      if (isDuplicateKey(error)) throw new Conflict('There is already an account with this email address.');
      throw error;
    }
  }

  async function userExists(email: string): Promise<boolean> {
    return (await User.exists({ email: normaliseEmail(email) })) !== null;
  }

  async function countUsers(): Promise<number> {
    return User.estimatedDocumentCount();
  }

  /** True when at least one admin account can sign in. */
  async function adminExists(): Promise<boolean> {
    return (await User.exists({ roles: 'admin', status: 'active' })) !== null;
  }

  /** Called by the preferences feature. Returns the preferences as stored. */
  async function updateUserPreferences(userId: string, preferences: Partial<Preferences>): Promise<Preferences> {
    const stored = normalisePreferences(preferences);
    const result = await User.updateOne({ _id: objectId(userId) }, { $set: { preferences: stored } });
    forgetSignedInUser(userId);
    if (result.matchedCount === 0) throw new NotFound('We could not find this person.');
    return stored;
  }

  async function recordSuccessfulSignIn(userId: string): Promise<void> {
    await User.updateOne({ _id: objectId(userId) }, { $set: { lastSignInAt: new Date() } });
    // The sign-in has just read the person afresh: what this process remembers may be from before a change made on
    // another process (turned back on, say) whose note the revocation feed has not brought yet.
    forgetSignedInUser(userId);
  }

  /**
   * Accepting an invitation: name, password, and the account becomes active, only while it is still invited. One
   * conditional update, so an admin turning the account off in between wins. False when it is no longer invited.
   */
  async function activateInvitedAccount(userId: string, passwordHash: string, name: string): Promise<boolean> {
    const result = await User.updateOne({ _id: objectId(userId), status: 'invited' }, { $set: { passwordHash, name, status: 'active' } });
    forgetSignedInUser(userId);
    return result.modifiedCount === 1;
  }

  /**
   * A new password for an active account, ending its sessions: all of them (a reset from an emailed link), or all
   * but `keep`, the session of the person who changed it on their account page. Returns the new session version
   * (the kept session is stamped with it), or undefined when the account is not active (turned off in between).
   */
  async function setPasswordAndEndSessions(userId: string, passwordHash: string, options: { keep?: string } = {}): Promise<number | undefined> {
    const after = await User.findOneAndUpdate(
      { _id: objectId(userId), status: 'active' },
      { $set: { passwordHash }, $inc: { sessionVersion: 1 } },
      { projection: { sessionVersion: 1 }, returnDocument: 'after' },
    ).lean<{ sessionVersion?: number }>();
    forgetSignedInUser(userId);
    if (!after) return undefined;
    await sessions.deleteSessionsOf(userId, options);
    return after.sessionVersion ?? 0;
  }

  /**
   * Ends every session of a person at once, in every app process: the session version goes up (so a session any
   * process still remembers is refused), the stored sessions are deleted, and every process is told.
   */
  async function endAllSessions(userId: string): Promise<void> {
    const result = await User.updateOne({ _id: objectId(userId) }, { $inc: { sessionVersion: 1 } });
    forgetSignedInUser(userId);
    if (result.matchedCount === 0) throw new NotFound('We could not find this person.');
    await sessions.deleteSessionsOf(userId);
  }

  /** A person's own name change (their account page). */
  async function changeName(userId: string, name: string): Promise<void> {
    const result = await User.updateOne({ _id: objectId(userId) }, { $set: { name } });
    if (result.matchedCount === 0) throw new NotFound('We could not find this person.');
    await revokeRemembered(userId);
  }

  /**
   * A confirmed email change: only while the account still has the address the change was asked from and is not
   * turned off (one conditional update). Conflict when another account has the new address. False when the
   * account changed in between (the link is then of no use).
   */
  async function changeEmail(userId: string, from: string, to: string): Promise<boolean> {
    try {
      const result = await User.updateOne(
        { _id: objectId(userId), email: normaliseEmail(from), status: { $ne: 'disabled' } },
        { $set: { email: normaliseEmail(to) } },
      );
      forgetSignedInUser(userId);
      if (result.modifiedCount === 1) await revokeRemembered(userId);
      return result.modifiedCount === 1;
    } catch (error) {
      if (isDuplicateKey(error)) throw new Conflict('There is already an account with this email address.');
      throw error;
    }
  }

  /** The stored password hash of an active account, for checking the current password before a change. */
  async function findPasswordHash(userId: string): Promise<string | undefined> {
    const user = await User.findOne({ _id: objectId(userId), status: 'active' }, { passwordHash: 1 }).lean<{ passwordHash?: string | null }>();
    return user?.passwordHash ?? undefined;
  }

  /**
   * For an invitation: the existing account for this email (its roles and teams get added to), or a new invited one.
   * Returns whether the account still needs to be accepted (invited) or already works (active).
   */
  async function ensureInvitedUser(input: { email: string; roles: Role[]; teamIds: string[] }): Promise<{ user: SignedInUser; status: UserStatus }> {
    const email = normaliseEmail(input.email);
    const teams = input.teamIds.map((id) => objectId(id));
    const existing = await User.findOneAndUpdate(
      { email },
      { $addToSet: { roles: { $each: input.roles }, teams: { $each: teams } } },
      { projection: SIGNED_IN_FIELDS, returnDocument: 'after' },
    ).lean<SignedInFields>();
    if (existing) {
      forgetSignedInUser(String(existing._id));
      return { user: toSignedInUser(existing), status: existing.status };
    }
    const created = await createUser({ email, roles: input.roles, status: 'invited', teamIds: input.teamIds });
    return { user: created, status: 'invited' };
  }


  async function listPeople(query: PeopleQuery): Promise<{ items: PersonSummary[]; total: number; page: number; pageCount: number }> {
    const filter: QueryFilter<UserDocument> = {};
    if (query.role) filter.roles = query.role;
    if (query.status) filter.status = query.status;
    if (query.teamIds) filter.teams = { $in: query.teamIds.map((id) => objectId(id)) };
    if (query.search) {
      const pattern = containsText(query.search);
      filter.$or = [{ email: pattern }, { name: pattern }];
    }
    const [total, people] = await Promise.all([
      User.countDocuments(filter),
      User.find(filter, PERSON_FIELDS)
        .sort({ name: 1, email: 1 })
        .skip((query.page - 1) * query.pageSize)
        .limit(query.pageSize)
        .lean<PersonFields[]>(),
    ]);
    return { items: people.map(toPersonSummary), total, page: query.page, pageCount: Math.max(1, Math.ceil(total / query.pageSize)) };
  }

  async function getPerson(id: string): Promise<PersonSummary> {
    const user = await User.findById(objectId(id), PERSON_FIELDS).lean<PersonFields>();
    if (!user) throw new NotFound('We could not find this person.');
    return toPersonSummary(user);
  }

  /** People by id, for showing names in lists (team members, trainers). */
  async function getPeopleByIds(ids: string[]): Promise<PersonSummary[]> {
    const valid = ids.filter((id) => Types.ObjectId.isValid(id)).map((id) => new Types.ObjectId(id));
    if (valid.length === 0) return [];
    const people = await User.find({ _id: { $in: valid } }, PERSON_FIELDS).sort({ name: 1, email: 1 }).lean<PersonFields[]>();
    return people.map(toPersonSummary);
  }

  /**
   * Changes a person's roles, and records it. An admin cannot remove their own admin role (so the organisation is
   * never locked out).
   */
  async function changeRoles(by: ChangedBy, userId: string, roles: Role[]): Promise<{ email: string; before: Role[]; after: Role[] }> {
    const { actor } = by;
    if (roles.length === 0) throw new Invalid({ roles: 'Choose at least one role' });
    if (actor.id === userId && !roles.includes('admin') && actor.roles.includes('admin')) {
      throw new Forbidden('You cannot remove your own admin role. Ask another admin to do it.');
    }
    const after = [...new Set(roles)];
    const before = await User.findOneAndUpdate({ _id: objectId(userId) }, { $set: { roles: after } }, { projection: { roles: 1, email: 1 } }).lean<{
      roles: Role[];
      email: string;
    }>();
    if (!before) throw new NotFound('We could not find this person.');
    // A role taken away must reach every process's remembered copy of this person within a second.
    await revokeRemembered(userId);
    await audit.recordAudit({
      action: AUDIT_ACTIONS.rolesChanged,
      actor,
      target: { type: 'user', id: userId, label: before.email },
      details: { before: before.roles, after },
      ip: by.ip,
    });
    return { email: before.email, before: before.roles, after };
  }

  /**
   * Turns an account off or back on, and records it. Each is a conditional update (never read-then-write), so two
   * admins, or an admin and the person accepting their invitation, cannot undo each other unseen.
   *
   * Turning off ends the person's sessions for good, in every app process within a second: the session version
   * goes up in the same update, their stored sessions are deleted, and every process is told. Turning back on
   * brings no session back: they sign in again. The account returns to 'active' only if it has a password;
   * otherwise it is still an invitation.
   */
  async function setAccountDisabled(by: ChangedBy, userId: string, disabled: boolean): Promise<PersonSummary> {
    const { actor } = by;
    if (actor.id === userId && disabled) throw new Forbidden('You cannot disable your own account.');
    const id = objectId(userId);
    const after = { projection: PERSON_FIELDS, returnDocument: 'after' } as const;
    let changed: PersonFields | null;
    if (disabled) {
      changed = await User.findOneAndUpdate({ _id: id, status: { $ne: 'disabled' } }, { $set: { status: 'disabled' }, $inc: { sessionVersion: 1 } }, after).lean<PersonFields>();
    } else {
      changed =
        (await User.findOneAndUpdate({ _id: id, status: 'disabled', passwordHash: { $exists: true } }, { $set: { status: 'active' } }, after).lean<PersonFields>()) ??
        (await User.findOneAndUpdate({ _id: id, status: 'disabled', passwordHash: { $exists: false } }, { $set: { status: 'invited' } }, after).lean<PersonFields>());
    }
    // Also when it was already off: whatever sessions are left end now (harmless when there are none). Turning
    // back on is announced too, so no process goes on remembering the account as off.
    if (disabled) {
      forgetSignedInUser(userId);
      await sessions.deleteSessionsOf(userId);
    } else {
      await revokeRemembered(userId);
    }
    // Nothing changed (already as asked): the person as they are.
    const person = changed ? toPersonSummary(changed) : await getPerson(userId);
    await audit.recordAudit({
      action: disabled ? AUDIT_ACTIONS.userDisabled : AUDIT_ACTIONS.userEnabled,
      actor,
      target: { type: 'user', id: userId, label: person.email },
      ip: by.ip,
    });
    return person;
  }

  /** Keeps the user's own team list in step with a team's members. */
  async function addTeamToUsers(teamId: string, userIds: string[]): Promise<void> {
    if (userIds.length === 0) return;
    await User.updateMany({ _id: { $in: userIds.map((id) => objectId(id)) } }, { $addToSet: { teams: objectId(teamId) } });
  }

  async function removeTeamFromUsers(teamId: string, userIds: string[]): Promise<void> {
    if (userIds.length === 0) return;
    await User.updateMany({ _id: { $in: userIds.map((id) => objectId(id)) } }, { $pull: { teams: objectId(teamId) } });
  }

  async function findUserIdsByEmails(emails: string[]): Promise<Map<string, string>> {
    const users = await User.find({ email: { $in: emails.map(normaliseEmail) } }, { email: 1 }).lean<{ _id: Types.ObjectId; email: string }[]>();
    return new Map(users.map((user) => [user.email, String(user._id)]));
  }

  return {
    findSignedInUser,
    findSignInCandidate,
    createUser,
    userExists,
    countUsers,
    adminExists,
    updateUserPreferences,
    recordSuccessfulSignIn,
    activateInvitedAccount,
    setPasswordAndEndSessions,
    endAllSessions,
    changeName,
    changeEmail,
    findPasswordHash,
    ensureInvitedUser,
    listPeople,
    getPerson,
    getPeopleByIds,
    changeRoles,
    setAccountDisabled,
    addTeamToUsers,
    removeTeamFromUsers,
    findUserIdsByEmails,
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
