/**
 * The trainer's course pages.
 *   GET  /manage/courses                 requireRole(co-facilitator, trainer, admin)   every course and its versions
 *   GET  /manage/courses/:slug           requireRole(co-facilitator, trainer, admin)   versions, and what the waiting draft changes
 *   GET  /manage/courses/:slug/versions/:version
 *                                        requireRole(co-facilitator, trainer, admin)   a whole version, read-only, answer key included
 *   POST /manage/courses/:slug/publish   requireRole(trainer, admin)                   publish the draft that was shown
 * Co-facilitators see the pages but not the Publish button (publishing is the trainer's decision).
 */
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import type { Services } from '../services';
import { hasAnyRole } from '../people';
import { requireRole } from '../web/access';
import { Invalid, NotFound } from '../errors';
import { setFlash } from '../web/locals';
import { compareVersions } from './changes';
import type { CoursesService } from './service';
import { courseListPage, coursePage, reviewPage } from './views';

const slugParam = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/).max(100);

const publishForm = z.object({
  version: z.coerce.number().int().positive(),
  contentHash: z.string().regex(/^[0-9a-f]{64}$/),
});

async function findCourse(courses: Pick<CoursesService, 'getCourseBySlug'>, slugValue: unknown) {
  const slug = slugParam.safeParse(slugValue);
  const course = slug.success ? await courses.getCourseBySlug(slug.data) : null;
  if (!course) throw new NotFound('There is no course at this address.');
  return course;
}

export function manageCoursesRouter({ courses }: Pick<Services, 'courses'>): express.Router {
  const router = express.Router();
  const viewers = requireRole('co-facilitator', 'trainer', 'admin');
  const publishers = requireRole('trainer', 'admin');

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
      coursePage({
        course,
        versions,
        draftChanges: draft && published ? compareVersions(published, draft) : null,
        canPublish: hasAnyRole(req.user, ['trainer', 'admin']),
      }),
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

  router.post('/:slug/publish', publishers, async (req: Request, res: Response) => {
    const course = await findCourse(courses, req.params.slug);
    const form = publishForm.safeParse(req.body);
    if (!form.success) throw new Invalid({ version: 'Choose the draft version to publish from the course page.' });
    const published = await courses.publishReviewedVersion(
      { actor: { id: req.user?.id, email: req.user?.email }, ip: req.ip },
      course,
      form.data.version,
      form.data.contentHash,
    );
    setFlash(req, `Version ${published.version} of "${published.title}" is published. New learners start it now.`);
    res.redirect(303, `/manage/courses/${course.slug}`);
  });

  return router;
}
