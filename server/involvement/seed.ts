/**
 * Demo data for paid involvement on a first start (never in production): a rate card, the demo co-facilitator's
 * payment choice (after the benefits note), the demo trainer and co-facilitator on the shipped course's authoring
 * team, and two entries for the co-facilitator: one approved by the trainer, one waiting. Safe to call again: it
 * adds nothing when the co-facilitator already has entries. main.ts calls it after the courses are imported.
 */
import { Types } from 'mongoose';
import type { CoursesService } from '../courses/service';
import type { UsersService } from '../users/service';
import { InvolvementEntry, InvolvementProfile, RateCard } from './model';
import type { InvolvementService } from './service';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface DemoInvolvementOptions {
  adminEmail?: string;
  trainerEmail?: string;
  coFacilitatorEmail?: string;
  courseSlug?: string;
  now?: Date;
}

export async function seedDemoInvolvement(
  deps: {
    users: Pick<UsersService, 'findUserIdsByEmails'>;
    courses: Pick<CoursesService, 'getCourseBySlug' | 'listAllCourses' | 'addAuthoringTeamMember'>;
    involvement: Pick<InvolvementService, 'logEntry'>;
  },
  options: DemoInvolvementOptions = {},
): Promise<{ entries: number }> {
  const adminEmail = options.adminEmail ?? 'admin@example.org';
  const trainerEmail = options.trainerEmail ?? 'trainer@example.org';
  const coFacilitatorEmail = options.coFacilitatorEmail ?? 'cofacilitator@example.org';
  const ids = await deps.users.findUserIdsByEmails([adminEmail, trainerEmail, coFacilitatorEmail]);
  const adminId = ids.get(adminEmail);
  const trainerId = ids.get(trainerEmail);
  const caseyId = ids.get(coFacilitatorEmail);
  if (!adminId || !trainerId || !caseyId) return { entries: 0 };
  if (await InvolvementEntry.exists({ person: new Types.ObjectId(caseyId) })) return { entries: 0 };
  const now = options.now ?? new Date();
  const course = (await deps.courses.getCourseBySlug(options.courseSlug ?? 'person-centred-support')) ?? (await deps.courses.listAllCourses())[0];

  // Written directly (not through the service): a seed acts for no signed-in person, so there is nobody to audit.
  if ((await RateCard.countDocuments()) === 0) {
    await RateCard.create({
      effectiveFrom: new Date(Date.UTC(now.getUTCFullYear() - 1, 0, 1)),
      hourlyPence: 2000,
      halfDayPence: 7500,
      dayPence: 14000,
      setBy: new Types.ObjectId(adminId),
      setAt: now,
    });
  }
  await InvolvementProfile.updateOne(
    { user: new Types.ObjectId(caseyId) },
    { $setOnInsert: { paymentChoice: 'paid', benefitsNoteReadAt: now, updatedAt: now } },
    { upsert: true },
  );
  if (course) {
    await deps.courses.addAuthoringTeamMember(course.id, { userId: trainerId, role: 'trainer' });
    await deps.courses.addAuthoringTeamMember(course.id, { userId: caseyId, role: 'co-facilitator', livedExperience: true, addedBy: trainerId });
  }
  const day = (daysAgo: number): Date => {
    const at = new Date(now.getTime() - daysAgo * DAY_MS);
    return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  };
  const casey = { id: caseyId, email: coFacilitatorEmail, roles: ['co-facilitator'] as const };
  const workshop = await deps.involvement.logEntry(casey, {
    date: day(6),
    activity: 'workshop',
    minutes: 150,
    courseId: course?.id,
    module: 'Getting to know the person',
    notes: 'Planning workshop with the course team.',
    travelPence: 640,
    travelNote: 'Bus to the training centre and back',
    carePence: 0,
    careNote: '',
  });
  await deps.involvement.logEntry(casey, {
    date: day(2),
    activity: 'writing',
    minutes: 45,
    courseId: course?.id,
    module: 'Communication',
    notes: 'Wrote the lesson on quiet spaces.',
    travelPence: 0,
    travelNote: '',
    carePence: 0,
    careNote: '',
  });
  await InvolvementEntry.updateOne(
    { _id: new Types.ObjectId(workshop), status: 'logged' },
    { $set: { status: 'approved', approvedBy: new Types.ObjectId(trainerId), approvedAt: now } },
  );
  return { entries: 2 };
}
