/**
 * Calls for contributions (see ./model.ts): trainers on a course's authoring team open a call on one of its modules;
 * co-facilitators answer signed in, invited parent carers and young people through a personal link; the team reads
 * the answers and turns one into a block of the draft, credited as its author chose. Made once by the composition
 * root (../services.ts). Every rule lives here: who may open, answer, read and use, and whether a link still works.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import type { AuditService } from '../audit/service';
import type { AuthoringService } from '../authoring/service';
import type { CoursesService } from '../courses/service';
import type { MediaService } from '../media/service';
import { Forbidden, Invalid, NotFound } from '../errors';
import { hasAnyRole, type SignedInUser } from '../people';
import {
  Call,
  CallAnswer,
  CallInvitation,
  type AnswerCredit,
  type AnswerForm,
  type CallAnswerDoc,
  type CallAudience,
  type CallDoc,
  type CallInvitationDoc,
  type InviteeRelationship,
  type PaymentClaim,
} from './model';
import { answerBlockSource, creditedName, type AnswerBlockDetails } from './blocks';

/** A link may live at most this long, and never past the call's closing date. */
export const MAX_LINK_DAYS = 90;
const DAY_MS = 24 * 60 * 60 * 1000;

export const CALL_AUDIT = {
  opened: 'call.opened',
  closed: 'call.closed',
  invited: 'call.invitation-created',
  revoked: 'call.invitation-revoked',
  answered: 'call.answered',
  used: 'call.answer-used',
} as const;

/** What an uploaded file became, as the media service reports it. */
export interface StoredFile {
  assetId: string;
  mimeType: string;
  sizeBytes: number;
  sha256: string;
  fileName: string;
  storageKey: string;
}

export interface CallsServiceDeps {
  courses: Pick<CoursesService, 'getCourseById' | 'getLatestDraft' | 'getPublishedVersion'>;
  /** The authoring team and the draft an answer is added to. */
  authoring: Pick<AuthoringService, 'isOnAuthoringTeam' | 'startDraft' | 'addUploadedMedia' | 'addBlock' | 'addModuleCredit'>;
  media: Pick<MediaService, 'findServableAsset'>;
  audit: Pick<AuditService, 'recordAudit'>;
  baseUrl: string;
  now?: () => Date;
}

export interface CallInput {
  moduleKey: string;
  question: string;
  guidance: string;
  closesOn: Date;
  audience: CallAudience;
}

export interface AnswerInput {
  form: AnswerForm;
  text: string;
  note: string;
  /**
   * The stored file of a recording or picture, uploaded in the same request as the answer (so a person can only
   * ever attach the file they sent, never name another).
   */
  assetId?: string;
  consent: boolean;
  credit: { display: AnswerCredit; name: string; role: string };
  claim: PaymentClaim;
}

export interface CallSummary {
  id: string;
  courseId: string;
  moduleKey: string;
  moduleTitle: string;
  question: string;
  guidance: string;
  closesAt: Date;
  audience: CallAudience;
  open: boolean;
  answerCount: number;
}

export interface AnswerView {
  id: string;
  form: AnswerForm;
  text: string;
  note: string;
  /** How the author chose to be credited, resolved ("Priya", "A contributor who chose not to be named"). */
  creditLine: string;
  role: string;
  claim: PaymentClaim;
  /** Who answered, for the team: the person's name or the invited person's name and relationship. */
  from: string;
  file: StoredFile | null;
  createdAt: Date;
  usedIn: { version: number; moduleKey: string; lessonKey: string } | null;
}

export interface InvitationView {
  id: string;
  name: string;
  relationship: InviteeRelationship;
  expiresAt: Date;
  revoked: boolean;
  expired: boolean;
  answerCount: number;
}

export interface CallForTeam {
  call: CallSummary;
  answers: AnswerView[];
  invitations: InvitationView[];
  /** The lessons of the module in the draft (or the published version), for "use this answer in lesson ...". */
  lessons: Array<{ key: string; title: string }>;
  canManage: boolean;
}

/** A person arriving through a personal link: the call and who the link is for. */
export interface LinkHolder {
  call: CallSummary;
  invitationId: string;
  name: string;
  relationship: InviteeRelationship;
  answers: Array<{ form: AnswerForm; createdAt: Date }>;
}

