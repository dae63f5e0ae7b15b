/**
 * The learner's pages other than the lesson itself, as one service the routes receive: the dashboard, the
 * catalogue, a course's overview and the reflections page. Each file builds its page's view model.
 */
import { createCataloguePage } from './catalogue-page';
import { createCourseOverviewPage, type CourseOverviewPageDeps } from './course-overview-page';
import { createDashboardPage, type DashboardPageDeps } from './dashboard-page';
import { createReflectionsPage, type ReflectionsPageDeps } from './reflections-page';

export type LearnerPagesDeps = DashboardPageDeps & CourseOverviewPageDeps & ReflectionsPageDeps;

export function createLearnerPages(deps: LearnerPagesDeps) {
  return {
    ...createDashboardPage(deps),
    ...createCataloguePage(deps),
    ...createCourseOverviewPage(deps),
    ...createReflectionsPage(deps),
  };
}

export type LearnerPages = ReturnType<typeof createLearnerPages>;
