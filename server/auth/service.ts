/**
 * Signing in, invitations and password resets.
 * One-time links carry a random token; only its sha256 is stored (server/auth/model.ts). A link works once and
 * expires: invitations after 7 days, password resets after 1 hour.
 * Made once by the composition root (../services.ts) with the services, the mailer and the session store it uses.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import { AUDIT_ACTIONS, type AuditService } from '../audit/service';
import type { Mailer } from '../mail/mailer';
import type { TeamDetail, TeamsService } from '../teams/service';
import { normaliseEmail, type UsersService } from '../users/service';
import type { Role, SignedInUser } from '../people';
import { Forbidden, Invalid } from '../errors';
import { OneTimeToken, type TokenPurpose } from './model';
import { decoyPasswordHash, hashPassword, verifyPassword } from './passwords';

const INVITATION_DAYS = 7;
const INVITATION_MS = INVITATION_DAYS * 24 * 60 * 60 * 1000;
const RESET_MINUTES = 60;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export type SignInResult = { ok: true; user: SignedInUser } | { ok: false; reason: 'wrong-details' | 'disabled' };

export interface InvitationRequest {
  email: string;
  roles: Role[];
  teamId?: string;
}

export interface InvitationOutcome {
  email: string;
  result: 'invited' | 'added' | 'refused';
  message: string;
}

export interface InvitationContext {
  actor: SignedInUser;
  ip?: string;
}

/** Where sessions are kept: a password reset ends every session of the person (the session store does it). */
export interface SessionEnding {
  endSessionsOfUser(userId: string): Promise<void>;
}

export interface AuthServiceDeps {
  users: UsersService;
  teams: TeamsService;
  audit: AuditService;
  mailer: Mailer;
  /** The address people use, for the links in emails. */
  baseUrl: string;
  sessions: SessionEnding;
}

/**
 * The teams people are invited into, each read (and checked: a trainer invites only into teams they train)
 * once however many invitations name it, as a CSV file's rows do.
 */
type InvitationTeams = (teamId: string) => Promise<TeamDetail>;

/** The roles a trainer (who is not an admin) may give in an invitation. */
export const ROLES_TRAINERS_GRANT: readonly Role[] = ['learner', 'co-facilitator'];

function usableTokenFilter(token: string, purpose: TokenPurpose) {
  return { tokenHash: hashToken(token), purpose, usedAt: { $exists: false }, expiresAt: { $gt: new Date() } };
}

/** Trainers may invite learners and co-facilitators into their own teams; admins may invite anyone anywhere. */
function assertMayInvite(actor: SignedInUser, request: InvitationRequest): void {
  if (actor.roles.includes('admin')) return;
  if (!actor.roles.includes('trainer')) throw new Forbidden('Only trainers and admins can invite people.');
  if (request.roles.some((role) => !ROLES_TRAINERS_GRANT.includes(role))) {
    throw new Invalid({ roles: 'Trainers can invite learners and co-facilitators. Ask an admin to invite trainers or admins.' });
  }
}

