/**
 * Assignments: published courses given to teams or people, with due rules and recertification; and completions
 * a trainer records for work done elsewhere. Made once by `createAssignmentsService(deps)` in the composition root.
 *
 * HOW TO COMPUTE, PER LEARNER AND COURSE, THE DUE DATE AND THE STATE (the same rules as ./rules.ts, which is the
 * reference and has the unit tests; reports restate them in aggregation pipelines):
 *
 *  1. Live assignments: `assignments` with `withdrawnAt: null` (an absent field counts as null). Each is to ONE
 *     of `learner` (a person) or `team`. A learner gets a team's assignments while they are a member now:
 *     `teammemberships` { team, user, joinedAt, leftAt: null } (kept by server/teams; `team.members` is the same
 *     set). People who left (leftAt set) no longer get the team's assignments but keep their enrolments,
 *     certificates and recorded completions.
 *  2. When the learner received it: `receivedAt = assignedAt`, except for a team assignment when `joinedAt` is
 *     later: then `joinedAt` (later joiners get the team's assignments from the day they join).
 *  3. First due day (midnight UTC; `$dateTrunc: { date, unit: 'day' }`, days are UTC days):
 *       dueRule 'fixed' (or absent: assignments from before due rules)  dueAt (already a midnight)
 *       'after-assigned'   trunc(receivedAt) + dueDays days
 *       'after-joined'     trunc(joinedAt) + dueDays days  (team assignments only)
 *     Several live assignments of one course to one learner (their own and their teams'): the EARLIEST first due
 *     day governs, and the SHORTEST `recertifyMonths` (null = never expires) among them.
 *  4. Last completion = the latest of: `enrolments.completedAt` (the current round),
 *     `enrolments.previousCompletions[].completedAt` (rounds before a retake), and `recordedcompletions.completedAt`
 *     with `withdrawnAt: null` (done elsewhere; show these as "recorded" in reports).
 *  5. State, with today = trunc(now):
 *       no completion:  'overdue' if firstDue < today; else 'in-progress' if an enrolment exists (started, not
 *                       finished), else 'not-started'. Due date: firstDue.
 *       completion, recertifyMonths null: 'completed' (nothing due any more).
 *       completion, recertifyMonths m: expiresAt = trunc(lastCompletion + m calendar months, clamped to the month's
 *                       last day as MongoDB's `$dateAdd` unit 'month' does). 'completed' while today < expiresAt
 *                       (due again on expiresAt); from expiresAt on 'expired', due on max(expiresAt, firstDue),
 *                       past due when that day < today. A retake in progress stays 'expired' until finished.
 *     Known engine difference: the embedded engine's `$dateAdd` by months rolls over at month ends (31 Jan + 1
 *     month = 3 Mar) where MongoDB clamps (28/29 Feb); ./rules.ts `addMonthsUtc` clamps.
 *  Indexes for this: assignments { team, course }, { learner, course }, { course, withdrawnAt };
 *  teammemberships { team, user } (unique), { user, leftAt }; enrolments { learner, course } (unique),
 *  { course, completedAt }; recordedcompletions { learner, course }, { course, withdrawnAt }.
 *
 * Access: a trainer manages assignments of the teams they train and of people in those teams; an admin all.
 */
import { Types } from 'mongoose';
import type { AuditService } from '../audit/service';
import type { CoursesService } from '../courses/service';
import { Forbidden, Invalid, NotFound } from '../errors';
import type { MediaStorage } from '../media/storage';
import type { TeamsService } from '../teams/service';
import type { UsersService } from '../users/service';
import type { SignedInUser } from '../people';
import { Assignment, RecordedCompletion, type AssignmentRecord, type DueRule, type EvidenceRecord, type RecordedCompletionRecord } from './model';
import {
  addMonthsUtc,
  combineTerms,
  courseDueStatus,
  firstDueAt,
  mayRetake,
  startOfUtcDay,
  type AssignmentTerms,
  type CompletionFacts,
  type CourseDueStatus,
} from './rules';

/** What the learning feature knows about a learner's enrolment on a course (passed in; see the deps). */
export interface EnrolmentFacts {
  learnerId: string;
  courseId: string;
  /** The latest completion of any round of this enrolment (current or previous), or null. */
  lastCompletedAt: Date | null;
  /** The current round is started and not finished. */
  inProgress: boolean;
}

