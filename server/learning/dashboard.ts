/**
 * The learner's overview pages: the dashboard (assigned, in progress, completed), the catalogue and a
 * course's overview; and the trainer's read of one learner's reflections. Each returns a view model.
 */
import { Types } from 'mongoose';
import { courseTitlesByIds, getCourseBySlug, getCourseVersion, listPublishedCourses, type CourseSummary } from '../courses/service';
import type { CourseVersionContent } from '../courses/types';
import { LEVEL_LABELS } from '../courses/views';
import { getPerson } from '../users/service';
import { Forbidden, NotFound } from '../errors';
import type { LearnerCourseStatus } from '../assignments/service';
import { Enrolment, blockKeyOf, type EnrolmentRecord, type ReflectionRecord } from './model';
import { allBlocks, lessonState, lessonsInOrder, progressOf, resumeLesson } from './progress';
import { doneKeys, findEnrolment, newerVersionFor, type Learner } from './service';
import { looksAfter } from './trainers';
import {
  STATE_LABELS,
  certificateHref,
  courseHref,
  creditViews,
  formatDate,
  lessonHref,
  newerVersionNotice,
  reflectionsHref,
  type CreditView,
  type NoticeView,
} from './views';

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

export interface DashboardView {
  assigned: DashboardCourse[];
  inProgress: DashboardCourse[];
  completed: CompletedCourse[];
  empty: boolean;
}

