/**
 * Completion at a glance, for trainers (their teams) and admins (every team).
 *   GET /reports                          requireRole(trainer, admin)  the teams overview (where trainers land)
 *   GET /reports/teams/:teamId            requireRole(trainer, admin)  a team's people x courses matrix
 *   GET /reports/teams/:teamId/export.csv requireRole(trainer, admin)  the matrix as the filter shows it, CSV
 *   GET /reports/teams/:teamId/export.xlsx requireRole(trainer, admin)  the same as an Excel workbook
 *   GET /reports/learners/:learnerId      requireRole(trainer, admin)  one person's courses, checks, reflections
 *   GET /reports/courses/:courseId        requireRole(trainer, admin)  one course: completions over time, time taken, hard questions
 * The service checks that a trainer trains the team or the person's team.
 */
import express, { type Request } from 'express';
import { z } from 'zod';
import { Invalid, Unauthorized } from '../errors';
import type { SignedInUser } from '../people';
import { requireRole } from '../web/access';
import { toCsv, toXlsx } from './exports';
import type { Services } from '../services';
import { CELL_STATES, MATRIX_SORTS, type MatrixFilter, type MatrixSort } from './service';
import { courseReportHref, courseReportView, exportTable, learnerReportView, teamHref, teamMatrixView } from './views';

const id = z.string().regex(/^[0-9a-f]{24}$/i);
const sortValue = z.union([z.enum(MATRIX_SORTS), z.string().regex(/^course:[0-9a-f]{24}$/i)]);

/** Filters arrive from a GET form: a bad or empty value means "no filter", never an error page. */
const matrixQuery = z.object({
  q: z.string().trim().max(100).optional().catch(undefined),
  state: z.enum(CELL_STATES).optional().catch(undefined),
  course: id.optional().catch(undefined),
  sort: sortValue.optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
});

function viewerOf(req: Request): SignedInUser {
  if (!req.user) throw new Unauthorized();
  return req.user;
}

function param(req: Request, name: string): string {
  const parsed = id.safeParse(req.params[name]);
  if (!parsed.success) throw new Invalid({ [name]: 'This address is not valid' }, 'This address is not valid.');
  return parsed.data;
}

function filterOf(req: Request): MatrixFilter {
  const query = matrixQuery.parse(req.query);
  return { search: query.q || undefined, state: query.state, courseId: query.course, sort: (query.sort ?? 'name') as MatrixSort, page: query.page };
}

function fileName(teamName: string, extension: string): string {
  const safe = teamName.replace(/[^A-Za-z0-9 _-]/g, '').trim().replace(/\s+/g, '-').toLowerCase() || 'team';
  return `completion-${safe}-${new Date().toISOString().slice(0, 10)}.${extension}`;
}

export function reportsRouter({ reports }: Pick<Services, 'reports'>): express.Router {
  const router = express.Router();
  const guard = requireRole('trainer', 'admin');

  router.get('/', guard, async (req, res) => {
    const viewer = viewerOf(req);
    const [teams, courses] = await Promise.all([reports.teamsOverview(viewer), reports.reportableCourses()]);
    res.render('reports/overview', {
      title: 'Completion',
      teams: teams.map((team) => ({ name: team.name, href: teamHref(team.id), members: team.memberCount })),
      courses: courses.map((course) => ({ title: course.title, href: courseReportHref(course.id) })),
      isAdmin: viewer.roles.includes('admin'),
    });
  });

  router.get('/teams/:teamId', guard, async (req, res) => {
    const matrix = await reports.teamMatrix(viewerOf(req), param(req, 'teamId'), filterOf(req));
    res.render('reports/team', { title: `Completion: ${matrix.team.name}`, matrix: teamMatrixView(matrix), pageClass: 'main--wide' });
  });

  router.get('/teams/:teamId/export.csv', guard, async (req, res) => {
    const { page: _page, ...filter } = filterOf(req);
    const matrix = await reports.exportMatrix(viewerOf(req), param(req, 'teamId'), filter, 'csv', req.ip);
    res.attachment(fileName(matrix.team.name, 'csv')).type('text/csv; charset=utf-8').send(toCsv(exportTable(matrix)));
  });

  router.get('/teams/:teamId/export.xlsx', guard, async (req, res) => {
    const { page: _page, ...filter } = filterOf(req);
    const matrix = await reports.exportMatrix(viewerOf(req), param(req, 'teamId'), filter, 'xlsx', req.ip);
    res
      .attachment(fileName(matrix.team.name, 'xlsx'))
      .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .send(await toXlsx(exportTable(matrix), matrix.team.name));
  });

  router.get('/learners/:learnerId', guard, async (req, res) => {
    const report = learnerReportView(await reports.learnerReport(viewerOf(req), param(req, 'learnerId')));
    res.render('reports/learner', { title: `Courses: ${report.name}`, report, pageClass: 'main--wide' });
  });

  router.get('/courses/:courseId', guard, async (req, res) => {
    const report = courseReportView(await reports.courseReport(viewerOf(req), param(req, 'courseId')), new Date());
    res.render('reports/course', { title: `Course report: ${report.title}`, report, pageClass: 'main--wide' });
  });

  return router;
}
