/**
 * The composition root as a person runs it: a real process on the embedded engine with its files on disk.
 * Runs server/main.ts through tsx (no build needed).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
// Two real starts (TypeScript through tsx, the course import, the engine's journal) on a shared 2-core machine.
jest.setTimeout(120_000);

interface Running {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  exited: Promise<number | null>;
}

const started: Running[] = [];

function start(env: Record<string, string>): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'server', 'main.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), PORT: '0', LOG_LEVEL: 'warn', ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const running = { child, output: () => output, exited };
  started.push(running);
  return running;
}

/** Waits until the output matches, or the process ends. */
async function waitFor(running: Running, pattern: RegExp): Promise<RegExpMatchArray> {
  const ended = running.exited.then(() => undefined);
  for (;;) {
    const match = running.output().match(pattern);
    if (match) return match;
    const result = await Promise.race([ended.then(() => 'ended' as const), new Promise((resolve) => running.child.stdout.once('data', resolve))]);
    if (result === 'ended') {
      const late = running.output().match(pattern);
      if (late) return late;
      throw new Error(`process ended before printing ${pattern}:\n${running.output()}`);
    }
  }
}

describe('starting and stopping the app (npm start)', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'coproduce-main-'));
  });
  afterEach(async () => {
    // A failed test may leave its process running: end it so Jest can exit.
    for (const running of started.splice(0)) {
      if (running.child.exitCode === null && running.child.signalCode === null) {
        running.child.kill('SIGKILL');
        await running.exited;
      }
    }
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('prints the address, the database and the demo accounts once, answers, and stops cleanly on SIGTERM', async () => {
    const first = start({ DATA_DIR: dataDir, DEMO_PASSWORD: 'demo-password-1' });
    await waitFor(first, /^Mail: /m);
    const [, url] = await waitFor(first, /running at (http:\/\/127\.0\.0\.1:\d+)/);
    expect(first.output()).toContain('admin@example.org');
    expect(first.output()).toContain('learner@example.org');
    expect(first.output()).toContain(`the embedded database in ${path.join(dataDir, 'db')}`);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    // The data is on disk: a second start keeps the accounts and prints no new password.
    const second = start({ DATA_DIR: dataDir });
    await waitFor(second, /^Mail: /m);
    const [, secondUrl] = await waitFor(second, /running at (http:\/\/127\.0\.0\.1:\d+)/);
    expect(second.output()).not.toContain('Demo accounts');
    const signInPage = await fetch(`${secondUrl}/sign-in`);
    const cookies = signInPage.headers.getSetCookie().map((cookie) => cookie.split(';')[0]).join('; ');
    const token = /name="_csrf" value="([^"]+)"/.exec(await signInPage.text())?.[1] ?? '';
    const signedIn = await fetch(`${secondUrl}/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookies },
      body: new URLSearchParams({ _csrf: token, email: 'admin@example.org', password: 'demo-password-1' }),
    });
    expect(signedIn.status).toBe(303);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('refuses to start in production without SESSION_SECRET, naming it', async () => {
    const refused = start({ DATA_DIR: dataDir, NODE_ENV: 'production' });
    expect(await refused.exited).toBe(1);
    expect(refused.output()).toContain('SESSION_SECRET');
  });
});
