/**
 * Completion at a glance: the teams overview, a team's people x courses matrix, one learner's record and one
 * course's report, and exports of exactly what a matrix shows. Made once by `createReportsService()` in the
 * composition root.
 *
 * Every enrolment figure comes from the learning feature's aggregation pipelines (../learning/figures.ts); this
 * service decides who may see what, which people and courses a view covers, and puts the figures together.
 * Due dates and the overdue / expired states of assigned courses come from the assignments service
 * (statusesForTeams, which applies ../assignments/rules.ts), and replace the enrolment's state in those cells.
 * Access: a trainer sees the teams they train and the people in them; an admin sees every team and person.
 */
import type { AuditInput } from '../audit/service';
import type { CourseSummary, PublishedVersion } from '../courses/service';
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
import type { TeamSummary } from '../teams/service';
import type { PersonSummary } from '../users/service';
import type { SignedInUser } from '../users/types';

import type { AssignmentsService, LearnerCourseStatus } from '../assignments/service';

export const CELL_STATES = ['not-started', 'in-progress', 'completed', 'overdue', 'expired'] as const;
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
  /** The next due day of an assigned course (null when not assigned or nothing is due). */
  dueAt: Date | null;
  /** When a completion expires or expired (recertification). */
  expiresAt: Date | null;
  /** The completion counted was recorded by a trainer (done elsewhere). */
  recorded: boolean;
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
  return { 'not-started': 0, 'in-progress': 0, completed: 0, overdue: 0, expired: 0 };
}

/** The state the enrolment alone gives (no enrolment: not started). */
function enrolmentState(enrolment: EnrolmentCell | undefined): CellState {
  if (!enrolment) return 'not-started';
  return enrolment.completedAt ? 'completed' : 'in-progress';
}

function cellOf(courseId: string, enrolment: EnrolmentCell | undefined, due: LearnerCourseStatus | undefined): MatrixCell {
  const base = {
    courseId,
    state: enrolmentState(enrolment),
    percent: enrolment?.percent ?? 0,
    startedAt: enrolment?.startedAt ?? null,
    completedAt: enrolment?.completedAt ?? null,
    version: enrolment?.version ?? null,
    dueAt: null,
    expiresAt: null,
    recorded: false,
  };
  if (!due) return base;
  return { ...base, state: due.state, completedAt: due.lastCompletedAt ?? base.completedAt, dueAt: due.dueAt, expiresAt: due.expiresAt, recorded: due.completionRecorded };
}

/** Order of states when sorting by a course: who needs attention first. */
const STATE_ORDER: Readonly<Record<CellState, number>> = { overdue: 0, expired: 1, 'not-started': 2, 'in-progress': 3, completed: 4 };

function matches(person: PersonSummary, search: string | undefined): boolean {
  if (!search) return true;
  const wanted = search.toLocaleLowerCase('en-GB');
  return person.name.toLocaleLowerCase('en-GB').includes(wanted) || person.email.includes(wanted);
}

export type ReportsService = ReturnType<typeof createReportsService>;

/** What reports use of other features, each through its service (the composition root passes them in). */
export interface ReportsDeps {
  courses: {
    listPublishedCourses(): Promise<CourseSummary[]>;
    getCourseById(courseId: string): Promise<CourseSummary | null>;
    getCourseVersion(courseId: string, version: number): Promise<PublishedVersion | null>;
  };
  teams: {
    getTeam(teamId: string): Promise<{ id: string; name: string; memberIds: string[]; trainerIds: string[] }>;
    listTeams(viewer?: SignedInUser): Promise<TeamSummary[]>;
    teamIdsTrainedBy(userId: string): Promise<string[]>;
    /** Whether the trainer trains a team the learner is in. */
    looksAfter(trainerId: string, learnerId: string): Promise<boolean>;
  };
  users: {
    getPeopleByIds(ids: string[]): Promise<PersonSummary[]>;
    getPerson(id: string): Promise<PersonSummary>;
  };
  audit: { recordAudit(input: AuditInput): Promise<void> };
  assignments: Pick<AssignmentsService, 'statusesForTeams'>;
}

