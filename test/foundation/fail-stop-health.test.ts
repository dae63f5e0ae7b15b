/**
 * Fail-stop seen from the app (issue 16): once the engine's journal cannot be written, /healthz answers 503 so
 * that a load balancer or supervisor takes the instance out, and the engine's owner is told (main.ts exits 1).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FaultyFiles } from '../support/faulty-files';
import { startTestApp, type TestApp } from '../support/app';

let dbPath: string;
let t: TestApp | undefined;

beforeAll(async () => {
  dbPath = await mkdtemp(path.join(os.tmpdir(), 'fail-stop-health-'));
});

afterAll(async () => {
  await t?.stop();
  await rm(dbPath, { recursive: true, force: true });
});

test('/healthz answers 503 once a journal write has failed, and the failure is reported once', async () => {
  const files = new FaultyFiles();
  const fatal: Error[] = [];
  t = await startTestApp({ engine: { dbPath, files, onFatal: (error) => fatal.push(error) } });
  // Signing in stores a session, which waits for the session store's own setup (its TTL index) to finish.
  await t.signedInAgent();
  const healthy = await t.request().get('/healthz');
  expect(healthy.status).toBe(200);

  files.fail('datasync', 'EIO');
  await expect(t.createUser()).rejects.toThrow(/journal failure/);
  expect(fatal).toHaveLength(1);

  const unhealthy = await t.request().get('/healthz');
  expect(unhealthy.status).toBe(503);
  expect(unhealthy.body).toEqual({ status: 'unavailable' });
});