const linkNoLongerWorks = 'This link does not work any more. It may have ended or been stopped. Please ask the person who sent it to you for a new one.';

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function isObjectId(value: string): boolean {
  return Types.ObjectId.isValid(value) && /^[a-f0-9]{24}$/.test(value);
}

function auditActor(user: SignedInUser) {
  return { id: user.id, email: user.email };
}

export function createCallsService({ courses, authoring, media, audit, baseUrl, now = () => new Date() }: CallsServiceDeps) {
  async function storedFile(assetId: string): Promise<StoredFile | null> {
    const asset = await media.findServableAsset(assetId);
    return asset ? { assetId: asset.id, mimeType: asset.mimeType, sizeBytes: asset.sizeBytes, sha256: asset.sha256, fileName: asset.originalName, storageKey: asset.storageKey } : null;
  }

  function isOpen(call: Pick<CallDoc, 'closesAt' | 'closedAt'>): boolean {
    return call.closedAt === null && call.closesAt.getTime() > now().getTime();
  }

  /** The modules of a course as the team sees them: the draft's when there is one, else the published version's. */
  async function modulesOf(courseId: string) {
    const version = (await courses.getLatestDraft(courseId)) ?? (await courses.getPublishedVersion(courseId));
    return version?.modules ?? [];
  }

  /** Answers per call, in one aggregation. */
  async function answerCountsOf(calls: CallDoc[]): Promise<Map<string, number>> {
    const counts = await CallAnswer.aggregate<{ _id: Types.ObjectId; count: number }>([
      { $match: { call: { $in: calls.map((c) => c._id) } } },
      { $group: { _id: '$call', count: { $sum: 1 } } },
    ]);
    return new Map(counts.map((c) => [c._id.toString(), c.count]));
  }

  /** Calls as pages list them: each course's modules read once, the answers counted in one aggregation. */
  async function summariseAll(calls: CallDoc[], knownCounts?: Map<string, number>): Promise<CallSummary[]> {
    const courseIds = [...new Set(calls.map((call) => call.course.toString()))];
    const modulesByCourse = new Map(await Promise.all(courseIds.map(async (id) => [id, await modulesOf(id)] as const)));
    const counts = knownCounts ?? (await answerCountsOf(calls));
    return calls.map((call) => ({
      id: call._id.toString(),
      courseId: call.course.toString(),
      moduleKey: call.moduleKey,
      moduleTitle: modulesByCourse.get(call.course.toString())?.find((m) => m.key === call.moduleKey)?.title ?? call.moduleKey,
      question: call.question,
      guidance: call.guidance,
      closesAt: call.closesAt,
      audience: call.audience,
      open: isOpen(call),
      answerCount: counts.get(call._id.toString()) ?? 0,
    }));
  }

  async function summarise(call: CallDoc, answerCount?: number): Promise<CallSummary> {
    const [summary] = await summariseAll([call], answerCount === undefined ? undefined : new Map([[call._id.toString(), answerCount]]));
    if (!summary) throw new Error('a summary for every call');
    return summary;
  }

  /** Trainers on the course's authoring team, and admins, run its calls. */
  async function mayManage(user: SignedInUser, courseId: string): Promise<boolean> {
    if (hasAnyRole(user, ['admin'])) return true;
    return hasAnyRole(user, ['trainer']) && authoring.isOnAuthoringTeam(courseId, user.id);
  }

  /** The whole authoring team (and admins) read the answers. */
  async function mayRead(user: SignedInUser, courseId: string): Promise<boolean> {
    if (hasAnyRole(user, ['admin'])) return true;
    return hasAnyRole(user, ['trainer', 'co-facilitator']) && authoring.isOnAuthoringTeam(courseId, user.id);
  }

  async function findCall(callId: string, courseId?: string): Promise<CallDoc> {
    const call = isObjectId(callId) ? await Call.findById(callId).lean<CallDoc>() : null;
    if (!call || (courseId && call.course.toString() !== courseId)) throw new NotFound('There is no such call for contributions.');
    return call;
  }

  async function openCall(user: SignedInUser, courseId: string, input: CallInput): Promise<CallSummary> {
    if (!(await mayManage(user, courseId))) throw new Forbidden('Only trainers on this course\'s authoring team can open a call.');
    const modules = await modulesOf(courseId);
    if (!modules.some((m) => m.key === input.moduleKey)) throw new Invalid({ moduleKey: 'Choose one of this course\'s modules.' });
    // The call stays open to the end of the chosen day.
    const closesAt = new Date(input.closesOn.getTime() + DAY_MS - 1);
    if (closesAt.getTime() <= now().getTime()) throw new Invalid({ closesOn: 'Choose a closing date after today.' });
    const created = await Call.create({
      course: courseId,
      moduleKey: input.moduleKey,
      question: input.question,
      guidance: input.guidance,
      closesAt,
      audience: input.audience,
      openedBy: user.id,
    });
    const call = created.toObject() as unknown as CallDoc;
    const course = await courses.getCourseById(courseId);
    await audit.recordAudit({
      action: CALL_AUDIT.opened,
      actor: auditActor(user),
      target: { type: 'call', id: call._id.toString(), label: course?.title },
      details: { moduleKey: input.moduleKey },
    });
    return summarise(call, 0);
  }

  async function closeCall(user: SignedInUser, courseId: string, callId: string): Promise<void> {
    if (!(await mayManage(user, courseId))) throw new Forbidden();
    const call = await findCall(callId, courseId);
    // Only an open call closes; closing twice changes nothing.
    const closed = await Call.updateOne({ _id: call._id, closedAt: null }, { $set: { closedAt: now() } });
    if (closed.modifiedCount === 1) {
      await audit.recordAudit({ action: CALL_AUDIT.closed, actor: auditActor(user), target: { type: 'call', id: callId } });
    }
  }

  async function listCallsOfCourse(user: SignedInUser, courseId: string): Promise<{ calls: CallSummary[]; canManage: boolean }> {
    if (!(await mayRead(user, courseId))) throw new Forbidden();
    const calls = await Call.find({ course: courseId }).sort({ createdAt: -1 }).lean<CallDoc[]>();
    return {
      calls: await summariseAll(calls),
      canManage: await mayManage(user, courseId),
    };
  }

  async function toAnswerView(answer: CallAnswerDoc, invitations: Map<string, CallInvitationDoc>, names: Map<string, string>): Promise<AnswerView> {
    const invitation = answer.invitation ? invitations.get(answer.invitation.toString()) : undefined;
    const from = invitation
      ? `${invitation.name} (${invitation.relationship}, through a personal link)`
      : (names.get(answer.answeredBy?.toString() ?? '') ?? 'A co-facilitator');
    return {
      id: answer._id.toString(),
      form: answer.form,
      text: answer.text,
      note: answer.note,
      creditLine: creditedName(answer.credit),
      role: answer.credit.role,
      claim: answer.claim,
      from,
      file: answer.asset ? await storedFile(answer.asset.toString()) : null,
      createdAt: answer.createdAt,
      usedIn: answer.usedIn ? { version: answer.usedIn.version, moduleKey: answer.usedIn.moduleKey, lessonKey: answer.usedIn.lessonKey } : null,
    };
  }

  /** A call with its answers and links, for the authoring team. `names` gives signed-in answerers' names. */
  async function callForTeam(user: SignedInUser, courseId: string, callId: string, names: (ids: string[]) => Promise<Map<string, string>>): Promise<CallForTeam> {
    if (!(await mayRead(user, courseId))) throw new Forbidden();
    const call = await findCall(callId, courseId);
    const [answers, invitations] = await Promise.all([
      CallAnswer.find({ call: call._id }).sort({ createdAt: 1 }).lean<CallAnswerDoc[]>(),
      CallInvitation.find({ call: call._id }).sort({ createdAt: 1 }).lean<CallInvitationDoc[]>(),
    ]);
    const byInvitation = new Map(invitations.map((i) => [i._id.toString(), i]));
    const answererNames = await names([...new Set(answers.flatMap((a) => (a.answeredBy ? [a.answeredBy.toString()] : [])))]);
    const canManage = await mayManage(user, courseId);
    const module = (await modulesOf(courseId)).find((m) => m.key === call.moduleKey);
    return {
      call: await summarise(call, answers.length),
      answers: await Promise.all(answers.map((answer) => toAnswerView(answer, byInvitation, answererNames))),
      invitations: canManage
        ? invitations.map((invitation) => ({
            id: invitation._id.toString(),
            name: invitation.name,
            relationship: invitation.relationship,
            expiresAt: invitation.expiresAt,
            revoked: invitation.revokedAt !== null,
            expired: invitation.expiresAt.getTime() <= now().getTime(),
            answerCount: answers.filter((a) => a.invitation?.equals(invitation._id)).length,
          }))
        : [],
      lessons: module?.lessons.map((lesson) => ({ key: lesson.key, title: lesson.title })) ?? [],
      canManage,
    };
  }

  /** Makes a personal link for one person; the link itself is shown once and only its hash is kept. */
  async function invite(
    user: SignedInUser,
    courseId: string,
    callId: string,
    input: { name: string; relationship: InviteeRelationship; days: number },
  ): Promise<{ link: string; expiresAt: Date }> {
    if (!(await mayManage(user, courseId))) throw new Forbidden();
    const call = await findCall(callId, courseId);
    if (call.audience === 'co-facilitators') throw new Invalid({ name: 'This call is only for signed-in co-facilitators. Change who may answer to invite people by link.' });
    if (!isOpen(call)) throw new Invalid({ name: 'This call has closed, so no one can be invited to it.' });
    const days = Math.min(Math.max(1, Math.round(input.days)), MAX_LINK_DAYS);
    const expiresAt = new Date(Math.min(now().getTime() + days * DAY_MS, call.closesAt.getTime()));
    const token = randomBytes(32).toString('base64url');
    const invitation = await CallInvitation.create({
      call: call._id,
      name: input.name,
      relationship: input.relationship,
      tokenHash: hashToken(token),
      expiresAt,
      createdBy: user.id,
    });
    await audit.recordAudit({
      action: CALL_AUDIT.invited,
      actor: auditActor(user),
      target: { type: 'call', id: callId },
      details: { invitation: invitation._id.toString(), relationship: input.relationship, expiresAt },
    });
    return { link: `${baseUrl}/call-link/${token}`, expiresAt };
  }

  async function revokeInvitation(user: SignedInUser, courseId: string, callId: string, invitationId: string): Promise<void> {
    if (!(await mayManage(user, courseId))) throw new Forbidden();
    const call = await findCall(callId, courseId);
    if (!isObjectId(invitationId)) throw new NotFound('There is no such link.');
    const revoked = await CallInvitation.updateOne({ _id: invitationId, call: call._id, revokedAt: null }, { $set: { revokedAt: now() } });
    if (revoked.matchedCount === 0 && !(await CallInvitation.exists({ _id: invitationId, call: call._id }))) throw new NotFound('There is no such link.');
    if (revoked.modifiedCount === 1) {
      await audit.recordAudit({ action: CALL_AUDIT.revoked, actor: auditActor(user), target: { type: 'call', id: callId }, details: { invitation: invitationId } });
    }
  }

  /** Open calls a co-facilitator may answer, soonest closing first. */
  async function openCallsFor(user: SignedInUser): Promise<CallSummary[]> {
    if (!hasAnyRole(user, ['co-facilitator'])) return [];
    const calls = await Call.find({ closesAt: { $gt: now() }, closedAt: null, audience: { $in: ['co-facilitators', 'both'] } })
      .sort({ closesAt: 1 })
      .lean<CallDoc[]>();
    return summariseAll(calls);
  }

  async function callToAnswer(user: SignedInUser, callId: string): Promise<{ call: CallSummary; answers: Array<{ form: AnswerForm; createdAt: Date }> }> {
    const call = await findCall(callId);
    if (!hasAnyRole(user, ['co-facilitator']) || call.audience === 'invited') throw new NotFound('There is no such call for contributions.');
    const answers = await CallAnswer.find({ call: call._id, answeredBy: user.id }, 'form createdAt').sort({ createdAt: 1 }).lean<CallAnswerDoc[]>();
    return { call: await summarise(call), answers: answers.map((a) => ({ form: a.form, createdAt: a.createdAt })) };
  }

  async function checkedAnswer(input: AnswerInput): Promise<Omit<CallAnswerDoc, '_id' | 'call' | 'answeredBy' | 'invitation' | 'createdAt' | 'usedIn'>> {
    const errors: Record<string, string> = {};
    if (!input.consent) errors.consent = 'Tick the box to say the team may use your answer. Without it we cannot keep your answer.';
    if (input.form === 'writing' && input.text.trim() === '') errors.text = 'Write your answer.';
    let assetId: Types.ObjectId | null = null;
    if (input.form !== 'writing') {
      const file = input.assetId ? await storedFile(input.assetId) : null;
      const wanted = input.form === 'picture' ? /^image\// : /^(audio|video)\//;
      if (!file) errors.file = input.form === 'picture' ? 'Choose a picture or photograph to send.' : 'Choose a recording to send, or record one.';
      else if (!wanted.test(file.mimeType)) errors.file = input.form === 'picture' ? 'This file is not a picture.' : 'This file is not a sound or video recording.';
      else assetId = new Types.ObjectId(file.assetId);
    }
    if (input.credit.display !== 'anonymous' && input.credit.name.trim() === '') {
      errors.creditName = input.credit.display === 'pseudonym' ? 'Write the name you want to be known by.' : 'Write your name, or choose not to be named.';
    }
    if (Object.keys(errors).length > 0) throw new Invalid(errors);
    return {
      form: input.form,
      text: input.text.trim(),
      asset: assetId,
      note: input.note.trim(),
      consentAt: now(),
      credit: { display: input.credit.display, name: input.credit.display === 'anonymous' ? '' : input.credit.name.trim(), role: input.credit.role.trim() },
      claim: input.claim,
    };
  }

  async function answerAsCoFacilitator(user: SignedInUser, callId: string, input: AnswerInput): Promise<void> {
    const call = await findCall(callId);
    if (!hasAnyRole(user, ['co-facilitator']) || call.audience === 'invited') throw new NotFound('There is no such call for contributions.');
    if (!isOpen(call)) throw new Invalid({ text: 'This call has closed. Thank you for wanting to answer.' });
    const answer = await checkedAnswer(input);
    const created = await CallAnswer.create({ ...answer, call: call._id, answeredBy: user.id, invitation: null });
    await audit.recordAudit({ action: CALL_AUDIT.answered, actor: auditActor(user), target: { type: 'call', id: callId }, details: { answer: created._id.toString(), form: input.form } });
  }

  /** The call a personal link opens, or NotFound with one calm message whatever the reason (ended, stopped, closed). */
  async function linkHolder(token: string): Promise<LinkHolder> {
    const invitation = token.length >= 20 && token.length <= 100
      ? await CallInvitation.findOne({ tokenHash: hashToken(token), revokedAt: null, expiresAt: { $gt: now() } }).lean<CallInvitationDoc>()
      : null;
    const call = invitation ? await Call.findById(invitation.call).lean<CallDoc>() : null;
    if (!invitation || !call || !isOpen(call) || call.audience === 'co-facilitators') throw new NotFound(linkNoLongerWorks);
    const answers = await CallAnswer.find({ invitation: invitation._id }, 'form createdAt').sort({ createdAt: 1 }).lean<CallAnswerDoc[]>();
    return {
      call: await summarise(call),
      invitationId: invitation._id.toString(),
      name: invitation.name,
      relationship: invitation.relationship,
      answers: answers.map((a) => ({ form: a.form, createdAt: a.createdAt })),
    };
  }

  async function answerByLink(token: string, input: AnswerInput): Promise<void> {
    const holder = await linkHolder(token);
    const answer = await checkedAnswer(input);
    const created = await CallAnswer.create({ ...answer, call: holder.call.id, answeredBy: null, invitation: holder.invitationId });
    await CallInvitation.updateOne({ _id: holder.invitationId }, { $set: { lastUsedAt: now() } });
    await audit.recordAudit({
      action: CALL_AUDIT.answered,
      target: { type: 'call', id: holder.call.id },
      details: { answer: created._id.toString(), invitation: holder.invitationId, form: input.form },
    });
  }

  /**
   * Turns an answer into a block at the end of a lesson of the draft, credited as its author chose. An answer is
   * used once: the claim is conditional, so two trainers pressing at once add one block.
   */
  async function useAnswer(user: SignedInUser, courseId: string, callId: string, answerId: string, details: AnswerBlockDetails & { lessonKey: string }): Promise<{ version: number }> {
    if (!(await mayRead(user, courseId))) throw new Forbidden();
    const call = await findCall(callId, courseId);
    const answer = isObjectId(answerId) ? await CallAnswer.findOne({ _id: answerId, call: call._id }).lean<CallAnswerDoc>() : null;
    if (!answer) throw new NotFound('There is no such answer.');
    if (answer.usedIn) throw new Invalid({ lessonKey: `This answer is already in version ${answer.usedIn.version}, lesson "${answer.usedIn.lessonKey}".` });
    const module = (await modulesOf(courseId)).find((m) => m.key === call.moduleKey);
    if (!module?.lessons.some((lesson) => lesson.key === details.lessonKey)) throw new Invalid({ lessonKey: 'Choose a lesson of this module.' });
    const file = answer.asset ? await storedFile(answer.asset.toString()) : null;
    const claimed = await CallAnswer.updateOne(
      { _id: answer._id, usedIn: null },
      { $set: { usedIn: { version: 0, moduleKey: call.moduleKey, lessonKey: details.lessonKey, at: now(), by: new Types.ObjectId(user.id) } } },
    );
    if (claimed.modifiedCount === 0) throw new Invalid({ lessonKey: 'Someone else has just used this answer.' });
    try {
      const { version } = await authoring.startDraft(courseId, user.id);
      const placed = file
        ? await authoring.addUploadedMedia(
            courseId,
            version,
            { ...file, kind: file.mimeType.startsWith('image/') ? 'image' : file.mimeType.startsWith('video/') ? 'video' : 'audio', width: null, height: null, widths: [], conversion: null },
            user.id,
          )
        : null;
      const block = answerBlockSource(answer, file && placed ? { ...file, path: placed.path } : null, details);
      await authoring.addBlock(courseId, version, call.moduleKey, details.lessonKey, block.source, user.id);
      await authoring.addModuleCredit(courseId, version, call.moduleKey, block.credit, user.id);
      await CallAnswer.updateOne({ _id: answer._id }, { $set: { 'usedIn.version': version } });
      await audit.recordAudit({ action: CALL_AUDIT.used, actor: auditActor(user), target: { type: 'call', id: callId }, details: { answer: answerId, version, lessonKey: details.lessonKey } });
      return { version };
    } catch (error) {
      // The block was not added: the answer is free to use again.
      await CallAnswer.updateOne({ _id: answer._id }, { $set: { usedIn: null } });
      throw error;
    }
  }

  /** The modules a call can be about: the draft's when there is one, else the published version's. */
  async function modulesForCall(courseId: string): Promise<Array<{ key: string; title: string }>> {
    return (await modulesOf(courseId)).map((module) => ({ key: module.key, title: module.title }));
  }

  /** Whether a stored file belongs to an answer of this call (the team's file route checks before sending it). */
  async function answerFile(user: SignedInUser, courseId: string, callId: string, answerId: string): Promise<StoredFile> {
    if (!(await mayRead(user, courseId))) throw new Forbidden();
    const call = await findCall(callId, courseId);
    const answer = isObjectId(answerId) ? await CallAnswer.findOne({ _id: answerId, call: call._id }, 'asset').lean<CallAnswerDoc>() : null;
    const file = answer?.asset ? await storedFile(answer.asset.toString()) : null;
    if (!file) throw new NotFound('This file is not available.');
    return file;
  }

  return {
    openCall,
    closeCall,
    listCallsOfCourse,
    callForTeam,
    invite,
    revokeInvitation,
    openCallsFor,
    callToAnswer,
    answerAsCoFacilitator,
    linkHolder,
    answerByLink,
    useAnswer,
    answerFile,
    modulesForCall,
  };
}

export type CallsService = ReturnType<typeof createCallsService>;
