/**
 * Access taken away holds on every app process within a second (server/sessions/feed.ts): the embedded engine
 * on its own (as `npm run db` runs it) and two app processes on it (as `npm start` runs them with MONGODB_URI),
 * each remembering sessions and people for a few seconds. Sign in on one, change access on the other, and the
 * next requests on the first are refused within the bound: polled, never a fixed sleep.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ENGINE_LISTENING, ENGINE_SCRIPT, MAIN_SCRIPT, Processes, waitFor, type Running } from '../support/processes';

/** The bound the app promises (README, "Several app processes"). */
const REVOCATION_BOUND_MS = 1_000;
const DEMO_PASSWORD = 'demo-password-for-revocation';
// Three real processes (TypeScript through tsx, the course import) on a shared 2-core machine.
jest.setTimeout(180_000);

const processes = new Processes();

/** A browser's cookie jar for one site, with fetch. */
class Visitor {
  private readonly cookies = new Map<string, string>();

  constructor(private base: string) {}

  /** The same visitor (same cookies) on another app process. */
  on(base: string): Visitor {
    const copy = new Visitor(base);
    for (const [name, value] of this.cookies) copy.cookies.set(name, value);
    return copy;
  }

  async get(pathname: string): Promise<{ status: number; text: string }> {
    const response = await fetch(`${this.base}${pathname}`, { redirect: 'manual', headers: { Cookie: this.cookieHeader(), Accept: 'text/html' } });
    this.keep(response);
    return { status: response.status, text: await response.text() };
  }

