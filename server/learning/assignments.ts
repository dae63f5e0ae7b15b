/**
 * Assignments: a course given to a team or to one person, with a due date. The trainer's page to make
 * them comes later; the dashboard reads them now, and the demo seed makes one.
 */
import { Types } from 'mongoose';
import { Invalid } from '../errors';
import { Assignment, type AssignmentRecord } from './model';

export interface NewAssignment {
  courseId: string;
  learnerId?: string;
  teamId?: string;
  dueAt: Date;
  assignedBy?: string;
}

export async function assignCourse(input: NewAssignment): Promise<string> {
  if (Boolean(input.learnerId) === Boolean(input.teamId)) {
    throw new Invalid({ assignee: 'Choose one person or one team' });
  }
  const created = await Assignment.create({
    course: new Types.ObjectId(input.courseId),
    learner: input.learnerId ? new Types.ObjectId(input.learnerId) : null,
    team: input.teamId ? new Types.ObjectId(input.teamId) : null,
    dueAt: input.dueAt,
    assignedBy: input.assignedBy ? new Types.ObjectId(input.assignedBy) : null,
    assignedAt: new Date(),
  });
  return created._id.toString();
}

export interface DueCourse {
  courseId: string;
  dueAt: Date;
}

/** The courses assigned to a person directly or through their teams, each with its earliest due date. */
export async function coursesDueFor(learnerId: string, teamIds: string[]): Promise<DueCourse[]> {
  const or: Record<string, unknown>[] = [{ learner: new Types.ObjectId(learnerId) }];
  const teams = teamIds.filter((id) => Types.ObjectId.isValid(id)).map((id) => new Types.ObjectId(id));
  if (teams.length > 0) or.push({ team: { $in: teams } });
  const rows = await Assignment.find({ $or: or }, { course: 1, dueAt: 1 }).lean<Pick<AssignmentRecord, 'course' | 'dueAt'>[]>();
  const earliest = new Map<string, Date>();
  for (const row of rows) {
    const id = row.course.toString();
    const known = earliest.get(id);
    if (!known || row.dueAt < known) earliest.set(id, row.dueAt);
  }
  return [...earliest].map(([courseId, dueAt]) => ({ courseId, dueAt })).sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
}

export async function hasAssignment(courseId: string, who: { learnerId?: string; teamId?: string }): Promise<boolean> {
  const filter: Record<string, unknown> = { course: new Types.ObjectId(courseId) };
  if (who.learnerId) filter.learner = new Types.ObjectId(who.learnerId);
  if (who.teamId) filter.team = new Types.ObjectId(who.teamId);
  return (await Assignment.countDocuments(filter)) > 0;
}
