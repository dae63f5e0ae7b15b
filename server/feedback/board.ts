/**
 * The board of a course: its feedback grouped by module and version, for trainers and for the co-facilitators on
 * the course's authoring team (who see a learner's name only when the learner chose to be named). Trainers move
 * items between statuses; trainers and team co-facilitators comment. Every move is a conditional update whose
 * filter names the status the item must still have, so of two people acting at once only one wins.
 */
import { Types } from 'mongoose';
import type { CourseSummary } from '../courses/service';
import { Conflict, Forbidden, Invalid, NotFound } from '../errors';
import type { SignedInUser } from '../people';
import type { FeedbackDeps } from './deps';
import { FeedbackItem, type FeedbackItemRecord, type FeedbackStatus } from './model';
import { checkTransition, isClosed, learnerLabel, nextStatuses, type BoardRole } from './rules';

export interface BoardAccess {
  course: CourseSummary;
  role: BoardRole;
  /** The course's authoring team, by user id. */
  team: Array<{ userId: string; role: 'trainer' | 'co-facilitator'; livedExperience: boolean }>;
}

export interface BoardItem {
  id: string;
  kind: 'module' | 'lesson';
  version: number;
  moduleKey: string;
  lessonKey: string | null;
  learner: string;
  rating: number | null;
  confidenceBefore: number | null;
  confidenceAfter: number | null;
  mostUseful: string;
  shouldChange: string;
  flag: 'unclear' | 'wrong' | null;
  note: string;
  status: FeedbackStatus;
  decision: { reason: string; by: string; at: Date } | null;
  comments: Array<{ author: string; text: string; at: Date }>;
  revisionId: string | null;
  plannedVersion: number | null;
  answered: boolean;
  createdAt: Date;
  /** The statuses this viewer may move it to. */
  next: FeedbackStatus[];
}

export const MAX_COMMENT_LENGTH = 2000;
export const MAX_REASON_LENGTH = 1000;

function isObjectId(id: string): boolean {
  return Types.ObjectId.isValid(id) && String(new Types.ObjectId(id)) === id;
}

