/**
 * The trainer's course pages.
 *   GET  /manage/courses                 requireRole(co-facilitator, trainer, admin)   every course and its versions
 *   GET  /manage/courses/:slug           requireRole(co-facilitator, trainer, admin)   versions, and what the waiting draft changes
 *   GET  /manage/courses/:slug/versions/:version
 *                                        requireRole(co-facilitator, trainer, admin)   a whole version, read-only, answer key included
 * Publishing is not here: a draft is submitted, approved by two keys and published on its review page
 * (../review/routes.ts, /manage/courses/:slug/review).
 */
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import type { Services } from '../services';
import { hasAnyRole } from '../people';
import { requireRole } from '../web/access';
import { NotFound } from '../errors';
import { compareVersions } from './changes';
import type { CoursesService } from './service';
import { courseListPage, coursePage, reviewPage } from './views';

const slugParam = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/).max(100);

async function findCourse(courses: Pick<CoursesService, 'getCourseBySlug'>, slugValue: unknown) {
  const slug = slugParam.safeParse(slugValue);
  const course = slug.success ? await courses.getCourseBySlug(slug.data) : null;
  if (!course) throw new NotFound('There is no course at this address.');
  return course;
}

export function manageCoursesRouter({ courses }: Pick<Services, 'courses'>): express.Router {
  const router = express.Router();
  const viewers = requireRole('co-facilitator', 'trainer', 'admin');

  router.get('/', viewers, async (_req: Request, res: Response) => {
    const all = await courses.listAllCourses();
    const items = await Promise.all(all.map(async (course) => ({ course, versions: await courses.listVersions(course.id) })));
    res.render('manage/courses', courseListPage(items));
  });

  router.get('/:slug', viewers, async (req: Request, res: Response) => {
    const course = await findCourse(courses, req.params.slug);
    const versions = await courses.listVersions(course.id);
    const draft = await courses.getLatestDraft(course.id);
    const published = course.publishedVersion ? await courses.getCourseVersion(course.id, course.publishedVersion) : null;
    res.render(
      'manage/course',
      {
        ...coursePage({ course, versions, draftChanges: draft && published ? compareVersions(published, draft) : null }),
        // Trainers and admins record who contributed to a module (../credits); each person then chooses their credit.
        canRecordContributions: hasAnyRole(req.user, ['trainer', 'admin']),
      },
    );
  });

  router.get('/:slug/versions/:version', viewers, async (req: Request, res: Response) => {
    const course = await findCourse(courses, req.params.slug);
    const number = z.coerce.number().int().positive().safeParse(req.params.version);
    const version = number.success ? await courses.getCourseVersion(course.id, number.data) : null;
    if (!version) throw new NotFound('This course has no such version.');
    // Compared with what learners start now when it is newer, else with the version before it.
    const baseline =
      course.publishedVersion && version.version > course.publishedVersion ? course.publishedVersion : version.version > 1 ? version.version - 1 : null;
    const before = baseline ? await courses.getCourseVersion(course.id, baseline) : null;
    res.render('manage/version', reviewPage(course.slug, version, before ? compareVersions(before, version) : null));
  });

  return router;
}
