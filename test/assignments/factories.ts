/**
 * Small factories for tests that need assignments in states the pages refuse to make (due in the past):
 * written straight to the model, as the data would be after time has passed.
 */
import { Types } from 'mongoose';
import { Assignment, type DueRule } from '../../server/assignments/model';

export interface AssignmentFixture {
  courseId: string;
  learnerId?: string;
  teamId?: string;
  dueRule?: DueRule;
  dueAt?: Date;
  dueDays?: number;
  recertifyMonths?: number;
  assignedAt?: Date;
}

export async function createAssignment(input: AssignmentFixture): Promise<string> {
  const created = await Assignment.create({
    course: new Types.ObjectId(input.courseId),
    learner: input.learnerId ? new Types.ObjectId(input.learnerId) : null,
    team: input.teamId ? new Types.ObjectId(input.teamId) : null,
    dueRule: input.dueRule ?? 'fixed',
    dueAt: input.dueAt ?? null,
    dueDays: input.dueDays ?? null,
    recertifyMonths: input.recertifyMonths ?? null,
    assignedAt: input.assignedAt ?? new Date(),
  });
  return String(created._id);
}