export function createBoard(deps: FeedbackDeps) {
  const { courses, users, audit } = deps;
  const now = deps.now ?? (() => new Date());

  /** Trainers see every course's board; a co-facilitator the boards of the courses whose authoring team they are on. */
  async function accessTo(viewer: SignedInUser, courseId: string): Promise<BoardAccess> {
    const course = await courses.getCourseById(courseId);
    if (!course) throw new NotFound('There is no such course.');
    const team = await courses.authoringTeamOf(course.id);
    if (viewer.roles.includes('trainer')) return { course, role: 'trainer', team };
    if (viewer.roles.includes('co-facilitator') && team.some((member) => member.userId === viewer.id)) return { course, role: 'co-facilitator', team };
    throw new Forbidden('Only trainers and the co-facilitators who write this course can see its feedback.');
  }

  /** The courses whose boards this person may open, with how many items wait for a decision. */
  async function boardCourses(viewer: SignedInUser): Promise<Array<{ course: CourseSummary; open: number }>> {
    const all = await courses.listAllCourses();
    const visible: CourseSummary[] = [];
    for (const course of all) {
      if (viewer.roles.includes('trainer')) visible.push(course);
      else if ((await courses.authoringTeamOf(course.id)).some((member) => member.userId === viewer.id)) visible.push(course);
    }
    if (visible.length === 0) return [];
    const counts = await FeedbackItem.aggregate<{ _id: Types.ObjectId; open: number }>([
      { $match: { course: { $in: visible.map((course) => new Types.ObjectId(course.id)) }, status: { $in: ['new', 'planned'] } } },
      { $group: { _id: '$course', open: { $sum: 1 } } },
    ]);
    const openBy = new Map(counts.map((row) => [String(row._id), row.open]));
    return visible.map((course) => ({ course, open: openBy.get(course.id) ?? 0 }));
  }

  async function namesOf(ids: string[]): Promise<Map<string, string>> {
    const people = await users.getPeopleByIds([...new Set(ids)]);
    return new Map(people.map((person) => [person.id, person.name || person.email]));
  }

  function toBoardItem(row: FeedbackItemRecord, role: BoardRole, names: Map<string, string>): BoardItem {
    return {
      id: String(row._id),
      kind: row.kind,
      version: row.version,
      moduleKey: row.moduleKey,
      lessonKey: row.lessonKey ?? null,
      learner: learnerLabel(role, row.nameToTeam, names.get(String(row.learner))),
      rating: row.rating ?? null,
      confidenceBefore: row.confidenceBefore ?? null,
      confidenceAfter: row.confidenceAfter ?? null,
      mostUseful: row.mostUseful ?? '',
      shouldChange: row.shouldChange ?? '',
      flag: row.flag ?? null,
      note: row.note ?? '',
      status: row.status,
      decision: row.decision ? { reason: row.decision.reason, by: names.get(String(row.decision.by)) ?? 'A trainer', at: row.decision.at } : null,
      comments: (row.comments ?? []).map((comment) => ({ author: names.get(String(comment.author)) ?? 'Someone', text: comment.text, at: comment.at })),
      revisionId: row.revision ? String(row.revision) : null,
      plannedVersion: row.plannedVersion ?? null,
      answered: Boolean(row.answeredBy),
      createdAt: row.createdAt,
      next: role === 'trainer' && !row.answeredBy ? [...nextStatuses(row.status)] : [],
    };
  }

  /** Names are read only for what this viewer may see: a co-facilitator's board never asks for an anonymous learner's name. */
  async function toBoardItems(rows: FeedbackItemRecord[], role: BoardRole): Promise<BoardItem[]> {
    const ids: string[] = [];
    for (const row of rows) {
      if (role === 'trainer' || row.nameToTeam) ids.push(String(row.learner));
      if (row.decision) ids.push(String(row.decision.by));
      for (const comment of row.comments ?? []) ids.push(String(comment.author));
    }
    const names = await namesOf(ids);
    return rows.map((row) => toBoardItem(row, role, names));
  }

  /** Every item of a course, by module and newest version first, oldest item first within them. */
  async function boardItems(viewer: SignedInUser, courseId: string, status?: FeedbackStatus): Promise<{ access: BoardAccess; items: BoardItem[] }> {
    const access = await accessTo(viewer, courseId);
    const filter: Record<string, unknown> = { course: new Types.ObjectId(access.course.id) };
    if (status) filter.status = status;
    const rows = await FeedbackItem.find(filter).sort({ moduleKey: 1, version: -1, createdAt: 1 }).lean<FeedbackItemRecord[]>();
    return { access, items: await toBoardItems(rows, access.role) };
  }

  async function findItem(courseId: string, itemId: string): Promise<FeedbackItemRecord> {
    if (!isObjectId(itemId)) throw new NotFound('There is no such feedback.');
    const row = await FeedbackItem.findOne({ _id: new Types.ObjectId(itemId), course: new Types.ObjectId(courseId) }).lean<FeedbackItemRecord>();
    if (!row) throw new NotFound('There is no such feedback.');
    return row;
  }

  async function boardItem(viewer: SignedInUser, courseId: string, itemId: string): Promise<{ access: BoardAccess; item: BoardItem }> {
    const access = await accessTo(viewer, courseId);
    const [item] = await toBoardItems([await findItem(access.course.id, itemId)], access.role);
    if (!item) throw new NotFound('There is no such feedback.');
    return { access, item };
  }

  /**
   * Moves an item to another status. Only trainers; closing (changed / not changed) needs the reason, which is
   * kept as the item's decision; reopening clears it; taking an item out of a plan unlinks its revision.
   */
  async function changeStatus(viewer: SignedInUser, courseId: string, itemId: string, to: FeedbackStatus, reason: string, ip?: string): Promise<void> {
    const access = await accessTo(viewer, courseId);
    const item = await findItem(access.course.id, itemId);
    const refusal = checkTransition({ role: access.role, from: item.status, to, reason, answered: Boolean(item.answeredBy) });
    if (refusal === 'not-a-trainer') throw new Forbidden('Only trainers decide what happens with feedback. You can add a comment.');
    if (refusal === 'answered') throw new Conflict('A "you said, we did" note has answered this feedback, so its decision stays as it is.');
    if (refusal === 'not-allowed') throw new Invalid({ status: `Feedback that is ${item.status} cannot move to ${to}.` });
    if (refusal === 'reason-needed') throw new Invalid({ reason: 'Write the reason for this decision. Learners see it.' });
    if (reason.length > MAX_REASON_LENGTH) throw new Invalid({ reason: `Keep the reason under ${MAX_REASON_LENGTH} characters.` });
    const set: Record<string, unknown> = { status: to };
    if (isClosed(to)) set.decision = { reason: reason.trim(), by: new Types.ObjectId(viewer.id), at: now() };
    else set.decision = null;
    if (to === 'new') {
      set.revision = null;
      set.plannedVersion = null;
    }
    const moved = await FeedbackItem.updateOne({ _id: item._id, status: item.status, answeredBy: null }, { $set: set });
    if (moved.modifiedCount !== 1) throw new Conflict('Someone changed this feedback at the same time. Please look at it again.');
    await audit.recordAudit({
      action: 'feedback.status-changed',
      actor: { id: viewer.id, email: viewer.email },
      target: { type: 'feedback', id: itemId, label: access.course.title },
      details: { from: item.status, to },
      ip,
    });
  }

  /** Trainers and the team's co-facilitators comment on an item. */
  async function addComment(viewer: SignedInUser, courseId: string, itemId: string, text: string): Promise<void> {
    const access = await accessTo(viewer, courseId);
    const trimmed = text.trim();
    if (trimmed === '') throw new Invalid({ comment: 'Write a comment first.' });
    if (trimmed.length > MAX_COMMENT_LENGTH) throw new Invalid({ comment: `Keep the comment under ${MAX_COMMENT_LENGTH} characters.` });
    const item = await findItem(access.course.id, itemId);
    await FeedbackItem.updateOne({ _id: item._id }, { $push: { comments: { author: new Types.ObjectId(viewer.id), text: trimmed, at: now() } } });
  }

  return { accessTo, boardCourses, boardItems, boardItem, changeStatus, addComment, toBoardItems };
}

export type Board = ReturnType<typeof createBoard>;
