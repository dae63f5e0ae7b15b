/**
 * Completion at a glance: the teams overview, a team's people x courses matrix, one learner's record and one
 * course's report, and exports of exactly what a matrix shows. Made once by `createReportsService()` in the
 * composition root.
 *
 * Every figure comes from the learning feature's aggregation pipelines (../learning/figures.ts); this service
 * decides who may see what, which people and courses a view covers, and puts the figures together.
 * Access: a trainer sees the teams they train and the people in them; an admin sees every team and person.
 */
import { recordAudit } from '../audit/service';
import { getCourseById, getCourseVersion, listPublishedCourses, type CourseSummary } from '../courses/service';
import type { CheckBlock } from '../courses/types';
import { Forbidden, NotFound } from '../errors';
import {
  countsByLearner,
  courseFigures,
  learnerFigures,
  matrixFigures,
  versionShape,
  type CourseFigures,
  type EnrolmentCell,
  type LearnerFigures,
  type QuestionKey,
  type VersionShape,
} from '../learning/figures';
import { allBlocks } from '../learning/progress';
import { looksAfter } from '../learning/trainers';
import { getTeam, listTeams, teamIdsTrainedBy, type TeamSummary } from '../teams/service';
import { getPeopleByIds, getPerson, type PersonSummary } from '../users/service';
import type { SignedInUser } from '../users/types';

export const CELL_STATES = ['not-started', 'in-progress', 'completed'] as const;
export type CellState = (typeof CELL_STATES)[number];

export const MATRIX_SORTS = ['name', 'name-desc', 'completed', 'completed-asc'] as const;
export type MatrixSort = (typeof MATRIX_SORTS)[number] | `course:${string}`;

export const PAGE_SIZE = 50;

export interface MatrixFilter {
  /** Part of a person's name or email. */
  search?: string;
  /** Only people with at least one course in this state (among the courses shown). */
  state?: CellState;
  /** Only this course's column. */
  courseId?: string;
  sort: MatrixSort;
  page: number;
}

export interface MatrixCell {
  courseId: string;
  state: CellState;
  percent: number;
  startedAt: Date | null;
  completedAt: Date | null;
  version: number | null;
}

export interface MatrixRow {
  person: Pick<PersonSummary, 'id' | 'name' | 'email'>;
  cells: MatrixCell[];
  totals: Record<CellState, number>;
}

export interface TeamMatrix {
  team: { id: string; name: string };
  courses: Pick<CourseSummary, 'id' | 'title' | 'slug'>[];
  /** Every course the filter may choose from. */
  allCourses: Pick<CourseSummary, 'id' | 'title'>[];
  rows: MatrixRow[];
  /** Per shown course, over every person the filter shows (all pages). */
  columnTotals: { courseId: string; totals: Record<CellState, number> }[];
  overall: Record<CellState, number>;
  peopleShown: number;
  memberCount: number;
  page: number;
  pageCount: number;
  filter: MatrixFilter;
}

function zeroTotals(): Record<CellState, number> {
  return { 'not-started': 0, 'in-progress': 0, completed: 0 };
}

function cellOf(courseId: string, enrolment: EnrolmentCell | undefined): MatrixCell {
  if (!enrolment) return { courseId, state: 'not-started', percent: 0, startedAt: null, completedAt: null, version: null };
  return {
    courseId,
    state: enrolment.completedAt ? 'completed' : 'in-progress',
    percent: enrolment.percent,
    startedAt: enrolment.startedAt,
    completedAt: enrolment.completedAt,
    version: enrolment.version,
  };
}

/** Order of states when sorting by a course: who needs attention first. */
const STATE_ORDER: Readonly<Record<CellState, number>> = { 'not-started': 0, 'in-progress': 1, completed: 2 };

function matches(person: PersonSummary, search: string | undefined): boolean {
  if (!search) return true;
  const wanted = search.toLocaleLowerCase('en-GB');
  return person.name.toLocaleLowerCase('en-GB').includes(wanted) || person.email.includes(wanted);
}

export type ReportsService = ReturnType<typeof createReportsService>;

