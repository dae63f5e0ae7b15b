/**
 * Route tests with fake services and no database: buildApp takes its services from the composition root, so a
 * test can hand it small fakes and check what the routes do with what the services answer (here: signing in,
 * the dashboard, the public certificate check). The integration tests keep running on the real engine.
 */
import session from 'express-session';
import supertest from 'supertest';
import { buildApp } from '../../server/app';
import { loadConfig } from '../../server/config';
import type { DashboardView } from '../../server/learning/dashboard-page';
import type { SignedInUser } from '../../server/people';
import type { Services } from '../../server/services';
import { createLogger } from '../../server/web/logging';
import { csrfFrom } from '../support/app';

const learner: SignedInUser = {
  id: '0123456789abcdef01234567',
  name: 'Fay Fake',
  email: 'fay@example.org',
  roles: ['learner'],
  preferences: { textSize: 'standard', theme: 'standard', reducedMotion: false, readableFont: false, captionsOff: false },
  sessionVersion: 0,
};

const dashboard: DashboardView = {
  notes: [],
  assigned: [
    {
      title: 'A course only the fake knows',
      overviewHref: '/courses/fake-course',
      continueHref: '/courses/fake-course',
      startAction: '/courses/fake-course/start',
      progress: null,
      due: { label: 'Due 1 January 2027', overdue: false },
      newerVersion: false,
    },
  ],
  inProgress: [],
  completed: [],
  empty: false,
};

function fakeApp() {
  const calls: string[] = [];
  const sessionStore = Object.assign(new session.MemoryStore(), { forget: () => undefined, forgetAll: () => undefined });
  // Only what these routes use; anything else a route reached for would fail loudly as "not a function".
  const services = {
    sessionStore,
    auth: {
      authenticate: async (email: string) => {
        calls.push(`authenticate ${email}`);
        return email === learner.email ? { ok: true as const, user: learner } : { ok: false as const, reason: 'wrong-details' as const };
      },
    },
    users: { findSignedInUser: async (id: string) => (id === learner.id ? learner : undefined) },
    // The dashboard route hands the learner's assigned courses (none here) to the pages service.
    assignments: { statusesForLearner: async () => [] },
    learnerPages: {
      dashboardFor: async (who: { id: string }) => {
        calls.push(`dashboard ${who.id}`);
        return dashboard;
      },
    },
    certificates: {
      verifyCertificate: async (code: string) =>
        code === 'ABCD-EFGH-JKMN' ? { learnerName: 'Fay Fake', courseTitle: 'Fake course', version: 2, completedAt: new Date('2026-11-02T10:00:00Z') } : null,
    },
  } as unknown as Services;
  const config = loadConfig({ NODE_ENV: 'test', SESSION_SECRET: 'fake-services-secret-that-is-long-enough', LOG_LEVEL: 'silent', DATA_DIR: '/nonexistent' });
  return { app: buildApp({ config, logger: createLogger('silent'), services }), calls };
}

describe('the app on fake services', () => {
  test('signs in through the auth service and shows the dashboard the learning pages service built', async () => {
    const { app, calls } = fakeApp();
    const agent = supertest.agent(app);
    const form = await agent.get('/sign-in');
    const signedIn = await agent.post('/sign-in').type('form').send({ _csrf: csrfFrom(form.text), email: learner.email, password: 'any password' });
    expect(signedIn.status).toBe(303);
    const page = await agent.get('/dashboard');
    expect(page.status).toBe(200);
    expect(page.text).toContain('A course only the fake knows');
    expect(page.text).toContain('Due 1 January 2027');
    expect(calls).toEqual([`authenticate ${learner.email}`, `dashboard ${learner.id}`]);
  });

  test('refuses a wrong sign-in as the auth service answers', async () => {
    const { app } = fakeApp();
    const agent = supertest.agent(app);
    const form = await agent.get('/sign-in');
    const refused = await agent.post('/sign-in').type('form').send({ _csrf: csrfFrom(form.text), email: 'someone@example.org', password: 'any password' });
    expect(refused.status).toBe(401);
    expect((await agent.get('/dashboard').set('Accept', 'text/html')).status).toBe(303);
  });

  test('confirms a certificate, and answers 404 for a code the service does not know', async () => {
    const { app } = fakeApp();
    const found = await supertest(app).get('/certificates/verify/ABCD-EFGH-JKMN');
    expect(found.status).toBe(200);
    expect(found.text).toContain('Fay Fake');
    expect(found.text).toContain('Fake course');
    expect((await supertest(app).get('/certificates/verify/ZZZZ-ZZZZ-ZZZZ')).status).toBe(404);
  });
});
