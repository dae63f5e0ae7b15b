/**
 * Completion at a glance, through the app as a trainer, an admin, a learner and a co-facilitator would use it:
 * the matrix's figures equal counts worked out here from the enrolments (with the progress rules, not the
 * pipelines); exports hold exactly what the filter shows and are audited; access is limited to one's teams.
 */
import ExcelJS from 'exceljs';
import { parse as parseCsv } from 'csv-parse/sync';
import { Types } from 'mongoose';
import { AuditEvent } from '../../server/audit/model';
import { Enrolment, blockKeyOf, type EnrolmentRecord } from '../../server/learning/model';
import { progressOf } from '../../server/learning/progress';
import type { Learner, LessonAddress } from '../../server/learning/service';
import { importFixtureCourse, type FixtureCourse } from '../learning/support/fixture-course';
import type { SignedInUser } from '../../server/people';
import { createAssignment } from '../assignments/factories';
import { startTestApp, type TestAgent, type TestApp, type TestUser } from '../support/app';

/** The text of the page without tags, with spaces collapsed. */
function textOf(html: string): string {
  return html.replace(/<[^>]+>/g, ' ').replace(/&amp;/g, '&').replace(/&#39;/g, "'").replace(/\s+/g, ' ');
}

/** The cells of the matrix's body rows: person name -> cell texts (tags removed). */
function matrixRows(html: string): Map<string, string[]> {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html.slice(html.indexOf('class="table matrix"')))?.[1] ?? '';
  const rows = new Map<string, string[]>();
  for (const row of body.split('</tr>')) {
    const name = /<th scope="row"><a [^>]*>([^<]*)<\/a>/.exec(row)?.[1];
    if (!name) continue;
    const cells = [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((match) => textOf(match[1] ?? '').trim());
    rows.set(name, cells);
  }
  return rows;
}

describe('completion reports', () => {
  let t: TestApp;
  let course: FixtureCourse;
  let second: FixtureCourse;
  let trainer: { agent: TestAgent; user: TestUser };
  let otherTrainer: { agent: TestAgent; user: TestUser };
  let teamId: string;
  let otherTeamId: string;
  const members: TestUser[] = [];
  let outsider: TestUser;

  const asLearner = (user: TestUser): Learner => ({ id: user.id, name: user.name });
  /** The lesson a fixture block is in (its key is module/lesson/block). */
  const addressOf = (slug: string, blockKey: string): LessonAddress => {
    const [moduleKey = '', lessonKey = ''] = blockKey.split('/');
    return { slug, moduleKey, lessonKey };
  };

  async function finishCourse(user: TestUser, fixture: FixtureCourse): Promise<void> {
    const learner = asLearner(user);
    await t.services.learning.enrol(learner, fixture.slug);
    await t.services.learning.submitCheck(learner, addressOf(fixture.slug, fixture.checkKey), fixture.checkKey, await fixture.wrongAnswers());
    await t.services.learning.submitCheck(learner, addressOf(fixture.slug, fixture.checkKey), fixture.checkKey, await fixture.rightAnswers());
    for (const module of (await fixture.content()).modules) {
      for (const lesson of module.lessons) await t.services.learning.completeLessonReading(learner, fixture.slug, module.key, lesson.key);
    }
    await t.services.learning.saveReflection(learner, addressOf(fixture.slug, fixture.reflectionKey), fixture.reflectionKey, 'It went well.');
  }

  beforeAll(async () => {
    t = await startTestApp();
    course = await importFixtureCourse(t.services, 'report-course-a', 'Alpha course');
    second = await importFixtureCourse(t.services, 'report-course-b', 'Beta course');
    trainer = await t.signedInAgent({ roles: ['trainer'], name: 'Tara Trainer' });
    otherTrainer = await t.signedInAgent({ roles: ['trainer'], name: 'Olu Trainer' });
    const team = await t.services.teams.createTeam('Day service');
    const other = await t.services.teams.createTeam('Night service');
    teamId = team.id;
    otherTeamId = other.id;
    for (const name of ['Ada Brown', 'Ben Clarke', 'Cara Dunn', 'Dev Evans', 'Eve Fox']) members.push(await t.createUser({ name }));
    outsider = await t.createUser({ name: 'Omar Other' });
    await t.services.teams.addMembers(teamId, members.map((member) => member.id));
    await t.services.teams.addTrainers(teamId, [trainer.user.id]);
    await t.services.teams.addMembers(otherTeamId, [outsider.id]);
    await t.services.teams.addTrainers(otherTeamId, [otherTrainer.user.id]);

    const [ada, ben, cara, dev] = members as [TestUser, TestUser, TestUser, TestUser, TestUser];
    await finishCourse(ada, course);
    await t.services.learning.enrol(asLearner(ada), second.slug);
    await t.services.learning.enrol(asLearner(ben), course.slug);
    await t.services.learning.completeLessonReading(asLearner(ben), course.slug, 'basics', 'welcome');
    await t.services.learning.enrol(asLearner(cara), course.slug);
    await t.services.learning.submitCheck(asLearner(cara), addressOf(course.slug, course.checkKey), course.checkKey, await course.wrongAnswers());
    await finishCourse(dev, second);
    await finishCourse(outsider, course);
  }, 60_000);

  afterAll(async () => {
    await course.cleanUp();
    await second.cleanUp();
    await t.stop();
  });

  /** What the matrix should say, worked out here from the enrolments with the progress rules. */
  async function expectedCells(): Promise<Map<string, string[]>> {
    const expected = new Map<string, string[]>();
    const enrolments = await Enrolment.find({ learner: { $in: members.map((member) => new Types.ObjectId(member.id)) } }).lean<EnrolmentRecord[]>();
    for (const member of members) {
      const cells: string[] = [];
      for (const fixture of [course, second]) {
        const enrolment = enrolments.find((row) => String(row.learner) === member.id && String(row.course) === fixture.courseId);
        if (!enrolment) cells.push('Not started');
        else if (enrolment.completedAt) cells.push('Completed');
        else {
          const content = await t.services.courses.getCourseVersion(fixture.courseId, enrolment.version);
          if (!content) throw new Error('no content');
          const done = new Set(Object.keys(enrolment.blocks).map(blockKeyOf));
          cells.push(`In progress, ${progressOf(content, done).percent}%`);
        }
      }
      expected.set(member.name, cells);
    }
    return expected;
  }

  it('lands a trainer on the overview after signing in, listing only the teams they train', async () => {
    const agent = t.request();
    const page = await agent.get('/sign-in');
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    const user = await t.createUser({ roles: ['trainer'] });
    await t.services.teams.addTrainers(teamId, [user.id]);
    const signedIn = await agent.post('/sign-in').type('form').send({ _csrf: token, email: user.email, password: user.password });
    expect(signedIn.headers.location).toBe('/reports');
    const overview = await trainer.agent.get('/reports');
    expect(overview.status).toBe(200);
    expect(overview.text).toContain('Day service');
    expect(overview.text).not.toContain('Night service');
  });

  it('shows each person and course with the state and % worked out from the enrolments, and totals that add up', async () => {
    const page = await trainer.agent.get(`/reports/teams/${teamId}`);
    expect(page.status).toBe(200);
    const rows = matrixRows(page.text);
    const expected = await expectedCells();
    expect(rows.size).toBe(members.length);
    for (const [name, cells] of expected) {
      const shown = rows.get(name);
      expect(shown).toBeDefined();
      // Two course cells (Alpha, Beta: titles sort them), then the row totals: not started, in progress, completed,
      // overdue, expired (nothing is assigned yet, so none is overdue or expired).
      expect(shown?.slice(0, 2).map((cell) => cell.replace(/^[○◐✓] /, '').replace(/ (Started )?\d{1,2} \w{3} \d{4}$/, ''))).toEqual(cells);
      const counts = ['Not started', 'In progress', 'Completed', 'Overdue', 'Expired'].map((state) => String(cells.filter((cell) => cell.startsWith(state)).length));
      expect(shown?.slice(2)).toEqual(counts);
    }
    // Column totals: count here per course.
    const all = [...expected.values()];
    const footer = textOf(/<tfoot>([\s\S]*?)<\/tfoot>/.exec(page.text)?.[1] ?? '');
    for (const index of [0, 1]) {
      const column = all.map((cells) => cells[index] ?? '');
      const line = `Not started: ${column.filter((cell) => cell === 'Not started').length} In progress: ${column.filter((cell) => cell.startsWith('In progress')).length} Completed: ${column.filter((cell) => cell === 'Completed').length} Overdue: 0 Expired: 0`;
      expect(footer).toContain(line);
    }
    // The outsider (another team) is not in it.
    expect(page.text).not.toContain('Omar Other');
  });

  it('filters by state, by name and by course, and sorts', async () => {
    const inProgress = matrixRows((await trainer.agent.get(`/reports/teams/${teamId}?state=in-progress`)).text);
    expect([...inProgress.keys()].sort()).toEqual(['Ada Brown', 'Ben Clarke', 'Cara Dunn']);
    const named = matrixRows((await trainer.agent.get(`/reports/teams/${teamId}?q=dunn`)).text);
    expect([...named.keys()]).toEqual(['Cara Dunn']);
    const oneCourse = matrixRows((await trainer.agent.get(`/reports/teams/${teamId}?course=${second.courseId}&state=completed`)).text);
    expect([...oneCourse.keys()]).toEqual(['Dev Evans']);
    expect(oneCourse.get('Dev Evans')?.length).toBe(1 + 5);
    const byName = [...matrixRows((await trainer.agent.get(`/reports/teams/${teamId}?sort=name-desc`)).text).keys()];
    expect(byName).toEqual(members.map((member) => member.name).reverse());
    const byAlpha = [...matrixRows((await trainer.agent.get(`/reports/teams/${teamId}?sort=course:${course.courseId}`)).text).keys()];
    // Not started first (Dev, Eve), then in progress by % (Cara 0%? Ben), then completed (Ada).
    expect(byAlpha[0]).toMatch(/Dev Evans|Eve Fox/);
    expect(byAlpha.at(-1)).toBe('Ada Brown');
    // A bad filter value is ignored, not an error.
    expect((await trainer.agent.get(`/reports/teams/${teamId}?state=nonsense&sort=x`)).status).toBe(200);
  });

  it('exports exactly what the filter shows as CSV and XLSX, each recorded in the audit log', async () => {
    const filter = `state=in-progress&course=${course.courseId}`;
    const shown = matrixRows((await trainer.agent.get(`/reports/teams/${teamId}?${filter}`)).text);
    const csv = await trainer.agent.get(`/reports/teams/${teamId}/export.csv?${filter}`).buffer(true);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const records = parseCsv(csv.text.replace(/^\uFEFF/, '')) as string[][];
    expect(records[0]).toEqual(['Name', 'Email', 'Alpha course', 'Not started (count)', 'In progress (count)', 'Completed (count)', 'Overdue (count)', 'Expired (count)']);
    const people = records.slice(1).filter((row) => !String(row[0]).startsWith('Total'));
    expect(people.map((row) => row[0]).sort()).toEqual([...shown.keys()].sort());
    for (const row of people) expect(row[2]).toMatch(/^In progress, \d+%$/);

    const xlsx = await trainer.agent
      .get(`/reports/teams/${teamId}/export.xlsx?${filter}`)
      .buffer(true)
      .parse((response, callback) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => callback(null, Buffer.concat(chunks)));
      });
    expect(xlsx.status).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(xlsx.body as ArrayBuffer);
    const sheet = workbook.worksheets[0];
    const sheetRows: string[][] = [];
    sheet?.eachRow((row) => sheetRows.push((row.values as unknown[]).slice(1).map(String)));
    expect(sheetRows).toEqual(records);

    const events = await AuditEvent.find({ action: 'report.exported', actorId: new Types.ObjectId(trainer.user.id) }).lean();
    expect(events.map((event) => (event.details as { format: string }).format).sort()).toEqual(['csv', 'xlsx']);
    expect((events[0]?.details as { rows: number }).rows).toBe(shown.size);
  });

  it('shows one learner: courses, versions, check attempts and scores, and a link to their reflections', async () => {
    const ada = members[0] as TestUser;
    const page = await trainer.agent.get(`/reports/learners/${ada.id}`);
    expect(page.status).toBe(200);
    const text = textOf(page.text);
    expect(text).toContain('Alpha course');
    expect(text).toContain('Version 1');
    // Two attempts at the check: the first wrong (0 of 3), then right (3 of 3).
    expect(text).toMatch(/Check what you know 2 0 of 3 3 of 3 Passed/);
    expect(page.text).toContain(`/learners/${ada.id}/courses/report-course-a/reflections`);
  });

  it('reports a course: completions, time taken as charts with their tables, and questions wrong at the first attempt', async () => {
    const page = await trainer.agent.get(`/reports/courses/${course.courseId}`);
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<svg[^>]+role="img"[^>]+aria-labelledby="completions-chart-title completions-chart-desc"/);
    expect(page.text).toContain('<title id="completions-chart-title">');
    const text = textOf(page.text);
    // In the trainer's team: Ada finished; Ben and Cara are part-way (the outsider's completion is not counted).
    expect(text).toContain('Started 3');
    expect(text).toContain('Completed 1');
    // Ada and Cara both got every question wrong at their first attempt: 2 of 2.
    expect(text).toMatch(/Which colour is the sky on a clear day\? Check what you know 2 2 100%/);
    const admin = await t.signedInAgent({ roles: ['admin'] });
    const everyone = textOf((await admin.agent.get(`/reports/courses/${course.courseId}`)).text);
    expect(everyone).toContain('Completed 2');
  });

  it('refuses other teams and their people to a trainer, and everything to learners and co-facilitators', async () => {
    expect((await otherTrainer.agent.get(`/reports/teams/${teamId}`)).status).toBe(403);
    expect((await otherTrainer.agent.get(`/reports/teams/${teamId}/export.csv`)).status).toBe(403);
    expect((await otherTrainer.agent.get(`/reports/learners/${(members[0] as TestUser).id}`)).status).toBe(403);
    expect((await trainer.agent.get(`/reports/learners/${outsider.id}`)).status).toBe(403);
    for (const role of ['learner', 'co-facilitator'] as const) {
      const { agent } = await t.signedInAgent({ roles: [role] });
      for (const path of ['/reports', `/reports/teams/${teamId}`, `/reports/teams/${teamId}/export.xlsx`, `/reports/learners/${(members[0] as TestUser).id}`, `/reports/courses/${course.courseId}`]) {
        expect((await agent.get(path)).status).toBe(403);
      }
    }
    const admin = await t.signedInAgent({ roles: ['admin'] });
    expect((await admin.agent.get(`/reports/teams/${otherTeamId}`)).status).toBe(200);
  });

  it('shows assigned courses as overdue, expired, or completed elsewhere, and counts them in the totals', async () => {
    const today = new Date();
    const day = 86_400_000;
    await createAssignment({ courseId: second.courseId, teamId, dueAt: new Date(today.getTime() + 10 * day), recertifyMonths: 1 });
    t.setNow(new Date(today.getTime() + 45 * day));
    try {
      const eve = members[4] as TestUser;
      const actor: SignedInUser = { id: trainer.user.id, name: trainer.user.name, email: trainer.user.email, roles: ['trainer'], preferences: {} as SignedInUser['preferences'], sessionVersion: 0 };
      await t.services.assignments.recordCompletion(actor, { learnerId: eve.id, courseId: second.courseId, completedAt: new Date(today.getTime() + 40 * day), reason: 'Finished it at the college' });
      const page = await trainer.agent.get(`/reports/teams/${teamId}?course=${second.courseId}`);
      const rows = matrixRows(page.text);
      expect(rows.get('Ada Brown')?.[0]).toMatch(/^! Overdue, \d+% done Was due/);
      expect(rows.get('Ben Clarke')?.[0]).toMatch(/^! Overdue Was due/);
      expect(rows.get('Dev Evans')?.[0]).toMatch(/^✕ Expired Expired/);
      expect(rows.get('Eve Fox')?.[0]).toMatch(/^✓ Completed \(recorded elsewhere\)/);
      const footer = textOf(/<tfoot>([\s\S]*?)<\/tfoot>/.exec(page.text)?.[1] ?? '');
      expect(footer).toContain('Not started: 0 In progress: 0 Completed: 1 Overdue: 3 Expired: 1');
      expect([...matrixRows((await trainer.agent.get(`/reports/teams/${teamId}?state=overdue`)).text).keys()].sort()).toEqual(['Ada Brown', 'Ben Clarke', 'Cara Dunn']);
      const csv = parseCsv((await trainer.agent.get(`/reports/teams/${teamId}/export.csv?state=expired`).buffer(true)).text.replace(/^\uFEFF/, '')) as string[][];
      expect(csv.slice(1).filter((row) => !String(row[0]).startsWith('Total')).map((row) => row[0])).toEqual(['Dev Evans']);
    } finally {
      t.setNow(null);
    }
  });
});
