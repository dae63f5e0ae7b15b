/**
 * Demo data for the learner's journey on a first start: the shipped course assigned to the demo learner,
 * due in two weeks, so the dashboard shows an assignment at once. Safe to call again: it adds nothing twice.
 * main.ts calls it after the demo accounts are seeded and the courses imported.
 */
import { Types } from 'mongoose';
import type { CoursesService } from '../courses/service';
import type { UsersService } from '../users/service';
import { Assignment } from './model';
import { addDays, startOfUtcDay } from './rules';

export const SHIPPED_COURSE_SLUG = 'person-centred-support';

export interface DemoLearningOptions {
  learnerEmail?: string;
  trainerEmail?: string;
  courseSlug?: string;
  now?: Date;
}

export async function seedDemoLearning(
  { users, courses }: { users: Pick<UsersService, 'findUserIdsByEmails'>; courses: Pick<CoursesService, 'listPublishedCourses'> },
  options: DemoLearningOptions = {},
): Promise<{ assigned: boolean }> {
  const learnerEmail = options.learnerEmail ?? 'learner@example.org';
  const trainerEmail = options.trainerEmail ?? 'trainer@example.org';
  const ids = await users.findUserIdsByEmails([learnerEmail, trainerEmail]);
  const learnerId = ids.get(learnerEmail);
  const published = await courses.listPublishedCourses();
  const course = published.find((candidate) => candidate.slug === (options.courseSlug ?? SHIPPED_COURSE_SLUG)) ?? published[0];
  if (!learnerId || !course) return { assigned: false };
  const learner = new Types.ObjectId(learnerId);
  const courseId = new Types.ObjectId(course.id);
  if (await Assignment.exists({ course: courseId, learner, withdrawnAt: null })) return { assigned: false };
  const now = options.now ?? new Date();
  const trainerId = ids.get(trainerEmail);
  // Written directly (not through the service): a seed acts for no signed-in person, so there is nobody to audit.
  await Assignment.create({
    course: courseId,
    learner,
    team: null,
    dueRule: 'fixed',
    dueAt: addDays(startOfUtcDay(now), 14),
    assignedBy: trainerId ? new Types.ObjectId(trainerId) : null,
    assignedAt: now,
  });
  return { assigned: true };
}
