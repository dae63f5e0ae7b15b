/**
 * View models for the reports pages and the rows of their exports: plain objects with exactly what is shown,
 * already worded and formatted. Every cell carries a word (and a symbol), so colour never carries meaning alone.
 */
import type { CourseSummary } from '../courses/service';
import type { CourseFigures, LearnerFigures } from '../learning/figures';
import { DAYS_TAKEN_EDGES } from '../learning/figures';
import type { PersonSummary } from '../users/service';
import { barChart, type BarChartView } from './charts';
import { CELL_STATES, MATRIX_SORTS, type CellState, type MatrixCell, type MatrixFilter, type TeamMatrix } from './service';

export const STATE_LABELS: Readonly<Record<CellState, string>> = {
  'not-started': 'Not started',
  'in-progress': 'In progress',
  completed: 'Completed',
  overdue: 'Overdue',
  expired: 'Expired',
};

/** A symbol beside each word (hidden from screen readers, which read the word). */
const STATE_SYMBOLS: Readonly<Record<CellState, string>> = { 'not-started': '○', 'in-progress': '◐', completed: '✓', overdue: '!', expired: '✕' };

const SORT_LABELS: Readonly<Record<(typeof MATRIX_SORTS)[number], string>> = {
  name: 'Name, A to Z',
  'name-desc': 'Name, Z to A',
  completed: 'Most courses completed first',
  'completed-asc': 'Fewest courses completed first',
};

/** One formatter for every date (toLocaleDateString builds a new one per call: ~70 ms of a 1,000-cell matrix). */
const DAY_FORMAT = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

export function formatDay(date: Date): string {
  return DAY_FORMAT.format(date);
}

/** A date as the export writes it (ISO day, sorts as text). */
function isoDay(date: Date | null): string {
  return date ? date.toISOString().slice(0, 10) : '';
}

/** The words of a cell on the page: the state (with % when started, "recorded" when done elsewhere). */
function cellWords(cell: MatrixCell): string {
  const label = STATE_LABELS[cell.state];
  if (cell.state === 'in-progress') return `${label}, ${cell.percent}%`;
  if (cell.state === 'overdue' && cell.startedAt) return `${label}, ${cell.percent}% done`;
  if (cell.state === 'completed' && cell.recorded) return `${label} (recorded elsewhere)`;
  return label;
}

/** The dates under a cell's words: finished, expired, due or started. */
function cellDetail(cell: MatrixCell): string {
  switch (cell.state) {
    case 'completed':
      return cell.completedAt ? formatDay(cell.completedAt) : '';
    case 'expired':
      return cell.expiresAt ? `Expired ${formatDay(cell.expiresAt)}` : '';
    case 'overdue':
      return cell.dueAt ? `Was due ${formatDay(cell.dueAt)}` : '';
    default:
      if (cell.dueAt) return `Due ${formatDay(cell.dueAt)}`;
      return cell.startedAt ? `Started ${formatDay(cell.startedAt)}` : '';
  }
}

/** A cell as the export writes it: the words, then the dates as ISO days. */
export function cellText(cell: MatrixCell): string {
  const words = cellWords(cell);
  if (cell.state === 'completed' && cell.completedAt) return `${words} ${isoDay(cell.completedAt)}`;
  if (cell.state === 'expired' && cell.expiresAt) return `${words} ${isoDay(cell.expiresAt)}`;
  if (cell.dueAt && cell.state !== 'completed') return `${words}, due ${isoDay(cell.dueAt)}`;
  return words;
}

export function learnerHref(learnerId: string): string {
  return `/reports/learners/${encodeURIComponent(learnerId)}`;
}

export function courseReportHref(courseId: string): string {
  return `/reports/courses/${encodeURIComponent(courseId)}`;
}

export function teamHref(teamId: string): string {
  return `/reports/teams/${encodeURIComponent(teamId)}`;
}

/** The filter as query parameters (page links, sort links and export links keep it). */
export function filterQuery(filter: Omit<MatrixFilter, 'page'> & { page?: number }): Record<string, string> {
  const query: Record<string, string> = {};
  if (filter.search) query.q = filter.search;
  if (filter.state) query.state = filter.state;
  if (filter.courseId) query.course = filter.courseId;
  if (filter.sort !== 'name') query.sort = filter.sort;
  if (filter.page && filter.page > 1) query.page = String(filter.page);
  return query;
}

function withQuery(path: string, query: Record<string, string>): string {
  const search = new URLSearchParams(query).toString();
  return search ? `${path}?${search}` : path;
}