export function createReportsService() {
  function isAdmin(viewer: SignedInUser): boolean {
    return viewer.roles.includes('admin');
  }

  async function assertSeesTeam(viewer: SignedInUser, teamId: string): Promise<{ id: string; name: string; memberIds: string[] }> {
    const team = await getTeam(teamId);
    if (!isAdmin(viewer) && !team.trainerIds.includes(viewer.id)) throw new Forbidden('You can see the teams you train.');
    return team;
  }

  async function assertSeesLearner(viewer: SignedInUser, learnerId: string): Promise<PersonSummary> {
    const person = await getPerson(learnerId);
    if (!isAdmin(viewer) && !(await looksAfter(viewer.id, learnerId))) throw new Forbidden('You can see the people in the teams you train.');
    return person;
  }

  /** Each published version's lessons of these courses, for the progress % (versions never change once published). */
  async function shapesOf(courses: readonly CourseSummary[]): Promise<VersionShape[]> {
    const shapes: VersionShape[] = [];
    for (const course of courses) {
      for (let version = 1; version <= (course.publishedVersion ?? 0); version += 1) {
        const content = await getCourseVersion(course.id, version);
        if (content && content.status !== 'draft') shapes.push(versionShape(course.id, version, content));
      }
    }
    return shapes;
  }

  async function teamsOverview(viewer: SignedInUser): Promise<TeamSummary[]> {
    return listTeams(viewer);
  }

  async function teamMatrix(viewer: SignedInUser, teamId: string, filter: MatrixFilter, pageSize = PAGE_SIZE): Promise<TeamMatrix> {
    const team = await assertSeesTeam(viewer, teamId);
    const allCourses = await listPublishedCourses();
    const courses = filter.courseId ? allCourses.filter((course) => course.id === filter.courseId) : allCourses;
    const courseIds = courses.map((course) => course.id);
    const members = (await getPeopleByIds(team.memberIds)).filter((person) => matches(person, filter.search));
    const counts = new Map((await countsByLearner(members.map((person) => person.id), courseIds)).map((row) => [row.learnerId, row]));
    const rowTotals = (personId: string): Record<CellState, number> => {
      const row = counts.get(personId);
      const started = row?.started ?? 0;
      const completed = row?.completed ?? 0;
      return { 'not-started': courseIds.length - started, 'in-progress': started - completed, completed };
    };
    let shown = members.filter((person) => !filter.state || rowTotals(person.id)[filter.state] > 0);
    const sortCourseId = filter.sort.startsWith('course:') ? filter.sort.slice('course:'.length) : undefined;

    // The page's cells, the column totals over everyone shown, and (sorting by a course) that column for everyone.
    const pageOf = (people: PersonSummary[]): PersonSummary[] => people.slice((filter.page - 1) * pageSize, filter.page * pageSize);
    const needsSortCells = sortCourseId !== undefined && courseIds.includes(sortCourseId);
    if (filter.sort === 'name-desc') shown = [...shown].reverse();
    if (filter.sort === 'completed' || filter.sort === 'completed-asc') {
      const direction = filter.sort === 'completed' ? -1 : 1;
      shown = [...shown].sort((a, b) => direction * (rowTotals(a.id).completed - rowTotals(b.id).completed) || a.name.localeCompare(b.name, 'en-GB'));
    }
    const shapes = await shapesOf(courses);
    const learnerIds = shown.map((person) => person.id);
    let page = needsSortCells ? [] : pageOf(shown);
    let figures = await matrixFigures({ learnerIds, pageLearnerIds: page.map((person) => person.id), courseIds, shapes, sortCourseId: needsSortCells ? sortCourseId : undefined });
    if (needsSortCells) {
      const byLearner = new Map(figures.sortCells.map((cell) => [cell.learnerId, cellOf(cell.courseId, cell)]));
      const rank = (person: PersonSummary): number => {
        const cell = byLearner.get(person.id);
        return cell ? STATE_ORDER[cell.state] * 1000 + cell.percent : 0;
      };
      shown = [...shown].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name, 'en-GB'));
      page = pageOf(shown);
      const pageIds = new Set(page.map((person) => person.id));
      figures = { ...figures, cells: figures.sortCells.filter((cell) => pageIds.has(cell.learnerId)) };
      // The other columns of the page's people.
      if (courseIds.length > 1) {
        const rest = await matrixFigures({ learnerIds: [...pageIds], pageLearnerIds: [...pageIds], courseIds: courseIds.filter((id) => id !== sortCourseId), shapes });
        figures = { ...figures, cells: [...figures.cells, ...rest.cells] };
      }
    }
    const cellsByKey = new Map(figures.cells.map((cell) => [`${cell.learnerId}:${cell.courseId}`, cell]));
    const rows = page.map((person) => ({
      person: { id: person.id, name: person.name, email: person.email },
      cells: courseIds.map((courseId) => cellOf(courseId, cellsByKey.get(`${person.id}:${courseId}`))),
      totals: rowTotals(person.id),
    }));
    const byCourse = new Map(figures.byCourse.map((row) => [row.courseId, row]));
    const overall = zeroTotals();
    const columnTotals = courseIds.map((courseId) => {
      const row = byCourse.get(courseId);
      const started = row?.started ?? 0;
      const completed = row?.completed ?? 0;
      const totals = { 'not-started': shown.length - started, 'in-progress': started - completed, completed };
      for (const state of CELL_STATES) overall[state] += totals[state];
      return { courseId, totals };
    });
    return {
      team: { id: team.id, name: team.name },
      courses: courses.map((course) => ({ id: course.id, title: course.title, slug: course.slug })),
      allCourses: allCourses.map((course) => ({ id: course.id, title: course.title })),
      rows,
      columnTotals,
      overall,
      peopleShown: shown.length,
      memberCount: team.memberIds.length,
      page: filter.page,
      pageCount: Math.max(1, Math.ceil(shown.length / pageSize)),
      filter,
    };
  }

  /** Every row the filter shows (all pages), for an export; the export is recorded in the audit log. */
  async function exportMatrix(viewer: SignedInUser, teamId: string, filter: Omit<MatrixFilter, 'page'>, format: 'csv' | 'xlsx', ip?: string): Promise<TeamMatrix> {
    const matrix = await teamMatrix(viewer, teamId, { ...filter, page: 1 }, Number.MAX_SAFE_INTEGER);
    await recordAudit({
      action: 'report.exported',
      actor: { id: viewer.id, email: viewer.email },
      target: { type: 'team', id: teamId, label: `Team: ${matrix.team.name}` },
      details: { format, rows: matrix.rows.length, filter: { search: filter.search ?? null, state: filter.state ?? null, courseId: filter.courseId ?? null, sort: filter.sort } },
      ip,
    });
    return matrix;
  }

  async function learnerReport(viewer: SignedInUser, learnerId: string): Promise<{ person: PersonSummary; figures: LearnerFigures; courses: Map<string, CourseSummary>; checkTitles: Map<string, string> }> {
    const person = await assertSeesLearner(viewer, learnerId);
    const courses = await listPublishedCourses();
    const figures = await learnerFigures(learnerId, await shapesOf(courses));
    const checkTitles = new Map<string, string>();
    for (const enrolment of figures.enrolments) {
      const content = await getCourseVersion(enrolment.courseId, enrolment.version);
      for (const block of content ? allBlocks(content) : []) if (block.kind === 'check') checkTitles.set(`${enrolment.courseId}:${block.key}`, block.title);
    }
    return { person, figures, courses: new Map(courses.map((course) => [course.id, course])), checkTitles };
  }

  async function courseReport(viewer: SignedInUser, courseId: string): Promise<{ course: CourseSummary; figures: CourseFigures; questions: Map<string, { checkTitle: string; prompt: string }>; scope: 'all' | 'teams' }> {
    const course = await getCourseById(courseId);
    if (!course || course.publishedVersion === null) throw new NotFound('There is no published course here.');
    let learnerIds: string[] | undefined;
    if (!isAdmin(viewer)) {
      const teams = await Promise.all((await teamIdsTrainedBy(viewer.id)).map((id) => getTeam(id)));
      learnerIds = [...new Set(teams.flatMap((team) => team.memberIds))];
    }
    // The questions of every published version (newest wins for the wording), with their right answers.
    const questions = new Map<string, { checkTitle: string; prompt: string }>();
    const answerKey = new Map<string, QuestionKey>();
    for (let version = 1; version <= course.publishedVersion; version += 1) {
      const content = await getCourseVersion(course.id, version);
      if (!content || content.status === 'draft') continue;
      for (const block of allBlocks(content).filter((candidate): candidate is CheckBlock => candidate.kind === 'check')) {
        for (const question of block.questions) {
          const key = `${block.key}\u0000${question.key}`;
          questions.set(key, { checkTitle: block.title, prompt: question.prompt });
          answerKey.set(key, { blockKey: block.key, questionKey: question.key, correct: question.options.filter((option) => option.correct).map((option) => option.key) });
        }
      }
    }
    const figures = await courseFigures(course.id, learnerIds, [...answerKey.values()]);
    return { course, figures, questions, scope: learnerIds ? 'teams' : 'all' };
  }

  /** The published courses a viewer may open a report on (every one; the figures are scoped to their teams). */
  async function reportableCourses(): Promise<CourseSummary[]> {
    return listPublishedCourses();
  }

  return { teamsOverview, teamMatrix, exportMatrix, learnerReport, courseReport, reportableCourses };
}
