/**
 * The command authors run: `npm run content:import`. Run here from the TypeScript sources through tsx, as a
 * child process with its own DATA_DIR, so it opens its own embedded database on disk as `npm start` would.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const tsxCli = require.resolve('tsx/cli');
const fixture = path.join(__dirname, 'fixtures', 'tiny-course');

let work: string;

beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'content-import-cli-'));
  await cp(fixture, path.join(work, 'courses', 'tiny-course'), { recursive: true });
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

function runImport(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [tsxCli, path.join(root, 'server', 'courses', 'import-cli.ts'), '--dir', path.join(work, 'courses'), ...args],
      { cwd: root, env: { PATH: process.env.PATH, NODE_ENV: 'test', DATA_DIR: path.join(work, 'data'), LOG_LEVEL: 'silent' } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('imports into the database on disk, then finds nothing changed the second time', async () => {
  const first = await runImport();
  expect(first.stderr).toBe('');
  expect(first.stdout).toBe('tiny-course: imported and published (version 1)\n');
  expect(first.code).toBe(0);
  const second = await runImport();
  expect(second.stdout).toBe('tiny-course: unchanged (version 1)\n');
});

test('a dry run with a problem names the file and line, exits 1, and writes nothing', async () => {
  const moduleFile = path.join(work, 'courses', 'tiny-course', '01-first-steps.md');
  await writeFile(moduleFile, (await readFile(moduleFile, 'utf8')).replace(' alt="A green rectangle on its own."', ''));
  const result = await runImport('--dry-run');
  expect(result.code).toBe(1);
  expect(result.stdout).toContain('tiny-course: has problems (dry run: nothing written)');
  expect(result.stdout).toContain(`${moduleFile}:17: the :::image block needs alt="..."`);
  // No database was opened: the data folder was never even created.
  await expect(stat(path.join(work, 'data'))).rejects.toThrow();
});

test('--publish is refused with the reason (a changed course is published through review), and nothing is written', async () => {
  const result = await runImport('--publish');
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('--publish is no longer available');
  expect(result.stderr).toContain('once a trainer and a co-facilitator with lived experience have approved it');
  await expect(stat(path.join(work, 'data'))).rejects.toThrow();
});