function continueHref(slug: string): string {
  return `${courseHref(slug)}/continue`;
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

/**
 * `assigned`: the learner's assigned courses with their states (the assignments service's statusesForLearner),
 * overdue and expired first.
 */
export async function dashboardFor(learner: Learner, assignedStatuses: LearnerCourseStatus[]): Promise<DashboardView> {
  const [enrolments, courses] = await Promise.all([
    Enrolment.find(
      { learner: new Types.ObjectId(learner.id) },
      { course: 1, courseSlug: 1, version: 1, blocks: 1, lastLesson: 1, completedAt: 1, certificateNumber: 1 },
    ).lean<DashboardEnrolment[]>(),
    listPublishedCourses(),
  ]);
  const courseById = new Map(courses.map((course) => [course.id, course]));
  const enrolmentByCourse = new Map(enrolments.map((enrolment) => [enrolment.course.toString(), enrolment]));

  const inProgressView = async (enrolment: DashboardEnrolment, title: string): Promise<DashboardCourse> => {
    const content = await getCourseVersion(enrolment.course.toString(), enrolment.version);
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
      const content = await getCourseVersion(courseId, enrolment.version);
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
  return { assigned, inProgress, completed, empty: assigned.length + inProgress.length + completed.length === 0 };
}

// ---------------------------------------------------------------------------------------------------------

export interface CatalogueCourse {
  title: string;
  summary: string;
  audience: string;
  minutesLabel: string;
  moduleCountLabel: string;
  href: string;
  status: 'not started' | 'in progress' | 'finished';
  statusLabel: string;
}

function minutesLabel(minutes: number): string {
  if (minutes < 90) return `About ${minutes} minutes`;
  const hours = Math.round((minutes / 60) * 2) / 2;
  return `About ${hours} hours`;
}

export async function catalogueFor(learner: Learner): Promise<CatalogueCourse[]> {
  const [courses, enrolments] = await Promise.all([
    listPublishedCourses(),
    Enrolment.find({ learner: new Types.ObjectId(learner.id) }, { course: 1, completedAt: 1 }).lean<Pick<EnrolmentRecord, 'course' | 'completedAt'>[]>(),
  ]);
  const state = new Map(enrolments.map((enrolment) => [enrolment.course.toString(), enrolment.completedAt ? 'finished' : 'in progress'] as const));
  return courses.map((course) => {
    const status = state.get(course.id) ?? 'not started';
    return {
      title: course.title,
      summary: course.summary,
      audience: course.audience,
      minutesLabel: minutesLabel(course.estimatedMinutes),
      moduleCountLabel: `${course.moduleCount} ${course.moduleCount === 1 ? 'module' : 'modules'}`,
      href: courseHref(course.slug),
      status,
      statusLabel: status === 'not started' ? 'Not started' : status === 'in progress' ? 'In progress' : 'Finished',
    };
  });
}

// ---------------------------------------------------------------------------------------------------------

export interface OverviewModule {
  title: string;
  summary: string;
  levelLabel: string;
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
  continueHref: string;
  certificateHref: string | null;
  completedLabel: string | null;
  notice: NoticeView | null;
  due: string | null;
}

function overviewModules(slug: string, content: CourseVersionContent, enrolment: DashboardEnrolment | null): OverviewModule[] {
  const done = enrolment ? doneKeys(enrolment) : new Set<string>();
  const lessons = lessonsInOrder(content);
  return content.modules.map((module) => ({
    title: module.title,
    summary: module.summary,
    levelLabel: LEVEL_LABELS[module.coProductionLevel],
    credits: creditViews(module.credits),
    lessons: lessons
      .filter((ref) => ref.moduleKey === module.key)
      .map((ref) => {
        if (!enrolment) return { title: ref.lesson.title, href: null, stateLabel: null };
        const state = lessonState(ref, done, undefined);
        return { title: ref.lesson.title, href: lessonHref(slug, ref), stateLabel: STATE_LABELS[state] };
      }),
  }));
}

/** `assignedStatuses`: as for dashboardFor (the course's own status is found among them). */
export async function courseOverviewFor(learner: Learner, slug: string, assignedStatuses: LearnerCourseStatus[]): Promise<CourseOverview> {
  const course: CourseSummary | null = await getCourseBySlug(slug);
  if (!course) throw new NotFound('There is no course at this address.');
  const enrolment = await findEnrolment(learner, course.slug);
  if (!enrolment && course.publishedVersion === null) throw new NotFound('There is no course at this address.');
  const version = enrolment?.version ?? (course.publishedVersion as number);
  const content = await getCourseVersion(course.id, version);
  if (!content) throw new NotFound('There is no course at this address.');
  const progress = enrolment ? progressOf(content, doneKeys(enrolment)) : null;
  const newer = enrolment ? await newerVersionFor(enrolment) : null;
  const dueItem = assignedStatuses.find((item) => item.courseId === course.id && item.state !== 'completed');
  return {
    slug: course.slug,
    title: content.title,
    summary: content.summary,
    audience: content.audience,
    minutesLabel: minutesLabel(content.estimatedMinutes),
    version,
    credits: creditViews(content.credits),
    modules: overviewModules(course.slug, content, enrolment),
    status: !enrolment ? 'not started' : enrolment.completedAt ? 'finished' : 'in progress',
    progress: progress ? { done: progress.lessonsDone, total: progress.lessonCount } : null,
    startAction: `${courseHref(course.slug)}/start`,
    continueHref: continueHref(course.slug),
    certificateHref: enrolment?.certificateNumber ? certificateHref(enrolment.certificateNumber) : null,
    completedLabel: enrolment?.completedAt ? `You finished this course on ${formatDate(enrolment.completedAt)}.` : null,
    notice: newerVersionNotice(course.slug, newer),
    due: dueItem?.dueAt && !enrolment?.completedAt ? formatDate(dueItem.dueAt) : null,
  };
}

/** The address "Continue" sends a learner to, or the overview when they have not started. */
export async function continueHrefFor(learner: Learner, slug: string): Promise<string> {
  const enrolment = await findEnrolment(learner, slug);
  if (!enrolment) return courseHref(slug);
  const content = await getCourseVersion(enrolment.course.toString(), enrolment.version);
  if (!content) return courseHref(slug);
  const ref = resumeLesson(content, doneKeys(enrolment), enrolment.lastLesson ?? undefined);
  return ref ? lessonHref(enrolment.courseSlug, ref) : courseHref(slug);
}

// ---------------------------------------------------------------------------------------------------------

export interface ReflectionsView {
  learnerName: string;
  courseTitle: string;
  reflections: { promptHtml: string; text: string; savedLabel: string }[];
}

/**
 * One learner's reflections on a course, for the learner or a trainer of one of the learner's teams.
 * Anyone else gets 403, however they came by the learner's id.
 */
export async function reflectionsFor(viewer: Learner, learnerId: string, slug: string): Promise<ReflectionsView> {
  if (!Types.ObjectId.isValid(learnerId)) throw new NotFound('We could not find this person.');
  if (viewer.id !== learnerId && !(await looksAfter(viewer.id, learnerId))) {
    throw new Forbidden('Reflections are private to the learner and their trainers.');
  }
  const enrolment = await Enrolment.findOne(
    { learner: new Types.ObjectId(learnerId), courseSlug: String(slug) },
    { course: 1, version: 1, reflections: 1 },
  ).lean<Pick<EnrolmentRecord, 'course' | 'version' | 'reflections'>>();
  if (!enrolment) throw new NotFound('This person has not started this course.');
  const [person, content] = await Promise.all([getPerson(learnerId), getCourseVersion(enrolment.course.toString(), enrolment.version)]);
  if (!content) throw new NotFound('This version of the course is no longer available.');
  const saved = new Map<string, ReflectionRecord>(
    Object.entries(enrolment.reflections ?? {}).map(([field, reflection]) => [blockKeyOf(field), reflection]),
  );
  const reflections = allBlocks(content).flatMap((block) => {
    const reflection = block.kind === 'reflection' ? saved.get(block.key) : undefined;
    if (block.kind !== 'reflection' || !reflection || reflection.text.trim() === '') return [];
    return [{ promptHtml: block.promptHtml, text: reflection.text, savedLabel: `Saved on ${formatDate(reflection.savedAt)}` }];
  });
  return { learnerName: person.name || person.email, courseTitle: content.title, reflections };
}

export interface ReflectionsLink {
  courseTitle: string;
  href: string;
}

/**
 * For a trainer's team page: the courses each learner has started, each linked to the learner's reflections on
 * it (the reflections page itself checks that the viewer trains one of the learner's teams). One read of the
 * enrolments and one of their courses' titles, however many learners.
 */
export async function reflectionLinksFor(learnerIds: string[]): Promise<Map<string, ReflectionsLink[]>> {
  const ids = learnerIds.filter((id) => Types.ObjectId.isValid(id)).map((id) => new Types.ObjectId(id));
  const links = new Map<string, ReflectionsLink[]>();
  if (ids.length === 0) return links;
  const enrolments = await Enrolment.find({ learner: { $in: ids } }, { learner: 1, course: 1, courseSlug: 1 }).lean<
    Pick<EnrolmentRecord, 'learner' | 'course' | 'courseSlug'>[]
  >();
  const titles = await courseTitlesByIds(enrolments.map((enrolment) => enrolment.course.toString()));
  for (const enrolment of enrolments) {
    const learnerId = enrolment.learner.toString();
    const list = links.get(learnerId) ?? [];
    list.push({ courseTitle: titles.get(enrolment.course.toString()) ?? enrolment.courseSlug, href: reflectionsHref(learnerId, enrolment.courseSlug) });
    links.set(learnerId, list);
  }
  for (const list of links.values()) list.sort((a, b) => a.courseTitle.localeCompare(b.courseTitle));
  return links;
}
