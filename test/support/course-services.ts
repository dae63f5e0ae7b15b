/**
 * The courses and media services with the import, for tests that use the database without a whole app:
 *   const { courses, courseImport } = courseServicesOn(new LocalDiskStorage(dir));
 * Made the way server/services.ts makes them, with their own caches.
 */
import { createCourseImport } from '../../server/courses/import';
import { createCourseCaches, createCoursesService } from '../../server/courses/service';
import { createMediaUses } from '../../server/courses/media-uses';
import { createMediaService, createServableAssetCache } from '../../server/media/service';
import type { MediaStorage } from '../../server/media/storage';

export function courseServicesOn(storage: MediaStorage) {
  const courses = createCoursesService({ caches: createCourseCaches() });
  const media = createMediaService({ storage, servableAssets: createServableAssetCache(), uses: createMediaUses() });
  return { courses, media, courseImport: createCourseImport({ courses, media }) };
}
