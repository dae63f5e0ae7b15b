/**
 * Walks EVERY route registered in the app (read from Express's router stack, so new routes are covered without
 * touching this file) and proves the guard each one declares is enforced: anonymous people get 401 or a redirect
 * to sign-in, and people without the needed role get 403, never the page or the data.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ROLES, type Role } from '../../server/people';
import { describeRouteTable, effectiveAccess, listRoutes, type RouteEntry } from '../../server/web/route-table';
import { csrfFrom, startTestApp, type TestAgent, type TestApp } from '../support/app';

const SAMPLE_ID = '0123456789abcdef01234567';

/** A concrete URL for a route pattern: parameters become a well-formed id that matches nothing. */
function samplePath(pattern: string): string {
  return pattern
    .replace(/\{[^}]*\}/g, '')
    .replace(/:[A-Za-z0-9_]+/g, SAMPLE_ID)
    .replace(/\*[A-Za-z0-9_]+/g, 'sample');
}

function describeRoute(route: RouteEntry): string {
  return `${route.method} ${route.path}`;
}

describe('access to every route', () => {
  let t: TestApp;
  let routes: RouteEntry[];
  const agents = new Map<Role | 'anonymous', { agent: TestAgent; token: string }>();

  beforeAll(async () => {
    t = await startTestApp();
    routes = listRoutes(t.app);
    const anonymous = t.request();
    agents.set('anonymous', { agent: anonymous, token: csrfFrom((await anonymous.get('/sign-in')).text) });
    for (const role of ROLES) {
      const { agent } = await t.signedInAgent({ roles: [role] });
      agents.set(role, { agent, token: csrfFrom((await agent.get('/preferences')).text) });
    }
  });

  afterAll(async () => {
    await t.stop();
  });

  function send(role: Role | 'anonymous', route: RouteEntry, accept: string) {
    const entry = agents.get(role);
    if (!entry) throw new Error(`no agent for ${role}`);
    const url = samplePath(route.path);
    const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete' | 'head';
    const request = entry.agent[method](url).set('Accept', accept).redirects(0);
    return method === 'get' || method === 'head' ? request : request.set('x-csrf-token', entry.token).type('form').send({ _csrf: entry.token });
  }

  it('finds the routes of the app, the foundation ones among them, and writes the table for people to read', async () => {
    const names = routes.map(describeRoute);
    expect(names).toEqual(expect.arrayContaining(['POST /sign-in', 'GET /admin/people', 'GET /admin/audit', 'GET /healthz']));
    // Who may open what, at a glance: test/artifacts/route-table.txt (git-ignored).
    const artifacts = path.resolve(__dirname, '..', 'artifacts');
    await mkdir(artifacts, { recursive: true });
    await writeFile(path.join(artifacts, 'route-table.txt'), `${describeRouteTable(t.app)}\n`);
  });

  it('has a guard on every route, running before anything else', () => {
    const unguarded = routes.filter((route) => effectiveAccess(route.guards).kind === 'none').map(describeRoute);
    const guardNotFirst = routes.filter((route) => !route.guardedFirst).map(describeRoute);
    expect(unguarded).toEqual([]);
    expect(guardNotFirst).toEqual([]);
  });

  it('sends anonymous people to sign in (pages) or answers 401 (JSON and form posts)', async () => {
    const leaks: string[] = [];
    for (const route of routes.filter((entry) => effectiveAccess(entry.guards).kind !== 'public')) {
      const page = await send('anonymous', route, 'text/html');
      const okForPage = route.method === 'GET' ? page.status === 303 && String(page.headers.location).startsWith('/sign-in') : page.status === 401;
      if (!okForPage) leaks.push(`${describeRoute(route)} (page) answered ${page.status}`);
      const json = await send('anonymous', route, 'application/json');
      if (json.status !== 401) leaks.push(`${describeRoute(route)} (JSON) answered ${json.status}`);
    }
    expect(leaks).toEqual([]);
  });

  it('refuses people whose roles are not enough with 403', async () => {
    const leaks: string[] = [];
    let checked = 0;
    for (const route of routes) {
      const access = effectiveAccess(route.guards);
      if (access.kind !== 'roles') continue;
      for (const role of ROLES.filter((candidate) => !access.roles.includes(candidate))) {
        checked += 1;
        const page = await send(role, route, 'text/html');
        if (page.status !== 403) leaks.push(`${describeRoute(route)} as ${role} answered ${page.status}`);
        const json = await send(role, route, 'application/json');
        if (json.status !== 403) leaks.push(`${describeRoute(route)} as ${role} (JSON) answered ${json.status}`);
      }
    }
    expect(leaks).toEqual([]);
    expect(checked).toBeGreaterThan(10);
  });
});
