/**
 * Demo data for the learner's journey on a first start: the shipped course assigned to the demo learner,
 * due in two weeks, so the dashboard shows an assignment at once. Safe to call again: it adds nothing twice.
 * main.ts calls it after the demo accounts are seeded and the courses imported.
 */
import type { CoursesService } from '../courses/service';
import type { UsersService } from '../users/service';
import { assignCourse, hasAssignment } from './assignments';

export const SHIPPED_COURSE_SLUG = 'person-centred-support';
const TWO_WEEKS_MS = 14 * 24 * 60 * 60 * 1000;

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
  if (await hasAssignment(course.id, { learnerId })) return { assigned: false };
  const now = options.now ?? new Date();
  await assignCourse({ courseId: course.id, learnerId, dueAt: new Date(now.getTime() + TWO_WEEKS_MS), assignedBy: ids.get(trainerEmail) });
  return { assigned: true };
}
