/**
 * Demo data for review on a first start: the demo trainer and the demo co-facilitator (as a person with lived
 * experience) on the shipped course's authoring team, so the two keys of a publish can be tried at once.
 * Safe to call again: nobody is added twice. main.ts calls it after the demo accounts are seeded and the courses
 * imported.
 */
import type { CoursesService } from '../courses/service';
import type { ReviewRecords } from '../courses/review-records';
import type { UsersService } from '../users/service';

export const DEMO_AUTHORING_COURSE = 'person-centred-support';

export async function seedDemoAuthoringTeam(
  { users, courses, records }: { users: Pick<UsersService, 'findUserIdsByEmails'>; courses: Pick<CoursesService, 'getCourseBySlug'>; records: Pick<ReviewRecords, 'addTeamMemberIfAbsent'> },
  options: { trainerEmail?: string; coFacilitatorEmail?: string; courseSlug?: string; now?: Date } = {},
): Promise<{ added: number }> {
  const trainerEmail = options.trainerEmail ?? 'trainer@example.org';
  const coFacilitatorEmail = options.coFacilitatorEmail ?? 'cofacilitator@example.org';
  const course = await courses.getCourseBySlug(options.courseSlug ?? DEMO_AUTHORING_COURSE);
  if (!course) return { added: 0 };
  const ids = await users.findUserIdsByEmails([trainerEmail, coFacilitatorEmail]);
  const trainer = ids.get(trainerEmail);
  const coFacilitator = ids.get(coFacilitatorEmail);
  const now = options.now ?? new Date();
  let added = 0;
  if (trainer && (await records.addTeamMemberIfAbsent(course.id, { userId: trainer, role: 'trainer', livedExperience: false }, null, now))) added += 1;
  if (coFacilitator && (await records.addTeamMemberIfAbsent(course.id, { userId: coFacilitator, role: 'co-facilitator', livedExperience: true }, trainer ?? null, now))) added += 1;
  return { added };
}