export function teamMatrixView(matrix: TeamMatrix) {
  const base = teamHref(matrix.team.id);
  const query = filterQuery({ ...matrix.filter, page: undefined });
  const courseTitle = new Map(matrix.courses.map((course) => [course.id, course.title]));
  const sortLinkFor = (courseId: string): { href: string; current: boolean } => {
    const sort = `course:${courseId}` as const;
    return { href: withQuery(base, { ...query, sort }), current: matrix.filter.sort === sort };
  };
  return {
    team: matrix.team,
    caption: `${matrix.team.name}: ${matrix.peopleShown.toLocaleString('en-GB')} of ${matrix.memberCount.toLocaleString('en-GB')} people, ${matrix.courses.length} ${matrix.courses.length === 1 ? 'course' : 'courses'}`,
    filterAction: base,
    values: { q: matrix.filter.search ?? '', state: matrix.filter.state ?? '', course: matrix.filter.courseId ?? '', sort: matrix.filter.sort },
    stateOptions: CELL_STATES.map((state) => ({ value: state, text: STATE_LABELS[state] })),
    courseOptions: matrix.allCourses.map((course) => ({ value: course.id, text: course.title })),
    sortOptions: [
      ...MATRIX_SORTS.map((sort) => ({ value: sort, text: SORT_LABELS[sort] })),
      ...matrix.courses.map((course) => ({ value: `course:${course.id}`, text: `By ${course.title}: not started first` })),
    ],
    columns: matrix.courses.map((course) => ({ id: course.id, title: course.title, reportHref: courseReportHref(course.id), sort: sortLinkFor(course.id) })),
    rows: matrix.rows.map((row) => ({
      name: row.person.name || row.person.email,
      href: learnerHref(row.person.id),
      cells: row.cells.map((cell) => ({
        state: cell.state,
        symbol: STATE_SYMBOLS[cell.state],
        text: cellWords(cell),
        detail: cellDetail(cell),
        courseTitle: courseTitle.get(cell.courseId) ?? '',
      })),
      totals: CELL_STATES.map((state) => ({ state, value: row.totals[state] })),
    })),
    columnTotals: matrix.columnTotals.map((column) => CELL_STATES.map((state) => ({ state, label: STATE_LABELS[state], value: column.totals[state] }))),
    overall: CELL_STATES.map((state) => ({ state, label: STATE_LABELS[state], symbol: STATE_SYMBOLS[state], value: matrix.overall[state] })),
    stateHeadings: CELL_STATES.map((state) => ({ state, label: STATE_LABELS[state], symbol: STATE_SYMBOLS[state] })),
    pagination: { page: matrix.page, pageCount: matrix.pageCount, path: base, query },
    exports: { csv: withQuery(`${base}/export.csv`, query), xlsx: withQuery(`${base}/export.xlsx`, query) },
    empty: matrix.rows.length === 0,
    noCourses: matrix.courses.length === 0,
  };
}

/** The rows of an export: a header, one row per person, then the totals, exactly as the matrix shows them. */
export function exportTable(matrix: TeamMatrix): string[][] {
  const header = ['Name', 'Email', ...matrix.courses.map((course) => course.title), ...CELL_STATES.map((state) => `${STATE_LABELS[state]} (count)`)];
  const rows = matrix.rows.map((row) => [
    row.person.name,
    row.person.email,
    ...row.cells.map(cellText),
    ...CELL_STATES.map((state) => String(row.totals[state])),
  ]);
  const totals = CELL_STATES.map((state) => [
    `Total ${STATE_LABELS[state].toLowerCase()}`,
    '',
    ...matrix.columnTotals.map((column) => String(column.totals[state])),
    ...CELL_STATES.map((other) => (other === state ? String(matrix.overall[state]) : '')),
  ]);
  return [header, ...rows, ...totals];
}

export function learnerReportView(input: { person: PersonSummary; figures: LearnerFigures; courses: Map<string, CourseSummary>; checkTitles: Map<string, string> }) {
  const { person, figures, courses, checkTitles } = input;
  const enrolments = [...figures.enrolments].sort((a, b) => (courses.get(a.courseId)?.title ?? a.courseSlug).localeCompare(courses.get(b.courseId)?.title ?? b.courseSlug, 'en-GB'));
  return {
    name: person.name || person.email,
    email: person.email,
    courses: enrolments.map((enrolment) => {
      const course = courses.get(enrolment.courseId);
      const state: CellState = enrolment.completedAt ? 'completed' : 'in-progress';
      return {
        title: course?.title ?? enrolment.courseSlug,
        reportHref: courseReportHref(enrolment.courseId),
        state,
        symbol: STATE_SYMBOLS[state],
        stateText: state === 'in-progress' ? `${STATE_LABELS[state]}, ${enrolment.percent}%` : STATE_LABELS[state],
        started: formatDay(enrolment.startedAt),
        completed: enrolment.completedAt ? formatDay(enrolment.completedAt) : 'Not yet',
        version: `Version ${enrolment.version}`,
        reflectionsHref: enrolment.hasReflections ? `/learners/${encodeURIComponent(person.id)}/courses/${encodeURIComponent(enrolment.courseSlug)}/reflections` : null,
        checks: figures.checks
          .filter((check) => check.courseId === enrolment.courseId)
          .map((check) => ({
            title: checkTitles.get(`${check.courseId}:${check.blockKey}`) ?? check.blockKey,
            attempts: check.attempts,
            first: `${check.firstScore} of ${check.total}`,
            best: `${check.bestScore} of ${check.total}`,
            result: check.passed ? 'Passed' : 'Not passed yet',
            last: formatDay(check.lastAt),
          }))
          .sort((a, b) => a.title.localeCompare(b.title, 'en-GB')),
      };
    }),
  };
}

