/**
 * One learner's reflections on a course, for the learner or a trainer who looks after them; and, for a trainer's
 * team page, the links to each learner's reflections.
 */
import { Types } from 'mongoose';
import type { CoursesService } from '../courses/service';
import { Forbidden, NotFound } from '../errors';
import type { TeamsService } from '../teams/service';
import type { UsersService } from '../users/service';
import { Enrolment, blockKeyOf, type EnrolmentRecord, type ReflectionRecord } from './model';
import { allBlocks } from './progress';
import type { Learner } from './service';
import { formatDate, reflectionsHref } from './views';

export interface ReflectionsView {
  learnerName: string;
  courseTitle: string;
  reflections: { promptHtml: string; text: string; savedLabel: string }[];
}

export interface ReflectionsLink {
  courseTitle: string;
  href: string;
}

export interface ReflectionsPageDeps {
  courses: Pick<CoursesService, 'getCourseVersion' | 'courseTitlesByIds'>;
  teams: Pick<TeamsService, 'looksAfter'>;
  users: Pick<UsersService, 'getPerson'>;
}

export function createReflectionsPage({ courses, teams, users }: ReflectionsPageDeps) {
  /**
   * One learner's reflections on a course, for the learner or a trainer of one of the learner's teams.
   * Anyone else gets 403, however they came by the learner's id.
   */
  async function reflectionsFor(viewer: Learner, learnerId: string, slug: string): Promise<ReflectionsView> {
    if (!Types.ObjectId.isValid(learnerId)) throw new NotFound('We could not find this person.');
    if (viewer.id !== learnerId && !(await teams.looksAfter(viewer.id, learnerId))) {
      throw new Forbidden('Reflections are private to the learner and their trainers.');
    }
    const enrolment = await Enrolment.findOne(
      { learner: new Types.ObjectId(learnerId), courseSlug: String(slug) },
      { course: 1, version: 1, reflections: 1 },
    ).lean<Pick<EnrolmentRecord, 'course' | 'version' | 'reflections'>>();
    if (!enrolment) throw new NotFound('This person has not started this course.');
    const [person, content] = await Promise.all([users.getPerson(learnerId), courses.getCourseVersion(enrolment.course.toString(), enrolment.version)]);
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

  /**
   * For a trainer's team page: the courses each learner has started, each linked to the learner's reflections on
   * it (the reflections page itself checks that the viewer trains one of the learner's teams). One read of the
   * enrolments and one of their courses' titles, however many learners.
   */
  async function reflectionLinksFor(learnerIds: string[]): Promise<Map<string, ReflectionsLink[]>> {
    const ids = learnerIds.filter((id) => Types.ObjectId.isValid(id)).map((id) => new Types.ObjectId(id));
    const links = new Map<string, ReflectionsLink[]>();
    if (ids.length === 0) return links;
    const enrolments = await Enrolment.find({ learner: { $in: ids } }, { learner: 1, course: 1, courseSlug: 1 }).lean<
      Pick<EnrolmentRecord, 'learner' | 'course' | 'courseSlug'>[]
    >();
    const titles = await courses.courseTitlesByIds(enrolments.map((enrolment) => enrolment.course.toString()));
    for (const enrolment of enrolments) {
      const learnerId = enrolment.learner.toString();
      const list = links.get(learnerId) ?? [];
      list.push({ courseTitle: titles.get(enrolment.course.toString()) ?? enrolment.courseSlug, href: reflectionsHref(learnerId, enrolment.courseSlug) });
      links.set(learnerId, list);
    }
    for (const list of links.values()) list.sort((a, b) => a.courseTitle.localeCompare(b.courseTitle));
    return links;
  }

  return { reflectionsFor, reflectionLinksFor };
}
