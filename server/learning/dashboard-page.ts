/**
 * The learner's dashboard: the courses assigned to them (overdue first), those in progress and those finished.
 */
import { Types } from 'mongoose';
import type { CoursesService } from '../courses/service';
import type { LearnerCourseStatus } from '../assignments/service';
import { Enrolment, doneKeys, type EnrolmentRecord } from './model';
import { progressOf } from './progress';
import type { Learner } from './service';
import { certificateHref, continueHref, courseHref, formatDate } from './views';

type DashboardEnrolment = Pick<EnrolmentRecord, 'course' | 'courseSlug' | 'version' | 'blocks' | 'lastLesson' | 'completedAt' | 'certificateNumber'>;

export interface DashboardCourse {
  title: string;
  overviewHref: string;
  continueHref: string;
  /** For a course not started yet: the form that starts it (POST). */
  startAction: string | null;
  progress: { done: number; total: number } | null;
  due: { label: string; overdue: boolean } | null;
  newerVersion: boolean;
}

export interface CompletedCourse {
  title: string;
  overviewHref: string;
  completedLabel: string;
  certificateHref: string | null;
}

/** A "you said, we did" note answering the learner's own feedback (made by the feedback feature). */
export interface DashboardNote {
  courseTitle: string;
  version: number;
  summary: string;
  lessons: Array<{ title: string; href: string }>;
  moduleHref: string;
  yourFeedback: Array<{ said: string; answer: string }>;
}

export interface DashboardView {
  /** Notes that answer this learner's feedback, newest first. */
  notes: DashboardNote[];
  assigned: DashboardCourse[];
  inProgress: DashboardCourse[];
  completed: CompletedCourse[];
  empty: boolean;
}

/** The words beside an assigned course: when it is due, or that it was. */
function dueLabel(status: LearnerCourseStatus): { label: string; overdue: boolean } {
  const overdue = status.pastDue || status.state === 'expired';
  if (status.state === 'expired' && status.expiresAt) {
    const when = status.dueAt && !status.pastDue && status.dueAt > status.expiresAt ? `. Due again ${formatDate(status.dueAt)}` : '';
    return { label: `Certificate expired ${formatDate(status.expiresAt)}${when}`, overdue };
  }
  return { label: `${status.pastDue ? 'Was due' : 'Due'} ${status.dueAt ? formatDate(status.dueAt) : ''}`.trim(), overdue };
}

export interface DashboardPageDeps {
  courses: Pick<CoursesService, 'listPublishedCourses' | 'getCourseVersion'>;
  /** The notes answering a learner's feedback (the feedback service, handed in so learning never imports it). */
  changeNotes?: { notesForLearner(learnerId: string): Promise<DashboardNote[]> };
}

export function createDashboardPage({ courses, changeNotes }: DashboardPageDeps) {
  /**
   * `assignedStatuses`: the learner's assigned courses with their states (the assignments service's
   * statusesForLearner, which the route passes in: assignments is a feature above learning's pages).
   */
  async function dashboardFor(learner: Learner, assignedStatuses: LearnerCourseStatus[]): Promise<DashboardView> {
    const [enrolments, published, notes] = await Promise.all([
      Enrolment.find(
        { learner: new Types.ObjectId(learner.id) },
        { course: 1, courseSlug: 1, version: 1, blocks: 1, lastLesson: 1, completedAt: 1, certificateNumber: 1 },
      ).lean<DashboardEnrolment[]>(),
      courses.listPublishedCourses(),
      changeNotes ? changeNotes.notesForLearner(learner.id) : Promise.resolve([]),
    ]);
    const courseById = new Map(published.map((course) => [course.id, course]));
    const enrolmentByCourse = new Map(enrolments.map((enrolment) => [enrolment.course.toString(), enrolment]));

    const inProgressView = async (enrolment: DashboardEnrolment, title: string): Promise<DashboardCourse> => {
      const content = await courses.getCourseVersion(enrolment.course.toString(), enrolment.version);
      const progress = content ? progressOf(content, doneKeys(enrolment)) : null;
      // Only a flag here (the changed lessons are for the course page), from the published courses read above:
      // a course's publishedVersion is set only together with its published status.
      const publishedVersion = courseById.get(enrolment.course.toString())?.publishedVersion ?? null;
      const newerVersion = publishedVersion !== null && publishedVersion > enrolment.version;
      return {
        title: content?.title ?? title,
        overviewHref: courseHref(enrolment.courseSlug),
        continueHref: continueHref(enrolment.courseSlug),
        startAction: null,
        progress: progress ? { done: progress.lessonsDone, total: progress.lessonCount } : null,
        due: null,
        newerVersion,
      };
    };

    const assigned: DashboardCourse[] = [];
    const assignedIds = new Set<string>();
    for (const item of assignedStatuses) {
      if (item.state === 'completed') continue;
      const expired = item.state === 'expired';
      const found = enrolmentByCourse.get(item.courseId);
      // An expired course finished in its current round is started again from its overview (a new round).
      const enrolment = expired && found?.completedAt ? undefined : found;
      const course = courseById.get(item.courseId);
      if (enrolment?.completedAt || (!enrolment && !course)) continue;
      assignedIds.add(item.courseId);
      const dueView = dueLabel(item);
      if (enrolment) {
        assigned.push({ ...(await inProgressView(enrolment, course?.title ?? '')), due: dueView });
      } else if (course) {
        assigned.push({
          title: course.title,
          overviewHref: courseHref(course.slug),
          continueHref: courseHref(course.slug),
          startAction: expired ? null : `${courseHref(course.slug)}/start`,
          progress: null,
          due: dueView,
          newerVersion: false,
        });
      }
    }
    // Overdue first, then soonest due (the statuses come sorted by due day).
    assigned.sort((a, b) => Number(b.due?.overdue) - Number(a.due?.overdue));

    const inProgress: DashboardCourse[] = [];
    const completed: CompletedCourse[] = [];
    for (const enrolment of enrolments) {
      const courseId = enrolment.course.toString();
      const title = courseById.get(courseId)?.title ?? enrolment.courseSlug;
      if (enrolment.completedAt) {
        const content = await courses.getCourseVersion(courseId, enrolment.version);
        completed.push({
          title: content?.title ?? title,
          overviewHref: courseHref(enrolment.courseSlug),
          completedLabel: `Finished on ${formatDate(enrolment.completedAt)}`,
          certificateHref: enrolment.certificateNumber ? certificateHref(enrolment.certificateNumber) : null,
        });
      } else if (!assignedIds.has(courseId)) {
        inProgress.push(await inProgressView(enrolment, title));
      }
    }
    return { notes, assigned, inProgress, completed, empty: assigned.length + inProgress.length + completed.length === 0 };
  }

  return { dashboardFor };
}
