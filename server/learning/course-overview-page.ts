/**
 * A course's overview for a learner: its modules and lessons (with where the learner is), credits, the start or
 * continue action, a due date and a newer version when there is one; and where "Continue" takes them.
 */
import type { CourseSummary, CoursesService } from '../courses/service';
import type { ReviewService } from '../review/service';
import { LEVEL_LABELS, type CourseVersionContent } from '../courses/types';
import type { CreditsService, VersionCredits } from '../credits/service';
import { NotFound } from '../errors';
import type { LearnerCourseStatus } from '../assignments/service';
import { doneKeys, type EnrolmentRecord } from './model';
import { lessonState, lessonsInOrder, progressOf, resumeLesson } from './progress';
import type { Learner, LearningService } from './service';
import {
  STATE_LABELS,
  certificateHref,
  continueHref,
  courseHref,
  formatDate,
  lessonHref,
  minutesLabel,
  moduleHref,
  newerVersionNotice,
  type CreditView,
  type NoticeView,
} from './views';

export interface OverviewModule {
  title: string;
  summary: string;
  /** The module's own page: its co-production level, who shaped it, its lessons. */
  href: string;
  levelLabel: string;
  /** "Co-production: written with River (young autistic co-facilitator) and Priya (parent carer)." */
  shapedBy: string;
  credits: CreditView[];
  lessons: { title: string; href: string | null; stateLabel: string | null }[];
}

export interface CourseOverview {
  slug: string;
  title: string;
  summary: string;
  audience: string;
  minutesLabel: string;
  version: number;
  credits: CreditView[];
  modules: OverviewModule[];
  status: 'not started' | 'in progress' | 'finished';
  progress: { done: number; total: number } | null;
  startAction: string;
  /** Where to post to take the finished course again, when its certificate has expired or soon does. */
  retakeAction: string | null;
  /** Why it may be taken again: "Your certificate expired on 3 March 2027." */
  retakeReason: string | null;
  continueHref: string;
  certificateHref: string | null;
  completedLabel: string | null;
  notice: NoticeView | null;
  due: string | null;
  /** Said plainly when this version was published by a trainer's approval alone (two-key publish relaxed). */
  publishedWithoutCoFacilitator: boolean;
}

function overviewModules(
  slug: string,
  content: CourseVersionContent,
  enrolment: Pick<EnrolmentRecord, 'blocks'> | null,
  credits: VersionCredits,
): OverviewModule[] {
  const done = enrolment ? doneKeys(enrolment) : new Set<string>();
  const lessons = lessonsInOrder(content);
  return content.modules.map((module) => ({
    title: module.title,
    summary: module.summary,
    href: moduleHref(slug, module.key),
    levelLabel: LEVEL_LABELS[module.coProductionLevel],
    shapedBy: credits.modules.get(module.key)?.shapedBy ?? '',
    credits: credits.modules.get(module.key)?.credits ?? [],
    lessons: lessons
      .filter((ref) => ref.moduleKey === module.key)
      .map((ref) => {
        if (!enrolment) return { title: ref.lesson.title, href: null, stateLabel: null };
        const state = lessonState(ref, done, undefined);
        return { title: ref.lesson.title, href: lessonHref(slug, ref), stateLabel: STATE_LABELS[state] };
      }),
  }));
}

export interface CourseOverviewPageDeps {
  courses: Pick<CoursesService, 'getCourseBySlug' | 'getCourseVersion'>;
  learning: Pick<LearningService, 'findEnrolment' | 'newerVersionFor'>;
  credits: Pick<CreditsService, 'creditsForVersion'>;
  review: Pick<ReviewService, 'publishedWithoutCoFacilitator'>;
}

/** One module of a course for a learner: how it was made, who shaped it (credited as each chose today), its lessons. */
export interface ModuleOverview {
  courseTitle: string;
  courseHref: string;
  number: number;
  module: OverviewModule;
}