export function createAuthService({ users, teams: teamsService, audit, mailer, baseUrl, sessions }: AuthServiceDeps) {
  // ---------------------------------------------------------------------------------------------------------------
  // Sign-in

  /**
   * Checks an email and password. Unknown email, wrong password and an unfinished invitation all give the same
   * answer (and take the same time), so the form never reveals which emails have accounts.
   */
  async function authenticate(email: string, password: string, ip?: string): Promise<SignInResult> {
    const candidate = await users.findSignInCandidate(email);
    const matches = await verifyPassword(candidate?.passwordHash ?? (await decoyPasswordHash()), password);
    const target = { type: 'user', id: candidate?.user.id ?? '', label: normaliseEmail(email) };

    if (!candidate || !matches || !candidate.passwordHash || candidate.status === 'invited') {
      await audit.recordAudit({ action: AUDIT_ACTIONS.signInFailed, actor: { email: normaliseEmail(email) }, target, details: { reason: 'wrong details' }, ip });
      return { ok: false, reason: 'wrong-details' };
    }
    if (candidate.status === 'disabled') {
      await audit.recordAudit({ action: AUDIT_ACTIONS.signInFailed, actor: { id: candidate.user.id, email: candidate.user.email }, target, details: { reason: 'account disabled' }, ip });
      return { ok: false, reason: 'disabled' };
    }
    await users.recordSuccessfulSignIn(candidate.user.id);
    await audit.recordAudit({ action: AUDIT_ACTIONS.signIn, actor: { id: candidate.user.id, email: candidate.user.email }, target, ip });
    return { ok: true, user: candidate.user };
  }

  /** Records a sign-out (the route ends the session). */
  async function recordSignOut(user: Pick<SignedInUser, 'id' | 'email'>, ip?: string): Promise<void> {
    await audit.recordAudit({ action: AUDIT_ACTIONS.signOut, actor: user, target: { type: 'user', id: user.id, label: user.email }, ip });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // One-time tokens

  async function issueToken(purpose: TokenPurpose, userId: string, lifetimeMs: number, createdBy?: string): Promise<string> {
    // Any earlier link for the same purpose stops working: only the newest email is valid.
    await OneTimeToken.updateMany({ userId: new Types.ObjectId(userId), purpose, usedAt: { $exists: false } }, { $set: { usedAt: new Date() } });
    const token = randomBytes(32).toString('base64url');
    await OneTimeToken.create({
      tokenHash: hashToken(token),
      purpose,
      userId: new Types.ObjectId(userId),
      createdBy: createdBy ? new Types.ObjectId(createdBy) : undefined,
      expiresAt: new Date(Date.now() + lifetimeMs),
    });
    return token;
  }

  /** Who a link is for, if it can still be used. */
  async function findUsableToken(token: string, purpose: TokenPurpose): Promise<{ userId: string; email: string } | undefined> {
    const found = await OneTimeToken.findOne(usableTokenFilter(token, purpose), { userId: 1 }).lean();
    if (!found) return undefined;
    const person = await users.getPerson(String(found.userId)).catch(() => undefined);
    if (!person || person.status === 'disabled') return undefined;
    return { userId: person.id, email: person.email };
  }

  /** Marks a token used, atomically: of two simultaneous uses only one succeeds. */
  async function consumeToken(token: string, purpose: TokenPurpose): Promise<string | undefined> {
    const used = await OneTimeToken.findOneAndUpdate(usableTokenFilter(token, purpose), { $set: { usedAt: new Date() } }, { projection: { userId: 1 } }).lean();
    return used ? String(used.userId) : undefined;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Invitations

  function invitationTeams(actor: SignedInUser): InvitationTeams {
    const teams = new Map<string, Promise<TeamDetail>>();
    return (teamId) => {
      let team = teams.get(teamId);
      if (!team) {
        team = (async () => {
          if (!actor.roles.includes('admin')) await teamsService.assertCanManageTeam(actor, teamId);
          return teamsService.getTeam(teamId);
        })();
        teams.set(teamId, team);
      }
      return team;
    };
  }

  /** A new one-time link that lets the invited person set up their account (valid for INVITATION_DAYS). */
  async function invitationLink(userId: string, issuedBy?: string): Promise<string> {
    return `${baseUrl}/invitations/${await issueToken('invitation', userId, INVITATION_MS, issuedBy)}`;
  }

  /** Invites one person: a new account waiting for them, or more roles on an existing account. Sends the email. */
  async function invitePerson(
    context: InvitationContext,
    request: InvitationRequest,
    teams: InvitationTeams = invitationTeams(context.actor),
  ): Promise<InvitationOutcome> {
    assertMayInvite(context.actor, request);
    const team = request.teamId ? await teams(request.teamId) : undefined;
    const { user, status } = await users.ensureInvitedUser({ email: request.email, roles: request.roles, teamIds: team ? [team.id] : [] });
    if (status === 'disabled') {
      return { email: user.email, result: 'refused', message: 'This account is disabled. Enable it on the person’s page first.' };
    }
    if (team) {
      await teamsService.addMembers(team.id, [user.id]);
      if (request.roles.includes('trainer')) await teamsService.addTrainers(team.id, [user.id]);
    }
    const inviter = context.actor.name || context.actor.email;
    const teamLine = team ? ` in the team "${team.name}"` : '';

    if (status === 'active') {
      await mailer.send({
        to: user.email,
        subject: 'You have new access on Coproduce',
        text: `Hello ${user.name || ''},\n\n${inviter} has given you more access on Coproduce${teamLine}.\n\nSign in as usual: ${baseUrl}/sign-in\n`,
      });
      await audit.recordAudit({
        action: AUDIT_ACTIONS.invitationSent,
        actor: context.actor,
        target: { type: 'user', id: user.id, label: user.email },
        details: { roles: request.roles, team: team?.name, existingAccount: true },
        ip: context.ip,
      });
      return { email: user.email, result: 'added', message: 'Already had an account: the new roles were added.' };
    }

    const link = await invitationLink(user.id, context.actor.id);
    await mailer.send({
      to: user.email,
      subject: 'You are invited to Coproduce',
      text: [
        'Hello,',
        '',
        `${inviter} has invited you to Coproduce${teamLine}. Coproduce is training made together with autistic young people and parent carers.`,
        '',
        'To accept, open this link, then choose your name and a password:',
        link,
        '',
        `The link works once and for ${INVITATION_DAYS} days.`,
        'If you did not expect this email, you can ignore it.',
        '',
      ].join('\n'),
    });
    await audit.recordAudit({
      action: AUDIT_ACTIONS.invitationSent,
      actor: context.actor,
      target: { type: 'user', id: user.id, label: user.email },
      details: { roles: request.roles, team: team?.name },
      ip: context.ip,
    });
    return { email: user.email, result: 'invited', message: 'Invitation sent.' };
  }

  /**
   * The first admin of a new installation (ADMIN_EMAIL), when no admin exists: an invitation nobody sent, so the
   * link is also returned for the console. Production has no demo accounts; this is how its first person gets in.
   */
  async function inviteFirstAdmin(email: string): Promise<string> {
    const { user } = await users.ensureInvitedUser({ email, roles: ['admin'], teamIds: [] });
    const link = await invitationLink(user.id);
    await mailer.send({
      to: user.email,
      subject: 'Set up Coproduce as its first admin',
      text: ['Hello,', '', 'Coproduce is installed. To set up your admin account, open this link and choose your name and a password:', link, '', `The link works once and for ${INVITATION_DAYS} days.`, ''].join('\n'),
    });
    await audit.recordAudit({ action: AUDIT_ACTIONS.invitationSent, actor: { email: 'system' }, target: { type: 'user', id: user.id, label: user.email }, details: { roles: ['admin'], firstAdmin: true } });
    return link;
  }

  /** Invites many people (from a CSV); one refusal does not stop the others. */
  async function invitePeople(context: InvitationContext, requests: InvitationRequest[]): Promise<InvitationOutcome[]> {
    const outcomes: InvitationOutcome[] = [];
    const teams = invitationTeams(context.actor);
    for (const request of requests) {
      try {
        outcomes.push(await invitePerson(context, request, teams));
      } catch (error) {
        if (error instanceof Invalid || error instanceof Forbidden) {
          const message = error instanceof Invalid ? Object.values(error.fields).join(' ') : error.message;
          outcomes.push({ email: request.email, result: 'refused', message });
        } else {
          throw error;
        }
      }
    }
    return outcomes;
  }

  /** The invitee chooses their name and password; the account becomes active. */
  async function acceptInvitation(token: string, input: { name: string; password: string }, ip?: string): Promise<SignedInUser | undefined> {
    // Hash first: the token is consumed only when everything else is ready.
    const passwordHash = await hashPassword(input.password);
    const userId = await consumeToken(token, 'invitation');
    if (!userId) return undefined;
    const person = await users.getPerson(userId);
    if (person.status === 'disabled') return undefined;
    await users.setPasswordHash(userId, passwordHash, { name: input.name, activate: true });
    await audit.recordAudit({ action: AUDIT_ACTIONS.invitationAccepted, actor: { id: userId, email: person.email }, target: { type: 'user', id: userId, label: person.email }, ip });
    return users.findSignedInUser(userId);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Password reset

  /**
   * Sends a reset link when the email belongs to an active account. The caller always shows the same answer,
   * so nobody can find out which emails have accounts.
   */
  async function requestPasswordReset(email: string, context: { ip?: string } = {}): Promise<void> {
    const candidate = await users.findSignInCandidate(email);
    await audit.recordAudit({
      action: AUDIT_ACTIONS.passwordResetRequested,
      actor: { id: candidate?.user.id, email: normaliseEmail(email) },
      target: { type: 'user', id: candidate?.user.id ?? '', label: normaliseEmail(email) },
      details: { accountFound: candidate?.status === 'active' },
      ip: context.ip,
    });
    if (!candidate || candidate.status !== 'active') return;
    const token = await issueToken('password-reset', candidate.user.id, RESET_MINUTES * 60 * 1000);
    await mailer.send({
      to: candidate.user.email,
      subject: 'Reset your Coproduce password',
      text: [
        `Hello ${candidate.user.name},`,
        '',
        'Someone asked to reset the password for your Coproduce account. To choose a new password, open this link:',
        `${baseUrl}/password-reset/${token}`,
        '',
        `The link works once and for ${RESET_MINUTES} minutes.`,
        'If you did not ask for this, you can ignore this email. Your password stays the same.',
        '',
      ].join('\n'),
    });
  }

  /** Sets the new password, and signs the person out everywhere else. */
  async function resetPassword(token: string, password: string, ip?: string): Promise<boolean> {
    const passwordHash = await hashPassword(password);
    const userId = await consumeToken(token, 'password-reset');
    if (!userId) return false;
    const person = await users.getPerson(userId);
    if (person.status !== 'active') return false;
    await users.setPasswordHash(userId, passwordHash);
    await sessions.endSessionsOfUser(userId);
    await audit.recordAudit({ action: AUDIT_ACTIONS.passwordResetCompleted, actor: { id: userId, email: person.email }, target: { type: 'user', id: userId, label: person.email }, ip });
    return true;
  }

  return {
    authenticate,
    recordSignOut,
    findUsableToken,
    invitePerson,
    inviteFirstAdmin,
    invitePeople,
    acceptInvitation,
    requestPasswordReset,
    resetPassword,
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