export interface AssignmentsDeps {
  /**
   * The learning feature's enrolment facts for these learners (and courses, when given). Passed in by the
   * composition root rather than imported: learning shows assignments on its dashboard, so importing it back
   * would make a cycle.
   */
  enrolmentFacts(learnerIds: string[], courseIds?: string[]): Promise<EnrolmentFacts[]>;
  /** Where evidence files of recorded completions are kept (the app's media storage). */
  storage: MediaStorage;
  courses: Pick<CoursesService, 'getCourseById'>;
  teams: Pick<TeamsService, 'currentMembershipsOf' | 'currentMembersOf' | 'getTeam' | 'teamIdsTrainedBy' | 'teamNamesByIds'>;
  users: Pick<UsersService, 'getPeopleByIds' | 'getPerson'>;
  /** Where assigning and recording completions is recorded. */
  audit: Pick<AuditService, 'recordAudit'>;
  /** The clock (tests move it). */
  now?: () => Date;
}

export type AssignTarget = { kind: 'team'; teamIds: string[] } | { kind: 'person'; learnerIds: string[] };

export interface NewAssignment {
  courseId: string;
  target: AssignTarget;
  dueRule: DueRule;
  /** For 'fixed': the due day. */
  dueAt?: Date;
  /** For relative rules: whole days, 1 to 730. */
  dueDays?: number;
  /** Months until a completion expires, 1 to 120; absent: never. */
  recertifyMonths?: number;
}

/** A live assignment as a list shows it. */
export interface AssignmentSummary {
  id: string;
  courseId: string;
  courseTitle: string;
  target: { kind: 'team' | 'person'; id: string; name: string };
  dueRule: DueRule;
  dueAt: Date | null;
  dueDays: number | null;
  recertifyMonths: number | null;
  assignedAt: Date;
  assignedById: string | null;
}

/** One assigned course of one learner, with its state (see the top of this file). */
export interface LearnerCourseStatus extends CourseDueStatus {
  learnerId: string;
  courseId: string;
  /** The assignment whose due day governs (reminders are kept per assignment). */
  assignmentId: string;
  recertifyMonths: number | null;
  /** The latest completion counted, and whether it was recorded by a trainer (done elsewhere). */
  lastCompletedAt: Date | null;
  completionRecorded: boolean;
  /** The course is finished and may be taken again now (./rules.ts mayRetake). */
  retakeAllowed: boolean;
}

export interface NewRecordedCompletion {
  learnerId: string;
  courseId: string;
  completedAt: Date;
  reason: string;
  /** An uploaded file already checked by the upload factory, on disk or in memory. */
  evidence?: { path?: string; buffer?: Buffer; originalName: string; mimeType: string; sizeBytes: number };
}

export interface RecordedCompletionSummary {
  id: string;
  learnerId: string;
  courseId: string;
  completedAt: Date;
  reason: string;
  evidence: { fileName: string; mimeType: string; sizeBytes: number } | null;
  recordedById: string;
  recordedAt: Date;
  withdrawnAt: Date | null;
  withdrawReason: string | null;
}

export type AssignmentsService = ReturnType<typeof createAssignmentsService>;

const DUE_DAYS_MAX = 730;
const RECERTIFY_MONTHS_MAX = 120;

function objectIdOf(id: string, message: string): Types.ObjectId {
  if (!Types.ObjectId.isValid(id)) throw new NotFound(message);
  return new Types.ObjectId(id);
}

function isAdmin(actor: SignedInUser): boolean {
  return actor.roles.includes('admin');
}

function termsOf(record: AssignmentRecord): AssignmentTerms {
  return {
    dueRule: record.dueRule ?? 'fixed',
    dueAt: record.dueAt ?? null,
    dueDays: record.dueDays ?? null,
    recertifyMonths: record.recertifyMonths ?? null,
    assignedAt: record.assignedAt,
    toTeam: record.team !== null && record.team !== undefined,
  };
}

const LIVE = { withdrawnAt: null } as const;

