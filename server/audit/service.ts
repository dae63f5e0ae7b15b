/**
 * The audit log. Services call `recordAudit` for security-relevant and content-changing actions (routes never do).
 * Made once by the composition root (../services.ts).
 */
import { Types, type QueryFilter } from 'mongoose';
import { AuditEvent, type AuditEventDocument } from './model';
import { containsText } from '../db/text-search';

/** Actions the foundation records; other features may use their own dotted names ('course.published'). */
export const AUDIT_ACTIONS = {
  signIn: 'sign-in',
  signInFailed: 'sign-in.failed',
  signOut: 'sign-out',
  invitationSent: 'invitation.sent',
  invitationAccepted: 'invitation.accepted',
  passwordResetRequested: 'password-reset.requested',
  passwordResetCompleted: 'password-reset.completed',
  rolesChanged: 'user.roles-changed',
  userDisabled: 'user.disabled',
  userEnabled: 'user.enabled',
  teamCreated: 'team.created',
  teamChanged: 'team.changed',
} as const;

export interface AuditActor {
  id?: string;
  email?: string;
}

export interface AuditInput {
  action: string;
  actor?: AuditActor;
  target?: { type: string; id: string; label?: string };
  details?: Record<string, unknown>;
  ip?: string;
}

export interface AuditListQuery {
  action?: string;
  /** Part of the actor's or target's email or label. */
  search?: string;
  page: number;
  pageSize: number;
}

export interface AuditListItem {
  id: string;
  at: Date;
  action: string;
  actorEmail: string | undefined;
  targetLabel: string | undefined;
  details: Record<string, unknown> | undefined;
}

export interface AuditList {
  items: AuditListItem[];
  total: number;
  page: number;
  pageCount: number;
}

export function createAuditService() {
  async function recordAudit(input: AuditInput): Promise<void> {
    await AuditEvent.create({
      action: input.action,
      actorId: input.actor?.id && Types.ObjectId.isValid(input.actor.id) ? new Types.ObjectId(input.actor.id) : undefined,
      actorEmail: input.actor?.email,
      targetType: input.target?.type,
      targetId: input.target?.id,
      targetLabel: input.target?.label,
      details: input.details,
      ip: input.ip,
    });
  }

  async function listAuditEvents(query: AuditListQuery): Promise<AuditList> {
    const filter: QueryFilter<AuditEventDocument> = {};
    if (query.action) filter.action = query.action;
    if (query.search) {
      const pattern = containsText(query.search);
      filter.$or = [{ actorEmail: pattern }, { targetLabel: pattern }];
    }
    const [total, events] = await Promise.all([
      AuditEvent.countDocuments(filter),
      AuditEvent.find(filter, { at: 1, action: 1, actorEmail: 1, targetLabel: 1, details: 1 })
        .sort({ at: -1, _id: -1 })
        .skip((query.page - 1) * query.pageSize)
        .limit(query.pageSize)
        .lean(),
    ]);
    return {
      items: events.map((event) => ({
        id: String(event._id),
        at: event.at,
        action: event.action,
        actorEmail: event.actorEmail ?? undefined,
        targetLabel: event.targetLabel ?? undefined,
        details: (event.details as Record<string, unknown> | undefined) ?? undefined,
      })),
      total,
      page: query.page,
      pageCount: Math.max(1, Math.ceil(total / query.pageSize)),
    };
  }

  /** The distinct actions in the log, for the filter list. */
  async function listAuditActions(): Promise<string[]> {
    const actions = await AuditEvent.distinct('action');
    return actions.map(String).sort();
  }

  return {
    recordAudit,
    listAuditEvents,
    listAuditActions,
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
