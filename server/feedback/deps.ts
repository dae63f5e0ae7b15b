/**
 * What the feedback feature needs from the rest of the app, handed in by the composition root (../services.ts).
 */
import type { Logger } from 'pino';
import type { AuditService } from '../audit/service';
import type { CoursesService } from '../courses/service';
import type { LearningService } from '../learning/service';
import type { Mailer } from '../mail/mailer';
import type { UsersService } from '../users/service';

/**
 * Opening a draft of a course: the authoring feature's `startDraft(courseId, byUserId)` (a new draft copied from
 * the published version's source). Handed in rather than imported, so a revision can be opened through whichever
 * authoring service the composition root has.
 */
export interface DraftStarter {
  startDraft(courseId: string, byUserId: string): Promise<{ version: number }>;
}

export interface FeedbackDeps {
  courses: Pick<
    CoursesService,
    'getCourseBySlug' | 'getCourseById' | 'getCourseVersion' | 'listAllCourses' | 'authoringTeamOf' | 'describeChanges'
  >;
  learning: Pick<LearningService, 'findEnrolment'>;
  users: Pick<UsersService, 'getPeopleByIds'>;
  audit: Pick<AuditService, 'recordAudit'>;
  mailer: Mailer;
  /** The site's address, for links in emails. */
  baseUrl: string;
  logger: Logger;
  /** Without it, opening a revision says that drafts cannot be opened here (nothing else depends on it). */
  drafts?: DraftStarter;
  now?: () => Date;
}