  /** Posts a form, with the _csrf of `formPage` (as a browser would have it). */
  async post(pathname: string, fields: Record<string, string>, formPage = pathname): Promise<number> {
    const page = await this.get(formPage);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
    if (!token) throw new Error(`no form on ${formPage} (status ${page.status})`);
    const response = await fetch(`${this.base}${pathname}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { Cookie: this.cookieHeader(), 'Content-Type': 'application/x-www-form-urlencoded', Origin: this.base },
      body: new URLSearchParams({ _csrf: token, ...fields }),
    });
    this.keep(response);
    await response.arrayBuffer();
    return response.status;
  }

  async signIn(email: string): Promise<void> {
    const status = await this.post('/sign-in', { email, password: DEMO_PASSWORD });
    if (status !== 303) throw new Error(`sign-in as ${email} answered ${status}`);
  }

  async signedIn(): Promise<boolean> {
    return (await this.get('/preferences')).text.includes('Signed in as');
  }

  private cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private keep(response: Response): void {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const split = pair.indexOf('=');
      const name = pair.slice(0, split);
      const value = pair.slice(split + 1);
      if (value === '' || /Expires=Thu, 01 Jan 1970/i.test(cookie)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

/** Polls `check` until it is true; returns how long that took, failing past `limitMs` (with a margin to see it). */
async function millisecondsUntil(check: () => Promise<boolean>, limitMs: number): Promise<number> {
  const began = performance.now();
  for (;;) {
    if (await check()) return performance.now() - began;
    if (performance.now() - began > limitMs * 3) throw new Error(`still not so after ${limitMs * 3} ms`);
  }
}

describe('access taken away on one app process holds on the others within a second', () => {
  let dataDir: string;
  let engine: Running;
  let first: Running;
  let second: Running;
  let firstUrl: string;
  let secondUrl: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'coproduce-revocation-'));
    engine = processes.start([ENGINE_SCRIPT, '--port', '0'], {});
    const [, uri] = await waitFor(engine, ENGINE_LISTENING);
    const appEnv = {
      MONGODB_URI: `${uri}coproduce`,
      PORT: '0',
      DATA_DIR: dataDir,
      DEMO_PASSWORD,
      SESSION_SECRET: 'a-session-secret-shared-by-both-processes',
    };
    // One after the other: the first seeds the demo accounts and imports the courses.
    first = processes.start([MAIN_SCRIPT], appEnv);
    [, firstUrl = ''] = await waitFor(first, /running at (http:\/\/127\.0\.0\.1:\d+)/);
    second = processes.start([MAIN_SCRIPT], appEnv);
    [, secondUrl = ''] = await waitFor(second, /running at (http:\/\/127\.0\.0\.1:\d+)/);
  });

  afterAll(async () => {
    await processes.stopAll();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function personId(admin: Visitor, email: string): Promise<string> {
    const page = await admin.get(`/admin/people?q=${encodeURIComponent(email)}`);
    const id = /href="\/admin\/people\/([a-f0-9]{24})"/.exec(page.text)?.[1];
    if (!id) throw new Error(`${email} not found on the people page`);
    return id;
  }

  it('turning an account off on one process signs its person out on the other, for good', async () => {
    const learner = new Visitor(firstUrl);
    await learner.signIn('learner@example.org');
    // Read twice: the first process now remembers the session and the person.
    expect(await learner.signedIn()).toBe(true);
    expect(await learner.signedIn()).toBe(true);

    const admin = new Visitor(secondUrl);
    await admin.signIn('admin@example.org');
    const id = await personId(admin, 'learner@example.org');
    expect(await admin.post(`/admin/people/${id}/status`, { action: 'disable' }, `/admin/people/${id}`)).toBe(303);

    const took = await millisecondsUntil(async () => !(await learner.signedIn()), REVOCATION_BOUND_MS);
    expect(took).toBeLessThanOrEqual(REVOCATION_BOUND_MS);

    // Turned back on: the old session stays ended; signing in again works.
    expect(await admin.post(`/admin/people/${id}/status`, { action: 'enable' }, `/admin/people/${id}`)).toBe(303);
    expect(await learner.signedIn()).toBe(false);
    expect(await learner.on(secondUrl).signedIn()).toBe(false);
    const again = new Visitor(firstUrl);
    await again.signIn('learner@example.org');
    expect(await again.signedIn()).toBe(true);
  });

  it('a role taken away on one process is taken away on the other within a second', async () => {
    const trainer = new Visitor(firstUrl);
    await trainer.signIn('trainer@example.org');
    expect((await trainer.get('/admin/teams')).status).toBe(200);
    expect((await trainer.get('/admin/teams')).status).toBe(200);

    const admin = new Visitor(secondUrl);
    await admin.signIn('admin@example.org');
    const id = await personId(admin, 'trainer@example.org');
    expect(await admin.post(`/admin/people/${id}/roles`, { roles: 'learner' }, `/admin/people/${id}`)).toBe(303);

    const took = await millisecondsUntil(async () => (await trainer.get('/admin/teams')).status === 403, REVOCATION_BOUND_MS);
    expect(took).toBeLessThanOrEqual(REVOCATION_BOUND_MS);
    expect(await trainer.signedIn()).toBe(true);
  });

  it('"Sign out on every device" on one process ends the person’s sessions on the other within a second', async () => {
    const elsewhere = new Visitor(firstUrl);
    await elsewhere.signIn('admin@example.org');
    expect(await elsewhere.signedIn()).toBe(true);
    expect(await elsewhere.signedIn()).toBe(true);

    const here = new Visitor(secondUrl);
    await here.signIn('admin@example.org');
    expect(await here.post('/account/sign-out-everywhere', {}, '/account')).toBe(303);
    const took = await millisecondsUntil(async () => !(await elsewhere.signedIn()), REVOCATION_BOUND_MS);
    expect(took).toBeLessThanOrEqual(REVOCATION_BOUND_MS);
    expect(await here.signedIn()).toBe(false);
  });

  it('signing out on one process ends the session on the other (a copied cookie stops working)', async () => {
    const person = new Visitor(firstUrl);
    await person.signIn('cofacilitator@example.org');
    const copy = person.on(secondUrl);
    expect(await copy.signedIn()).toBe(true);
    expect(await copy.signedIn()).toBe(true);

    expect(await person.post('/sign-out', {}, '/preferences')).toBe(303);
    const took = await millisecondsUntil(async () => !(await copy.signedIn()), REVOCATION_BOUND_MS);
    expect(took).toBeLessThanOrEqual(REVOCATION_BOUND_MS);
  });
});