const monthFormat = new Intl.DateTimeFormat('en-GB', { month: 'short', year: 'numeric', timeZone: 'UTC' });

/** The last `months` calendar months up to `now`, oldest first, each with its completions (0 when none). */
function lastMonths(byMonth: CourseFigures['completionsByMonth'], now: Date, months: number): { label: string; value: number }[] {
  const counts = new Map(byMonth.map((row) => [`${row.month.getUTCFullYear()}-${row.month.getUTCMonth()}`, row.count]));
  const out: { label: string; value: number }[] = [];
  for (let back = months - 1; back >= 0; back -= 1) {
    const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1));
    out.push({ label: monthFormat.format(month), value: counts.get(`${month.getUTCFullYear()}-${month.getUTCMonth()}`) ?? 0 });
  }
  return out;
}

/** A bar's short label under the time-taken chart (the table beside it has the full words). */
function daysShortLabel(fromDays: number, index: number): string {
  const next = DAYS_TAKEN_EDGES[index + 1];
  if (fromDays === 0) return 'under 1';
  return next === undefined ? `${fromDays}+` : `${fromDays}\u2013${next - 1}`;
}

function daysLabel(fromDays: number, index: number): string {
  const next = DAYS_TAKEN_EDGES[index + 1];
  if (fromDays === 0) return 'Under 1 day';
  return next === undefined ? `${fromDays} days or more` : `${fromDays} to ${next - 1} days`;
}

function formatDays(days: number | null): string {
  if (days === null) return 'No one has finished yet';
  if (days < 1) return 'Under a day';
  const rounded = Math.round(days);
  return `${rounded} ${rounded === 1 ? 'day' : 'days'}`;
}

export function courseReportView(input: { course: CourseSummary; figures: CourseFigures; questions: Map<string, { checkTitle: string; prompt: string }>; scope: 'all' | 'teams' }, now: Date) {
  const { course, figures, questions, scope } = input;
  const months = lastMonths(figures.completionsByMonth, now, 12);
  const taken = new Map(figures.daysTaken.map((row) => [row.fromDays, row.count]));
  const buckets = DAYS_TAKEN_EDGES.map((edge, index) => ({ label: daysLabel(edge, index), shortLabel: daysShortLabel(edge, index), value: taken.get(edge) ?? 0 }));
  const completionChart: BarChartView = barChart({
    id: 'completions-chart',
    title: `Completions of ${course.title} per month`,
    description: `How many people finished the course in each of the last 12 months. ${months.reduce((sum, month) => sum + month.value, 0)} in all. The same figures are in the table beside the chart.`,
    bars: months.map((month) => ({ label: month.label.replace(' ', '\u00a0'), value: month.value })),
    unit: 'people',
    barsCaption: 'month',
  });
  const takenChart: BarChartView = barChart({
    id: 'time-taken-chart',
    title: `Time taken to finish ${course.title}`,
    description: 'How many people took each length of time from starting to finishing. The same figures are in the table beside the chart.',
    bars: buckets.map((bucket) => ({ label: bucket.shortLabel, value: bucket.value })),
    unit: 'people',
    barsCaption: 'days from starting to finishing',
  });
  return {
    title: course.title,
    scopeText: scope === 'all' ? 'Everyone in the organisation.' : 'The people in the teams you train.',
    summary: [
      { label: 'Started', value: figures.started.toLocaleString('en-GB') },
      { label: 'Completed', value: figures.completed.toLocaleString('en-GB') },
      { label: 'In progress', value: (figures.started - figures.completed).toLocaleString('en-GB') },
      { label: 'Typical time to finish (median)', value: formatDays(figures.medianDays) },
      { label: 'Average time to finish (mean)', value: formatDays(figures.meanDays) },
    ],
    completionChart,
    completionTable: months,
    takenChart,
    takenTable: buckets,
    questions: figures.questions
      .filter((question) => question.wrong > 0)
      .slice(0, 10)
      .map((question) => {
        const described = questions.get(`${question.blockKey}\u0000${question.questionKey}`);
        return {
          check: described?.checkTitle ?? question.blockKey,
          prompt: described?.prompt ?? question.questionKey,
          wrong: question.wrong,
          firstAttempts: question.firstAttempts,
          share: `${Math.round((question.wrong / Math.max(1, question.firstAttempts)) * 100)}%`,
        };
      }),
  };
}
