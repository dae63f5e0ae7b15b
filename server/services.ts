/**
 * The services, made once per app by the composition root (main.ts; tests through test/support/app.ts) and
 * handed to `buildApp`: each router receives the services it uses. A feature's service is made by its factory
 * (`createXService(deps)`) from the services and stores it depends on; nothing here connects or listens.
 *
 * Stores and caches are instances owned here, one set per app, never module globals: two apps in one process
 * (tests) share nothing, and a change made through one app's services forgets what that app remembers.
 */
import path from 'node:path';
import type { Store } from 'express-session';
import type { Config } from './config';
import { createAssignmentsService, type AssignmentsService } from './assignments/service';
import { createAuditService, type AuditService } from './audit/service';
import { createAuthoringService, type AuthoringService } from './authoring/service';
import { createCourseZips, type CourseZips } from './authoring/zip';
import { createClipCaptions, type ClipCaptions } from './clip-captions/service';
import { createAccountService, type AccountService } from './account/service';
import { createAuthService, type AuthService } from './auth/service';
import { createCallsService, type CallsService } from './calls/service';
import { createCertificatesService, type CertificatesService } from './certificates/service';
import { createCharterService, type CharterService } from './charter/service';
import { createCreditsService, type CreditsService } from './credits/service';
import { createCourseImport, type CourseImport } from './courses/import';
import { createCourseCaches, createCoursesService, type CourseCaches, type CoursesService } from './courses/service';
import { createReviewRecords } from './courses/review-records';
import { createFeedbackService, type FeedbackService } from './feedback/service';
import type { DraftStarter } from './feedback/deps';
import { createLessonFragmentCache, type LessonFragmentCache } from './learning/lesson-fragments';
import { createLearnerPages, type LearnerPages } from './learning/pages';
import { createLearningService, createLessonReadCache, type LearningService, type LessonReadCache } from './learning/service';
import { createInvolvementService, type InvolvementService } from './involvement/service';
import type { Mailer } from './mail/mailer';
import type { Logger } from 'pino';
import { createMediaService, createServableAssetCache, incomingDirFor, type MediaService, type ServableAssetCache } from './media/service';
import type { MediaStorage } from './media/storage';
import { createMediaConversion, type ConversionJobs } from './media/conversion';
import { ffmpegPath } from './media/ffmpeg';
import { createMediaUses } from './courses/media-uses';
import { createRemindersService, type RemindersService } from './reminders/service';
import { createReportsService, type ReportsService } from './reports/service';
import { createReviewService, type ReviewService } from './review/service';
import type { RevocationFeed, RevocationListener } from './sessions/feed';
import { createSessionsService, type SessionsService } from './sessions/service';
import { createTeamsService, type TeamsService } from './teams/service';
import { createSignedInCache, createUsersService, type SignedInCache, type UsersService } from './users/service';

/**
 * Where sessions live: express-session's store, which remembers sessions for a few seconds and forgets one, or
 * all, when the revocation feed says so (web/session.ts RememberingSessionStore).
 */
export type SessionStore = Store & { forget(sid: string): void; forgetAll(): void };

/** What this process remembers for a few seconds or for good (see each factory for what and why). */
export interface Caches {
  signedInUsers: SignedInCache;
  lessonEnrolments: LessonReadCache;
  courses: CourseCaches;
  servableAssets: ServableAssetCache;
  lessonFragments: LessonFragmentCache;
}

export function createCaches(): Caches {
  return {
    signedInUsers: createSignedInCache(),
    lessonEnrolments: createLessonReadCache(),
    courses: createCourseCaches(),
    servableAssets: createServableAssetCache(),
    lessonFragments: createLessonFragmentCache(),
  };
}

export interface ServiceDeps {
  config: Pick<Config, 'baseUrl' | 'dataDir' | 'uploadLimits'>;
  mailer: Mailer;
  /** For the reminders' runs (what was sent, what failed). */
  logger: Logger;
  /** The clock of assignments and reminders (tests move it); the real one when absent. */
  now?: () => Date;
  /** Where media bytes live (media/service.ts mediaStorageFor), one per process. */
  mediaStorage: MediaStorage;
  sessionStore: SessionStore;
  caches?: Caches;
  /**
   * This process's revocation feed (sessions/feed.ts), started by the caller once the app is built: the signed-in
   * people and sessions remembered here are forgotten as its notes arrive, so access taken away in another
   * process holds here within a second. Without it only changes made in this process apply at once.
   */
  revocations?: RevocationFeed;
  /**
   * How revisions opened from feedback start a draft: the authoring service's startDraft unless given (tests may
   * hand in another).
   */
  drafts?: DraftStarter;
  /**
   * The durable job scheduler (server/jobs/scheduler.ts), for work put on it as it is asked for (media
   * conversions). Without it such work waits, recorded, for a process that has one (main.ts).
   */
  jobs?: ConversionJobs;
}

