/**
 * A person's own account: their name and email (an email change is confirmed through a link sent to the new
 * address), their password (the current one is asked for; their other sessions end), signing out everywhere, and
 * their certificates. Every change is written to the audit log. Made once by the composition root (../services.ts).
 */
import { AUDIT_ACTIONS, type AuditService } from '../audit/service';
import type { AuthService } from '../auth/service';
import { hashPassword, verifyPassword } from '../auth/passwords';
import type { CertificatesService, OwnCertificate } from '../certificates/service';
import { Invalid } from '../errors';
import type { Mailer } from '../mail/mailer';
import type { SignedInUser } from '../people';
import { normaliseEmail, type UsersService } from '../users/service';

export interface AccountServiceDeps {
  users: UsersService;
  auth: Pick<AuthService, 'issueEmailChangeToken' | 'findEmailChange' | 'consumeEmailChangeToken'>;
  audit: Pick<AuditService, 'recordAudit'>;
  certificates: Pick<CertificatesService, 'listCertificatesOf'>;
  /** When each certificate expires under the learner's assignments (recertification); none expire when absent. */
  expiryOfCompletions?: (learnerId: string, completions: ReadonlyArray<{ courseId: string; completedAt: Date }>) => Promise<Array<{ expiresAt: Date | null; expired: boolean }>>;
  mailer: Mailer;
  /** The address people use, for the link in the email. */
  baseUrl: string;
}

export interface AccountContext {
  ip?: string;
}

export interface Account {
  name: string;
  email: string;
  certificates: Array<OwnCertificate & { expiresAt: Date | null; expired: boolean }>;
}

export interface DetailsChange {
  nameChanged: boolean;
  /** The new address a confirmation link was sent to, when the email is to change. */
  confirmationSentTo?: string;
}

function auditTarget(user: SignedInUser) {
  return { type: 'user', id: user.id, label: user.email };
}

export function createAccountService({ users, auth, audit, certificates, mailer, baseUrl, expiryOfCompletions }: AccountServiceDeps) {
  /** What the account page shows, read fresh (not the few seconds' copy every page uses). */
  async function accountOf(user: SignedInUser): Promise<Account> {
    const [person, own] = await Promise.all([users.getPerson(user.id), certificates.listCertificatesOf(user.id)]);
    const expiries = expiryOfCompletions ? await expiryOfCompletions(user.id, own.map((certificate) => ({ courseId: String(certificate.course), completedAt: certificate.completedAt }))) : [];
    return { name: person.name, email: person.email, certificates: own.map((certificate, index) => ({ ...certificate, ...(expiries[index] ?? { expiresAt: null, expired: false }) })) };
  }

  /** Saves a new name at once; a new email address only once the link sent to it is opened. */
  async function changeDetails(user: SignedInUser, input: { name: string; email: string }, context: AccountContext): Promise<DetailsChange> {
    const current = await users.getPerson(user.id);
    const outcome: DetailsChange = { nameChanged: false };
    const newEmail = normaliseEmail(input.email);
    if (newEmail !== current.email && (await users.userExists(newEmail))) {
      throw new Invalid({ email: 'There is already an account with this email address. Use another address.' });
    }
    if (input.name !== current.name) {
      await users.changeName(user.id, input.name);
      await audit.recordAudit({ action: AUDIT_ACTIONS.nameChanged, actor: user, target: auditTarget(user), details: { from: current.name, to: input.name }, ip: context.ip });
      outcome.nameChanged = true;
    }
    if (newEmail !== current.email) {
      const { token, minutes } = await auth.issueEmailChangeToken(user.id, newEmail);
      await mailer.send({
        to: newEmail,
        subject: 'Confirm your new email address for Coproduce',
        text: [
          `Hello ${input.name},`,
          '',
          `You asked to use this email address for your Coproduce account instead of ${current.email}. To confirm, open this link:`,
          `${baseUrl}/account/email/${token}`,
          '',
          `The link works once and for ${minutes} minutes. Until you open it, your account keeps its old address.`,
          'If you did not ask for this, you can ignore this email.',
          '',
        ].join('\n'),
      });
      await audit.recordAudit({ action: AUDIT_ACTIONS.emailChangeRequested, actor: user, target: auditTarget(user), details: { to: newEmail }, ip: context.ip });
      outcome.confirmationSentTo = newEmail;
    }
    return outcome;
  }

  /** The change a link would confirm, for the confirmation page; undefined when the link cannot be used. */
  async function pendingEmailChange(token: string): Promise<{ newEmail: string } | undefined> {
    const change = await auth.findEmailChange(token);
    return change && { newEmail: change.newEmail };
  }

  /**
   * Opens the link sent to the new address: the account takes that address, and the old address is told (so a
   * change nobody asked for does not go unnoticed). Undefined when the link cannot be used any more.
   */
  async function confirmEmailChange(token: string, context: AccountContext): Promise<{ email: string } | undefined> {
    const change = await auth.consumeEmailChangeToken(token);
    if (!change) return undefined;
    const person = await users.getPerson(change.userId);
    if (person.status === 'disabled' || !(await users.changeEmail(change.userId, person.email, change.newEmail))) return undefined;
    await audit.recordAudit({
      action: AUDIT_ACTIONS.emailChanged,
      actor: { id: person.id, email: change.newEmail },
      target: { type: 'user', id: person.id, label: change.newEmail },
      details: { from: person.email, to: change.newEmail },
      ip: context.ip,
    });
    await mailer.send({
      to: person.email,
      subject: 'Your Coproduce email address has changed',
      text: [
        `Hello ${person.name},`,
        '',
        `The email address of your Coproduce account is now ${change.newEmail}. Sign in with that address from now on.`,
        'If you did not make this change, tell your trainer or an admin straight away.',
        '',
      ].join('\n'),
    });
    return { email: change.newEmail };
  }

  /**
   * A new password, after checking the current one. Every other session of the person ends (in every app process);
   * the one that asked stays signed in. Returns the new session version, for that session to carry.
   */
  async function changePassword(
    user: SignedInUser,
    input: { currentPassword: string; password: string },
    context: AccountContext & { sessionId: string },
  ): Promise<number> {
    const hash = await users.findPasswordHash(user.id);
    if (!hash || !(await verifyPassword(hash, input.currentPassword))) {
      throw new Invalid({ currentPassword: 'This is not your current password. Check it and try again.' });
    }
    const newVersion = await users.setPasswordAndEndSessions(user.id, await hashPassword(input.password), { keep: context.sessionId });
    if (newVersion === undefined) throw new Invalid({ currentPassword: 'Your account cannot change its password now.' });
    await audit.recordAudit({ action: AUDIT_ACTIONS.passwordChanged, actor: user, target: auditTarget(user), ip: context.ip });
    return newVersion;
  }

  /** Ends every session of the person, this one too, in every app process within a second. */
  async function signOutEverywhere(user: SignedInUser, context: { ip?: string }): Promise<void> {
    await users.endAllSessions(user.id);
    await audit.recordAudit({ action: AUDIT_ACTIONS.signedOutEverywhere, actor: user, target: auditTarget(user), ip: context.ip });
  }

  return { accountOf, changeDetails, pendingEmailChange, confirmEmailChange, changePassword, signOutEverywhere };
}

export type AccountService = ReturnType<typeof createAccountService>;