export function createCourseOverviewPage({ courses, learning, credits, review }: CourseOverviewPageDeps) {
  /** The version the learner sees: the one they are taking, else the published one. */
  async function versionFor(learner: Learner, slug: string) {
    const course: CourseSummary | null = await courses.getCourseBySlug(slug);
    if (!course) throw new NotFound('There is no course at this address.');
    const enrolment = await learning.findEnrolment(learner, course.slug);
    if (!enrolment && course.publishedVersion === null) throw new NotFound('There is no course at this address.');
    const version = enrolment?.version ?? (course.publishedVersion as number);
    const content = await courses.getCourseVersion(course.id, version);
    if (!content) throw new NotFound('There is no course at this address.');
    return { course, enrolment, version, content };
  }

  /** `assignedStatuses`: as for dashboardFor (the course's own status is found among them). */
  async function courseOverviewFor(learner: Learner, slug: string, assignedStatuses: LearnerCourseStatus[]): Promise<CourseOverview> {
    const { course, enrolment, version, content } = await versionFor(learner, slug);
    const resolved = await credits.creditsForVersion(course.id, content);
    const progress = enrolment ? progressOf(content, doneKeys(enrolment)) : null;
    const newer = enrolment ? await learning.newerVersionFor(enrolment) : null;
    const dueItem = assignedStatuses.find((item) => item.courseId === course.id && item.state !== 'completed');
    const retakeItem = enrolment?.completedAt ? assignedStatuses.find((item) => item.courseId === course.id && item.retakeAllowed) : undefined;
    const expiry = retakeItem?.expiresAt ? formatDate(retakeItem.expiresAt) : null;
    return {
      slug: course.slug,
      title: content.title,
      summary: content.summary,
      audience: content.audience,
      minutesLabel: minutesLabel(content.estimatedMinutes),
      version,
      credits: resolved.course,
      modules: overviewModules(course.slug, content, enrolment, resolved),
      status: !enrolment ? 'not started' : enrolment.completedAt ? 'finished' : 'in progress',
      progress: progress ? { done: progress.lessonsDone, total: progress.lessonCount } : null,
      startAction: `${courseHref(course.slug)}/start`,
      retakeAction: retakeItem ? `${courseHref(course.slug)}/retake` : null,
      retakeReason: retakeItem && expiry ? (retakeItem.state === 'expired' ? `Your certificate expired on ${expiry}.` : `Your certificate expires on ${expiry}.`) : null,
      continueHref: continueHref(course.slug),
      certificateHref: enrolment?.certificateNumber ? certificateHref(enrolment.certificateNumber) : null,
      completedLabel: enrolment?.completedAt ? `You finished this course on ${formatDate(enrolment.completedAt)}.` : null,
      notice: newerVersionNotice(course.slug, newer),
      due: dueItem?.dueAt && (!enrolment?.completedAt || retakeItem) ? formatDate(dueItem.dueAt) : null,
      publishedWithoutCoFacilitator: await review.publishedWithoutCoFacilitator(course.id, version),
    };
  }

  /** The address "Continue" sends a learner to, or the overview when they have not started. */
  async function continueHrefFor(learner: Learner, slug: string): Promise<string> {
    const enrolment = await learning.findEnrolment(learner, slug);
    if (!enrolment) return courseHref(slug);
    const content = await courses.getCourseVersion(enrolment.course.toString(), enrolment.version);
    if (!content) return courseHref(slug);
    const ref = resumeLesson(content, doneKeys(enrolment), enrolment.lastLesson ?? undefined);
    return ref ? lessonHref(enrolment.courseSlug, ref) : courseHref(slug);
  }

  async function moduleOverviewFor(learner: Learner, slug: string, moduleKey: string): Promise<ModuleOverview> {
    const { course, enrolment, content } = await versionFor(learner, slug);
    const index = content.modules.findIndex((module) => module.key === moduleKey);
    const module = content.modules[index];
    if (!module) throw new NotFound('There is no module at this address.');
    const resolved = await credits.creditsForVersion(course.id, { credits: [], modules: [module] });
    const overview = overviewModules(course.slug, { ...content, modules: [module] }, enrolment, resolved)[0];
    if (!overview) throw new NotFound('There is no module at this address.');
    return { courseTitle: content.title, courseHref: courseHref(course.slug), number: index + 1, module: overview };
  }

  return { courseOverviewFor, continueHrefFor, moduleOverviewFor };
}