function toRecordedSummary(record: RecordedCompletionRecord): RecordedCompletionSummary {
  return {
    id: String(record._id),
    learnerId: String(record.learner),
    courseId: String(record.course),
    completedAt: record.completedAt,
    reason: record.reason,
    evidence: record.evidence ? { fileName: record.evidence.fileName, mimeType: record.evidence.mimeType, sizeBytes: record.evidence.sizeBytes } : null,
    recordedById: String(record.recordedBy),
    recordedAt: record.recordedAt,
    withdrawnAt: record.withdrawnAt ?? null,
    withdrawReason: record.withdrawReason ?? null,
  };
}

export function createAssignmentsService(deps: AssignmentsDeps) {
  const now = deps.now ?? (() => new Date());
  const { getCourseById } = deps.courses;
  const { currentMembershipsOf, currentMembersOf, getTeam, teamIdsTrainedBy, teamNamesByIds } = deps.teams;
  const { getPeopleByIds, getPerson } = deps.users;
  const { recordAudit } = deps.audit;

  /** Teams this actor may assign to and people they may act for: null means all (admin). */
  async function trainedTeamIds(actor: SignedInUser): Promise<string[] | null> {
    if (isAdmin(actor)) return null;
    if (!actor.roles.includes('trainer')) throw new Forbidden('Only trainers and admins manage assignments.');
    return teamIdsTrainedBy(actor.id);
  }

  async function assertManagesTeam(actor: SignedInUser, teamId: string): Promise<void> {
    const trained = await trainedTeamIds(actor);
    if (trained !== null && !trained.includes(teamId)) throw new Forbidden('You can only manage assignments for teams you train.');
  }

  /** A trainer acts for a person who is in one of the teams they train (now); an admin for anyone. */
  async function assertLooksAfter(actor: SignedInUser, learnerId: string): Promise<void> {
    const trained = await trainedTeamIds(actor);
    if (trained === null) return;
    const person = await getPerson(learnerId);
    if (!person.teamIds.some((teamId) => trained.includes(teamId))) {
      throw new Forbidden('You can only manage assignments for people in the teams you train.');
    }
  }

  function validateTerms(input: NewAssignment): Record<string, string> {
    const errors: Record<string, string> = {};
    if (input.dueRule === 'fixed') {
      if (!input.dueAt || Number.isNaN(input.dueAt.getTime())) errors.dueAt = 'Enter the date the course is due';
      else if (startOfUtcDay(input.dueAt) < startOfUtcDay(now())) errors.dueAt = 'The due date must be today or later';
    } else {
      if (input.dueDays === undefined || !Number.isInteger(input.dueDays) || input.dueDays < 1 || input.dueDays > DUE_DAYS_MAX) {
        errors.dueDays = `Enter a whole number of days from 1 to ${DUE_DAYS_MAX}`;
      }
      if (input.dueRule === 'after-joined' && input.target.kind !== 'team') errors.dueRule = '"After joining the team" needs a team';
    }
    if (
      input.recertifyMonths !== undefined &&
      (!Number.isInteger(input.recertifyMonths) || input.recertifyMonths < 1 || input.recertifyMonths > RECERTIFY_MONTHS_MAX)
    ) {
      errors.recertifyMonths = `Enter a whole number of months from 1 to ${RECERTIFY_MONTHS_MAX}, or leave it empty`;
    }
    const ids = input.target.kind === 'team' ? input.target.teamIds : input.target.learnerIds;
    if (ids.length === 0) errors.target = input.target.kind === 'team' ? 'Choose at least one team' : 'Choose at least one person';
    return errors;
  }

  /** Assigns a published course to teams or people: one assignment per team or person. Audited. */
  async function assign(actor: SignedInUser, input: NewAssignment): Promise<string[]> {
    const errors = validateTerms(input);
    const course = Types.ObjectId.isValid(input.courseId) ? await getCourseById(input.courseId) : null;
    if (!course || course.publishedVersion === null) errors.courseId = 'Choose a published course';
    if (Object.keys(errors).length > 0) throw new Invalid(errors);
    const targets = input.target.kind === 'team' ? [...new Set(input.target.teamIds)] : [...new Set(input.target.learnerIds)];
    const labels = new Map<string, string>();
    for (const id of targets) {
      if (input.target.kind === 'team') {
        await assertManagesTeam(actor, id);
        labels.set(id, (await getTeam(id)).name);
      } else {
        await assertLooksAfter(actor, id);
        const person = await getPerson(id);
        labels.set(id, person.name || person.email);
      }
    }
    const assignedAt = now();
    const ids: string[] = [];
    for (const id of targets) {
      const created = await Assignment.create({
        course: new Types.ObjectId(input.courseId),
        learner: input.target.kind === 'person' ? new Types.ObjectId(id) : null,
        team: input.target.kind === 'team' ? new Types.ObjectId(id) : null,
        dueRule: input.dueRule,
        dueAt: input.dueRule === 'fixed' && input.dueAt ? startOfUtcDay(input.dueAt) : null,
        dueDays: input.dueRule === 'fixed' ? null : (input.dueDays ?? null),
        recertifyMonths: input.recertifyMonths ?? null,
        assignedBy: new Types.ObjectId(actor.id),
        assignedAt,
      });
      ids.push(String(created._id));
      await recordAudit({
        action: 'assignment.created',
        actor: { id: actor.id, email: actor.email },
        target: { type: 'assignment', id: String(created._id), label: `${course?.title ?? ''} for ${labels.get(id) ?? id}` },
        details: {
          courseId: input.courseId,
          [input.target.kind === 'team' ? 'teamId' : 'learnerId']: id,
          dueRule: input.dueRule,
          dueAt: input.dueAt?.toISOString(),
          dueDays: input.dueDays,
          recertifyMonths: input.recertifyMonths,
        },
      });
    }
    return ids;
  }

  async function findLive(assignmentId: string): Promise<AssignmentRecord> {
    const record = await Assignment.findOne({ _id: objectIdOf(assignmentId, 'We could not find this assignment.'), ...LIVE }).lean<AssignmentRecord>();
    if (!record) throw new NotFound('We could not find this assignment.');
    return record;
  }

  async function assertManages(actor: SignedInUser, record: AssignmentRecord): Promise<void> {
    if (record.team) await assertManagesTeam(actor, String(record.team));
    else if (record.learner) await assertLooksAfter(actor, String(record.learner));
  }

  /** Withdraws a live assignment (kept for the record; reminders stop). Audited. */
  async function withdraw(actor: SignedInUser, assignmentId: string): Promise<void> {
    const record = await findLive(assignmentId);
    await assertManages(actor, record);
    const result = await Assignment.updateOne({ _id: record._id, ...LIVE }, { $set: { withdrawnAt: now(), withdrawnBy: new Types.ObjectId(actor.id) } });
    if (result.modifiedCount === 0) throw new NotFound('This assignment has already been withdrawn.');
    await recordAudit({
      action: 'assignment.withdrawn',
      actor: { id: actor.id, email: actor.email },
      target: { type: 'assignment', id: assignmentId },
      details: { courseId: String(record.course), teamId: record.team ? String(record.team) : undefined, learnerId: record.learner ? String(record.learner) : undefined },
    });
  }

  async function summaries(records: AssignmentRecord[]): Promise<AssignmentSummary[]> {
    const teamNames = await teamNamesByIds(records.flatMap((record) => (record.team ? [String(record.team)] : [])));
    const people = new Map(
      (await getPeopleByIds(records.flatMap((record) => (record.learner ? [String(record.learner)] : [])))).map((person) => [person.id, person.name || person.email]),
    );
    const courseTitles = new Map<string, string>();
    for (const courseId of new Set(records.map((record) => String(record.course)))) {
      courseTitles.set(courseId, (await getCourseById(courseId))?.title ?? 'A course that no longer exists');
    }
    return records.map((record) => {
      const teamId = record.team ? String(record.team) : null;
      const learnerId = record.learner ? String(record.learner) : '';
      return {
        id: String(record._id),
        courseId: String(record.course),
        courseTitle: courseTitles.get(String(record.course)) ?? '',
        target: teamId
          ? { kind: 'team' as const, id: teamId, name: teamNames.get(teamId) ?? 'A team that no longer exists' }
          : { kind: 'person' as const, id: learnerId, name: people.get(learnerId) ?? 'Someone no longer here' },
        dueRule: record.dueRule ?? 'fixed',
        dueAt: record.dueAt ?? null,
        dueDays: record.dueDays ?? null,
        recertifyMonths: record.recertifyMonths ?? null,
        assignedAt: record.assignedAt,
        assignedById: record.assignedBy ? String(record.assignedBy) : null,
      };
    });
  }

  /** The live assignments this actor manages: of the teams they train and the people in them (admins: all). */
  async function listManaged(actor: SignedInUser): Promise<AssignmentSummary[]> {
    const trained = await trainedTeamIds(actor);
    let filter: Record<string, unknown> = { ...LIVE };
    if (trained !== null) {
      const teamIds = trained.map((id) => new Types.ObjectId(id));
      const memberIds = (await Promise.all(trained.map((id) => currentMembersOf(id)))).flat().map((member) => new Types.ObjectId(member.userId));
      filter = { ...LIVE, $or: [{ team: { $in: teamIds } }, { learner: { $in: memberIds } }] };
    }
    const records = await Assignment.find(filter).sort({ assignedAt: -1 }).lean<AssignmentRecord[]>();
    return summaries(records);
  }

  /** The live assignments that reach this learner, each with their joining date for team ones. */
  async function liveAssignmentsReaching(learnerId: string): Promise<Array<{ record: AssignmentRecord; joinedAt: Date | null }>> {
    const memberships = await currentMembershipsOf(learnerId);
    const joined = new Map(memberships.map((membership) => [membership.teamId, membership.joinedAt]));
    const or: Record<string, unknown>[] = [{ learner: new Types.ObjectId(learnerId) }];
    if (memberships.length > 0) or.push({ team: { $in: memberships.map((membership) => new Types.ObjectId(membership.teamId)) } });
    const records = await Assignment.find({ ...LIVE, $or: or }).lean<AssignmentRecord[]>();
    return records.map((record) => ({ record, joinedAt: record.team ? (joined.get(String(record.team)) ?? null) : null }));
  }

  /** Latest recorded (not withdrawn) completion per learner and course. */
  async function recordedLatest(learnerIds: string[], courseIds?: string[]): Promise<Map<string, Date>> {
    const filter: Record<string, unknown> = { learner: { $in: learnerIds.map((id) => new Types.ObjectId(id)) }, ...LIVE };
    if (courseIds) filter.course = { $in: courseIds.map((id) => new Types.ObjectId(id)) };
    const rows = await RecordedCompletion.find(filter, { learner: 1, course: 1, completedAt: 1 }).lean<Pick<RecordedCompletionRecord, 'learner' | 'course' | 'completedAt'>[]>();
    const latest = new Map<string, Date>();
    for (const row of rows) {
      const key = `${String(row.learner)}:${String(row.course)}`;
      const known = latest.get(key);
      if (!known || row.completedAt > known) latest.set(key, row.completedAt);
    }
    return latest;
  }

  /**
   * Statuses of the given (learner, course, assignments) groups: one read of enrolment facts and one of recorded
   * completions for all of them.
   */
  async function statusesOf(
    groups: Map<string, { learnerId: string; courseId: string; items: Array<{ assignmentId: string; firstDueAt: Date; recertifyMonths: number | null }> }>,
    at: Date,
  ): Promise<LearnerCourseStatus[]> {
    if (groups.size === 0) return [];
    const learnerIds = [...new Set([...groups.values()].map((group) => group.learnerId))];
    const courseIds = [...new Set([...groups.values()].map((group) => group.courseId))];
    const [facts, recorded] = await Promise.all([deps.enrolmentFacts(learnerIds, courseIds), recordedLatest(learnerIds, courseIds)]);
    const factsByKey = new Map(facts.map((fact) => [`${fact.learnerId}:${fact.courseId}`, fact]));
    const statuses: LearnerCourseStatus[] = [];
    for (const [key, group] of groups) {
      const terms = combineTerms(group.items);
      if (!terms) continue;
      const enrolment = factsByKey.get(key);
      const recordedAt = recorded.get(key) ?? null;
      const fromEnrolment = enrolment?.lastCompletedAt ?? null;
      const lastCompletedAt = recordedAt && (!fromEnrolment || recordedAt > fromEnrolment) ? recordedAt : fromEnrolment;
      const completion: CompletionFacts = { lastCompletedAt, inProgress: enrolment?.inProgress ?? false };
      const status = courseDueStatus(terms, completion, at);
      statuses.push({
        ...status,
        retakeAllowed: mayRetake(status, at),
        learnerId: group.learnerId,
        courseId: group.courseId,
        assignmentId: terms.assignmentId,
        recertifyMonths: terms.recertifyMonths,
        lastCompletedAt,
        completionRecorded: lastCompletedAt !== null && lastCompletedAt === recordedAt,
      });
    }
    return statuses;
  }

  /** Every assigned course of one learner with its state: overdue and expired first, then by due day. */
  async function statusesForLearner(learnerId: string, at = now()): Promise<LearnerCourseStatus[]> {
    objectIdOf(learnerId, 'We could not find this person.');
    const reaching = await liveAssignmentsReaching(learnerId);
    const groups = new Map<string, { learnerId: string; courseId: string; items: Array<{ assignmentId: string; firstDueAt: Date; recertifyMonths: number | null }> }>();
    for (const { record, joinedAt } of reaching) {
      const courseId = String(record.course);
      const key = `${learnerId}:${courseId}`;
      const group = groups.get(key) ?? { learnerId, courseId, items: [] };
      const terms = termsOf(record);
      group.items.push({ assignmentId: String(record._id), firstDueAt: firstDueAt(terms, joinedAt), recertifyMonths: terms.recertifyMonths });
      groups.set(key, group);
    }
    const statuses = await statusesOf(groups, at);
    return statuses.sort(
      (a, b) => Number(b.pastDue || b.state === 'expired') - Number(a.pastDue || a.state === 'expired') || (a.dueAt?.getTime() ?? Infinity) - (b.dueAt?.getTime() ?? Infinity),
    );
  }

  /**
   * Every (learner, assigned course) reached by live assignments of these teams and their members' own
   * assignments, or of everyone when `teamIds` is absent. For reminders and digests (daily and weekly jobs);
   * reports compute the same in the database (see the top of this file).
   */
  async function statusesForTeams(teamIds: string[] | undefined, at = now()): Promise<LearnerCourseStatus[]> {
    const teamFilter = teamIds ? { team: { $in: teamIds.map((id) => objectIdOf(id, 'We could not find this team.')) } } : { team: { $ne: null } };
    const teamAssignments = await Assignment.find({ ...LIVE, ...teamFilter }).lean<AssignmentRecord[]>();
    const groups = new Map<string, { learnerId: string; courseId: string; items: Array<{ assignmentId: string; firstDueAt: Date; recertifyMonths: number | null }> }>();
    const add = (learnerId: string, record: AssignmentRecord, joinedAt: Date | null): void => {
      const courseId = String(record.course);
      const key = `${learnerId}:${courseId}`;
      const group = groups.get(key) ?? { learnerId, courseId, items: [] };
      const terms = termsOf(record);
      group.items.push({ assignmentId: String(record._id), firstDueAt: firstDueAt(terms, joinedAt), recertifyMonths: terms.recertifyMonths });
      groups.set(key, group);
    };
    const membersByTeam = new Map<string, Awaited<ReturnType<typeof currentMembersOf>>>();
    const teamsToRead = teamIds ?? [...new Set(teamAssignments.map((record) => String(record.team)))];
    for (const teamId of teamsToRead) membersByTeam.set(teamId, await currentMembersOf(teamId));
    for (const record of teamAssignments) {
      for (const member of membersByTeam.get(String(record.team)) ?? []) add(member.userId, record, member.joinedAt);
    }
    const memberIds = teamIds ? [...new Set([...membersByTeam.values()].flat().map((member) => member.userId))] : undefined;
    const personFilter = memberIds ? { learner: { $in: memberIds.map((id) => new Types.ObjectId(id)) } } : { learner: { $ne: null } };
    const personAssignments = await Assignment.find({ ...LIVE, ...personFilter }).lean<AssignmentRecord[]>();
    for (const record of personAssignments) if (record.learner) add(String(record.learner), record, null);
    return statusesOf(groups, at);
  }

  /**
   * Whether the learner may take this finished course again now: an assignment with recertification reaches them
   * and their completion has expired or expires within RETAKE_WINDOW_DAYS (./rules.ts mayRetake).
   */
  async function retakeAllowed(learnerId: string, courseId: string): Promise<boolean> {
    const at = now();
    const status = (await statusesForLearner(learnerId, at)).find((candidate) => candidate.courseId === courseId);
    return status?.retakeAllowed ?? false;
  }

  /**
   * When each of these completions (certificates) of the learner expires under the recertification of the
   * assignments reaching them now, and whether it has: null without recertification.
   */
  async function expiryOfCompletions(learnerId: string, completions: ReadonlyArray<{ courseId: string; completedAt: Date }>): Promise<Array<{ expiresAt: Date | null; expired: boolean }>> {
    if (completions.length === 0) return [];
    const at = now();
    const months = new Map((await statusesForLearner(learnerId, at)).map((status) => [status.courseId, status.recertifyMonths]));
    return completions.map(({ courseId, completedAt }) => {
      const m = months.get(courseId);
      if (m === null || m === undefined) return { expiresAt: null, expired: false };
      const expiresAt = startOfUtcDay(addMonthsUtc(completedAt, m));
      return { expiresAt, expired: startOfUtcDay(at) >= expiresAt };
    });
  }

  // ---- Completions recorded by a trainer ----------------------------------------------------------------

  async function storeEvidence(evidence: NonNullable<NewRecordedCompletion['evidence']>): Promise<EvidenceRecord> {
    let filePath = evidence.path;
    let cleanup: (() => Promise<void>) | undefined;
    if (!filePath) {
      if (!evidence.buffer) throw new Invalid({ evidence: 'The file could not be read. Please try again.' });
      const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
      const os = await import('node:os');
      const path = await import('node:path');
      const dir = await mkdtemp(path.join(os.tmpdir(), 'coproduce-evidence-'));
      filePath = path.join(dir, 'file');
      await writeFile(filePath, evidence.buffer);
      cleanup = () => rm(dir, { recursive: true, force: true });
    }
    try {
      const stored = await deps.storage.putFile(filePath);
      return { storageKey: stored.storageKey, fileName: evidence.originalName.slice(0, 200), mimeType: evidence.mimeType, sizeBytes: stored.sizeBytes };
    } finally {
      await cleanup?.();
    }
  }

  /** Records that a learner completed a course elsewhere. Reason required; evidence optional. Audited. */
  async function recordCompletion(actor: SignedInUser, input: NewRecordedCompletion): Promise<string> {
    const errors: Record<string, string> = {};
    const reason = input.reason.trim();
    if (reason === '') errors.reason = 'Say why you are recording this completion (for example, where it was done)';
    if (reason.length > 1000) errors.reason = 'Keep the reason to 1,000 characters or fewer';
    if (Number.isNaN(input.completedAt.getTime())) errors.completedAt = 'Enter the date it was completed';
    else if (startOfUtcDay(input.completedAt) > startOfUtcDay(now())) errors.completedAt = 'The date cannot be in the future';
    const course = Types.ObjectId.isValid(input.courseId) ? await getCourseById(input.courseId) : null;
    if (!course) errors.courseId = 'Choose a course';
    if (Object.keys(errors).length > 0) throw new Invalid(errors);
    await assertLooksAfter(actor, input.learnerId);
    const person = await getPerson(input.learnerId);
    const evidence = input.evidence ? await storeEvidence(input.evidence) : null;
    const created = await RecordedCompletion.create({
      learner: new Types.ObjectId(input.learnerId),
      course: new Types.ObjectId(input.courseId),
      completedAt: startOfUtcDay(input.completedAt),
      reason,
      evidence,
      recordedBy: new Types.ObjectId(actor.id),
      recordedAt: now(),
    });
    await recordAudit({
      action: 'completion.recorded',
      actor: { id: actor.id, email: actor.email },
      target: { type: 'recorded-completion', id: String(created._id), label: `${course?.title ?? ''} for ${person.name || person.email}` },
      details: { learnerId: input.learnerId, courseId: input.courseId, completedAt: startOfUtcDay(input.completedAt).toISOString(), reason, evidence: evidence?.fileName },
    });
    return String(created._id);
  }

  async function findRecorded(id: string): Promise<RecordedCompletionRecord> {
    const record = await RecordedCompletion.findById(objectIdOf(id, 'We could not find this recorded completion.')).lean<RecordedCompletionRecord>();
    if (!record) throw new NotFound('We could not find this recorded completion.');
    return record;
  }

  /** Whose a recorded completion is (for the page to return to), or null. */
  async function recordedCompletionLearner(id: string): Promise<string | null> {
    if (!Types.ObjectId.isValid(id)) return null;
    const record = await RecordedCompletion.findById(new Types.ObjectId(id), { learner: 1 }).lean<Pick<RecordedCompletionRecord, 'learner'>>();
    return record ? String(record.learner) : null;
  }

  /** Withdraws a recorded completion (kept, marked withdrawn, no longer counted). Audited. */
  async function withdrawRecordedCompletion(actor: SignedInUser, id: string, reason: string): Promise<void> {
    const record = await findRecorded(id);
    await assertLooksAfter(actor, String(record.learner));
    const cleanReason = reason.trim();
    if (cleanReason === '') throw new Invalid({ withdrawReason: 'Say why you are withdrawing this record' });
    const result = await RecordedCompletion.updateOne(
      { _id: record._id, ...LIVE },
      { $set: { withdrawnAt: now(), withdrawnBy: new Types.ObjectId(actor.id), withdrawReason: cleanReason.slice(0, 1000) } },
    );
    if (result.modifiedCount === 0) throw new NotFound('This record has already been withdrawn.');
    await recordAudit({
      action: 'completion.record-withdrawn',
      actor: { id: actor.id, email: actor.email },
      target: { type: 'recorded-completion', id },
      details: { learnerId: String(record.learner), courseId: String(record.course), reason: cleanReason },
    });
  }

  /** A learner's recorded completions, withdrawn ones included (shown as such), newest first. For the learner and their trainers. */
  async function recordedCompletionsOf(viewer: SignedInUser, learnerId: string): Promise<RecordedCompletionSummary[]> {
    if (viewer.id !== learnerId) await assertLooksAfter(viewer, learnerId);
    const records = await RecordedCompletion.find({ learner: objectIdOf(learnerId, 'We could not find this person.') })
      .sort({ recordedAt: -1 })
      .lean<RecordedCompletionRecord[]>();
    return records.map(toRecordedSummary);
  }

  /** The evidence file of a recorded completion, for the learner and their trainers. */
  async function openEvidence(viewer: SignedInUser, id: string): Promise<{ fileName: string; mimeType: string; sizeBytes: number; open: () => ReturnType<MediaStorage['openRead']> }> {
    const record = await findRecorded(id);
    if (viewer.id !== String(record.learner)) await assertLooksAfter(viewer, String(record.learner));
    const evidence = record.evidence;
    if (!evidence) throw new NotFound('This record has no evidence file.');
    return { fileName: evidence.fileName, mimeType: evidence.mimeType, sizeBytes: evidence.sizeBytes, open: () => deps.storage.openRead(evidence.storageKey) };
  }

  /** For the demo seed and tests: whether a live assignment of this course exists for this person or team. */
  async function hasAssignment(courseId: string, who: { learnerId?: string; teamId?: string }): Promise<boolean> {
    const filter: Record<string, unknown> = { course: objectIdOf(courseId, 'We could not find this course.'), ...LIVE };
    if (who.learnerId) filter.learner = objectIdOf(who.learnerId, 'We could not find this person.');
    if (who.teamId) filter.team = objectIdOf(who.teamId, 'We could not find this team.');
    return (await Assignment.countDocuments(filter)) > 0;
  }

  return {
    assign,
    withdraw,
    listManaged,
    statusesForLearner,
    statusesForTeams,
    retakeAllowed,
    expiryOfCompletions,
    recordCompletion,
    withdrawRecordedCompletion,
    recordedCompletionLearner,
    recordedCompletionsOf,
    openEvidence,
    hasAssignment,
    /** For access checks of pages built on assignments (reports): throws Forbidden unless the actor trains the team. */
    assertManagesTeam,
    assertLooksAfter,
    trainedTeamIds,
  };
}