export interface Services {
  users: UsersService;
  teams: TeamsService;
  audit: AuditService;
  auth: AuthService;
  courses: CoursesService;
  courseImport: CourseImport;
  media: MediaService;
  certificates: CertificatesService;
  learning: LearningService;
  learnerPages: LearnerPages;
  /** Not a service: the lesson page's rendered parts, kept by this app (learning/lesson-fragments.ts). */
  lessonFragments: LessonFragmentCache;
  mailer: Mailer;
  sessionStore: SessionStore;
  sessions: SessionsService;
  account: AccountService;
  assignments: AssignmentsService;
  reminders: RemindersService;
  reports: ReportsService;
  involvement: InvolvementService;
  feedback: FeedbackService;
  authoring: AuthoringService;
  calls: CallsService;
  credits: CreditsService;
  charter: CharterService;
  courseZips: CourseZips;
  review: ReviewService;
  /** A clip's captions and transcript attached to a draft's block (media + authoring). */
  clipCaptions: ClipCaptions;
}

/** What the revocation feed makes this process forget: one ended session, a person whose access changed, or all. */
function forgetWhatIsRevoked(caches: Caches, sessionStore: SessionStore): RevocationListener {
  return {
    onRevoked({ userId, sessionId }) {
      if (sessionId) sessionStore.forget(sessionId);
      if (userId) caches.signedInUsers.forget(userId);
    },
    onStale() {
      sessionStore.forgetAll();
      caches.signedInUsers.forgetAll();
    },
  };
}

export function createServices(deps: ServiceDeps): Services {
  const caches = deps.caches ?? createCaches();
  const { baseUrl } = deps.config;
  const audit = createAuditService();
  const sessions = createSessionsService();
  deps.revocations?.subscribe(forgetWhatIsRevoked(caches, deps.sessionStore));
  const users = createUsersService({ signedInCache: caches.signedInUsers, audit, sessions });
  const teams = createTeamsService({ users, audit });
  const auth = createAuthService({ users, teams, audit, mailer: deps.mailer, baseUrl, sessions });
  const courses = createCoursesService({ caches: caches.courses });
  const incomingDir = incomingDirFor(deps.config);
  const media = createMediaService({
    storage: deps.mediaStorage,
    servableAssets: caches.servableAssets,
    uploads: { incomingDir, limits: deps.config.uploadLimits },
    conversion: createMediaConversion({ storage: deps.mediaStorage, incomingDir, ffmpeg: ffmpegPath(), jobs: deps.jobs, logger: deps.logger }),
    uses: createMediaUses(),
    logger: deps.logger,
  });
  const courseImport = createCourseImport({ courses, media });
  const authoring = createAuthoringService({ media, users, audit });
  const calls = createCallsService({ courses, authoring, media, audit, baseUrl, now: deps.now });
  const credits = createCreditsService({ users, courses, audit, now: deps.now });
  const charter = createCharterService({ audit, users, now: deps.now });
  const certificates = createCertificatesService({ teams, baseUrl, coProducersOf: credits.coProducersOf });
  const courseZips = createCourseZips({ authoring, media, workDir: path.join(deps.config.dataDir, 'tmp', 'course-zips') });
  const learning = createLearningService({ courses, certificates, lessonReads: caches.lessonEnrolments });
  const review = createReviewService({ courses, records: createReviewRecords(), users, audit, now: deps.now });
  const feedback = createFeedbackService({ courses, learning, users, audit, mailer: deps.mailer, baseUrl, logger: deps.logger, drafts: deps.drafts ?? authoring, now: deps.now });
  // The dashboard shows the "you said, we did" notes that answer the learner, through the feedback service.
  const learnerPages = createLearnerPages({ courses, teams, users, learning, credits, review, changeNotes: feedback });
  // Assignments read what learners did through the learning service's enrolmentFacts, handed in (not imported).
  const assignments = createAssignmentsService({
    enrolmentFacts: learning.enrolmentFacts,
    storage: deps.mediaStorage,
    courses,
    teams,
    users,
    audit,
    now: deps.now,
  });
  const account = createAccountService({ users, auth, audit, certificates, mailer: deps.mailer, baseUrl, expiryOfCompletions: assignments.expiryOfCompletions });
  const reports = createReportsService({ courses, teams, users, audit, assignments });
  const involvement = createInvolvementService({ audit, users, courses, media, now: deps.now });
  const reminders = createRemindersService({ assignments, courses, teams, users, mailer: deps.mailer, baseUrl, logger: deps.logger, now: deps.now });
  return {
    users,
    teams,
    audit,
    auth,
    courses,
    courseImport,
    media,
    certificates,
    learning,
    learnerPages,
    lessonFragments: caches.lessonFragments,
    mailer: deps.mailer,
    sessionStore: deps.sessionStore,
    sessions,
    account,
    assignments,
    reminders,
    reports,
    involvement,
    feedback,
    authoring,
    calls,
    credits,
    charter,
    courseZips,
    review,
    clipCaptions: createClipCaptions({ authoring, media }),
  };
}