export function createReportsService(deps: ReportsDeps) {
  const { courses: coursesService, teams, users, audit } = deps;
  function isAdmin(viewer: SignedInUser): boolean {
    return viewer.roles.includes('admin');
  }

  async function assertSeesTeam(viewer: SignedInUser, teamId: string): Promise<{ id: string; name: string; memberIds: string[] }> {
    const team = await teams.getTeam(teamId);
    if (!isAdmin(viewer) && !team.trainerIds.includes(viewer.id)) throw new Forbidden('You can see the teams you train.');
    return team;
  }

  async function assertSeesLearner(viewer: SignedInUser, learnerId: string): Promise<PersonSummary> {
    const person = await users.getPerson(learnerId);
    if (!isAdmin(viewer) && !(await teams.looksAfter(viewer.id, learnerId))) throw new Forbidden('You can see the people in the teams you train.');
    return person;
  }

  /** Each published version's lessons of these courses, for the progress % (versions never change once published). */
  async function shapesOf(courses: readonly CourseSummary[]): Promise<VersionShape[]> {
    const shapes: VersionShape[] = [];
    for (const course of courses) {
      for (let version = 1; version <= (course.publishedVersion ?? 0); version += 1) {
        const content = await coursesService.getCourseVersion(course.id, version);
        if (content && content.status !== 'draft') shapes.push(versionShape(course.id, course.slug, version, content));
      }
    }
    return shapes;
  }

  async function teamsOverview(viewer: SignedInUser): Promise<TeamSummary[]> {
    return teams.listTeams(viewer);
  }

  async function teamMatrix(viewer: SignedInUser, teamId: string, filter: MatrixFilter, pageSize = PAGE_SIZE): Promise<TeamMatrix> {
    const team = await assertSeesTeam(viewer, teamId);
    const allCourses = await coursesService.listPublishedCourses();
    const courses = filter.courseId ? allCourses.filter((course) => course.id === filter.courseId) : allCourses;
    const courseIds = courses.map((course) => course.id);
    const members = (await users.getPeopleByIds(team.memberIds)).filter((person) => matches(person, filter.search));
    const shapes = await shapesOf(courses);
    const pageOf = (people: PersonSummary[]): PersonSummary[] => people.slice((filter.page - 1) * pageSize, filter.page * pageSize);
    // Shown by name with no state filter (the page trainers land on), the page's people are known before any
    // count, so one pass over the team's enrolments gives the cells, the column totals and the row totals.
    const byNameOnly = !filter.state && (filter.sort === 'name' || filter.sort === 'name-desc');
    const ordered = filter.sort === 'name-desc' ? [...members].reverse() : members;
    const [early, statuses] = await Promise.all([
      byNameOnly
        ? matrixFigures({ learnerIds: ordered.map((person) => person.id), pageLearnerIds: pageOf(ordered).map((person) => person.id), courseIds, shapes, withLearnerCounts: true })
        : undefined,
      deps.assignments.statusesForTeams([team.id]),
    ]);
    const learnerCounts = early ? early.byLearner : await countsByLearner(members.map((person) => person.id), courseIds);
    const counts = new Map(learnerCounts.map((row) => [row.learnerId, row]));
    const wanted = new Set(courseIds);
    const dueByKey = new Map(statuses.filter((status) => wanted.has(status.courseId)).map((status) => [`${status.learnerId}:${status.courseId}`, status]));
    // Where an assigned course's state differs from the enrolment's (overdue, expired, a completion recorded
    // elsewhere), the database's counts move from the enrolment's state to it. These moves are counted here:
    // the due rules run in the assignments service, not in a pipeline (see the report's notes).
    const baseState = (learnerId: string, courseId: string): CellState => {
      const row = counts.get(learnerId);
      if (row?.completedCourseIds.includes(courseId)) return 'completed';
      return row?.startedCourseIds.includes(courseId) ? 'in-progress' : 'not-started';
    };
    const shifts = new Map<string, Array<{ courseId: string; from: CellState; to: CellState }>>();
    for (const status of dueByKey.values()) {
      const from = baseState(status.learnerId, status.courseId);
      if (from === status.state) continue;
      const list = shifts.get(status.learnerId) ?? [];
      list.push({ courseId: status.courseId, from, to: status.state });
      shifts.set(status.learnerId, list);
    }
    const applyShift = (totals: Record<CellState, number>, shift: { from: CellState; to: CellState }): void => {
      totals[shift.from] -= 1;
      totals[shift.to] += 1;
    };
    const rowTotals = (personId: string): Record<CellState, number> => {
      const row = counts.get(personId);
      const started = row?.started ?? 0;
      const completed = row?.completed ?? 0;
      const totals = { ...zeroTotals(), 'not-started': courseIds.length - started, 'in-progress': started - completed, completed };
      for (const shift of shifts.get(personId) ?? []) applyShift(totals, shift);
      return totals;
    };
    let shown = members.filter((person) => !filter.state || rowTotals(person.id)[filter.state] > 0);
    const sortCourseId = filter.sort.startsWith('course:') ? filter.sort.slice('course:'.length) : undefined;

    // The page's cells, the column totals over everyone shown, and (sorting by a course) that column for everyone.
    const needsSortCells = sortCourseId !== undefined && courseIds.includes(sortCourseId);
    if (filter.sort === 'name-desc') shown = [...shown].reverse();
    if (filter.sort === 'completed' || filter.sort === 'completed-asc') {
      const direction = filter.sort === 'completed' ? -1 : 1;
      shown = [...shown].sort((a, b) => direction * (rowTotals(a.id).completed - rowTotals(b.id).completed) || a.name.localeCompare(b.name, 'en-GB'));
    }
    const learnerIds = shown.map((person) => person.id);
    let page = needsSortCells ? [] : pageOf(shown);
    let figures = early ?? await matrixFigures({ learnerIds, pageLearnerIds: page.map((person) => person.id), courseIds, shapes, sortCourseId: needsSortCells ? sortCourseId : undefined });
    if (needsSortCells) {
      const byLearner = new Map(figures.sortCells.map((cell) => [cell.learnerId, cell]));
      const rank = (person: PersonSummary): number => {
        const cell = cellOf(sortCourseId, byLearner.get(person.id), dueByKey.get(`${person.id}:${sortCourseId}`));
        return STATE_ORDER[cell.state] * 1000 + cell.percent;
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
      cells: courseIds.map((courseId) => cellOf(courseId, cellsByKey.get(`${person.id}:${courseId}`), dueByKey.get(`${person.id}:${courseId}`))),
      totals: rowTotals(person.id),
    }));
    const byCourse = new Map(figures.byCourse.map((row) => [row.courseId, row]));
    const overall = zeroTotals();
    const columnTotals = courseIds.map((courseId) => {
      const row = byCourse.get(courseId);
      const started = row?.started ?? 0;
      const completed = row?.completed ?? 0;
      const totals = { ...zeroTotals(), 'not-started': shown.length - started, 'in-progress': started - completed, completed };
      for (const person of shown) for (const shift of shifts.get(person.id) ?? []) if (shift.courseId === courseId) applyShift(totals, shift);
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
    await audit.recordAudit({
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
    const courses = await coursesService.listPublishedCourses();
    const figures = await learnerFigures(learnerId, await shapesOf(courses));
    const checkTitles = new Map<string, string>();
    for (const enrolment of figures.enrolments) {
      const content = await coursesService.getCourseVersion(enrolment.courseId, enrolment.version);
      for (const block of content ? allBlocks(content) : []) if (block.kind === 'check') checkTitles.set(`${enrolment.courseId}:${block.key}`, block.title);
    }
    return { person, figures, courses: new Map(courses.map((course) => [course.id, course])), checkTitles };
  }

  async function courseReport(viewer: SignedInUser, courseId: string): Promise<{ course: CourseSummary; figures: CourseFigures; questions: Map<string, { checkTitle: string; prompt: string }>; scope: 'all' | 'teams' }> {
    const course = await coursesService.getCourseById(courseId);
    if (!course || course.publishedVersion === null) throw new NotFound('There is no published course here.');
    let learnerIds: string[] | undefined;
    if (!isAdmin(viewer)) {
      const trained = await Promise.all((await teams.teamIdsTrainedBy(viewer.id)).map((id) => teams.getTeam(id)));
      learnerIds = [...new Set(trained.flatMap((team) => team.memberIds))];
    }
    // The questions of every published version (newest wins for the wording), with their right answers.
    const questions = new Map<string, { checkTitle: string; prompt: string }>();
    const answerKey = new Map<string, QuestionKey>();
    for (let version = 1; version <= course.publishedVersion; version += 1) {
      const content = await coursesService.getCourseVersion(course.id, version);
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
    return coursesService.listPublishedCourses();
  }

  return { teamsOverview, teamMatrix, exportMatrix, learnerReport, courseReport, reportableCourses };
}
