/**
 * View models for the admin pages: plain objects with exactly what each page shows, already worded and formatted.
 */
import type { AuditList } from '../audit/service';
import type { UserStatus } from '../users/model';
import type { PersonSummary } from '../users/service';
import { ROLE_LABELS, ROLES, type Role } from '../people';

const STATUS_LABELS: Readonly<Record<UserStatus, string>> = {
  invited: 'Invited, not joined yet',
  active: 'Active',
  disabled: 'Turned off',
};

const AUDIT_LABELS: Readonly<Record<string, string>> = {
  'sign-in': 'Signed in',
  'sign-in.failed': 'Sign-in refused',
  'sign-out': 'Signed out',
  'invitation.sent': 'Invitation sent',
  'invitation.accepted': 'Invitation accepted',
  'password-reset.requested': 'Password reset asked for',
  'password-reset.completed': 'Password changed by reset link',
  'user.roles-changed': 'Roles changed',
  'user.disabled': 'Account turned off',
  'user.enabled': 'Account turned back on',
  'team.created': 'Team created',
  'team.changed': 'Team changed',
};

const dateTime = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC' });

export function formatDateTime(date: Date | undefined): string {
  return date ? `${dateTime.format(date)} UTC` : 'Never';
}

export function rolesText(roles: readonly Role[]): string {
  return roles.length === 0 ? 'No roles' : roles.map((role) => ROLE_LABELS[role]).join(', ');
}

export const roleOptions = ROLES.map((role) => ({ value: role, text: ROLE_LABELS[role] }));

export function statusOptions(): Array<{ value: string; text: string }> {
  return [{ value: '', text: 'Any status' }, ...Object.entries(STATUS_LABELS).map(([value, text]) => ({ value, text }))];
}

export function personRow(person: PersonSummary, teamNames: Map<string, string>) {
  return {
    id: person.id,
    name: person.name || '(not given yet)',
    /** What the person's own page is titled: their name, or their email until they have told us their name. */
    heading: person.name || person.email,
    invited: person.status === 'invited',
    email: person.email,
    roles: rolesText(person.roles),
    status: STATUS_LABELS[person.status],
    disabled: person.status === 'disabled',
    lastSignIn: formatDateTime(person.lastSignInAt),
    teams: person.teamIds.map((id) => teamNames.get(id)).filter((name): name is string => name !== undefined).join(', ') || 'None',
  };
}

export function auditRows(list: AuditList) {
  return list.items.map((event) => ({
    id: event.id,
    when: formatDateTime(event.at),
    action: AUDIT_LABELS[event.action] ?? event.action,
    who: event.actorEmail ?? 'Someone not signed in',
    target: event.targetLabel ?? '',
    details: describeDetails(event.details),
  }));
}

function describeDetails(details: Record<string, unknown> | undefined): string {
  if (!details) return '';
  return Object.entries(details)
    .filter(([, value]) => value !== undefined && value !== null && value !== '')
    .map(([key, value]) => `${key}: ${Array.isArray(value) ? value.join(', ') : String(value)}`)
    .join('; ');
}

export function auditActionOptions(actions: string[]) {
  return [{ value: '', text: 'Everything' }, ...actions.map((action) => ({ value: action, text: AUDIT_LABELS[action] ?? action }))];
}
