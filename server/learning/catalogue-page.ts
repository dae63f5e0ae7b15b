/**
 * The catalogue: every published course, each with where the learner is in it.
 */
import { Types } from 'mongoose';
import type { CoursesService } from '../courses/service';
import { Enrolment, type EnrolmentRecord } from './model';
import type { Learner } from './service';
import { courseHref, minutesLabel } from './views';

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

export function createCataloguePage({ courses }: { courses: Pick<CoursesService, 'listPublishedCourses'> }) {
  async function catalogueFor(learner: Learner): Promise<CatalogueCourse[]> {
    const [published, enrolments] = await Promise.all([
      courses.listPublishedCourses(),
      Enrolment.find({ learner: new Types.ObjectId(learner.id) }, { course: 1, completedAt: 1 }).lean<Pick<EnrolmentRecord, 'course' | 'completedAt'>[]>(),
    ]);
    const state = new Map(enrolments.map((enrolment) => [enrolment.course.toString(), enrolment.completedAt ? 'finished' : 'in progress'] as const));
    return published.map((course) => {
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

  return { catalogueFor };
}
