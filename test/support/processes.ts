/**
 * Real app and engine processes for tests that need more than one (two app processes on one database, a restart):
 * each started as `npm start` / `npm run db` run them, through tsx, with the output kept for failure messages.
 * Polled, never a fixed sleep.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const MAIN_SCRIPT = path.join(ROOT, 'server', 'main.ts');
export const ENGINE_SCRIPT = path.join(ROOT, 'server', 'db', 'embedded', 'cli.ts');
/** What the engine prints once it accepts connections: the URI in group 1. */
export const ENGINE_LISTENING = /listening: (mongodb:\/\/\S+)/;

export interface Running {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  exited: Promise<number | null>;
}

/** The processes one test file starts, so that `stopAll` leaves none behind whatever happened. */
export class Processes {
  private readonly started: Running[] = [];

  /** Starts `node --import tsx <script...>` in the project root with a minimal environment plus `env`. */
  start(script: string[], env: Record<string, string>): Running {
    const child = spawn(process.execPath, ['--import', 'tsx', ...script], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), LOG_LEVEL: 'warn', ...env },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const running = { child, output: () => output, exited };
    this.started.push(running);
    return running;
  }

  /** Stops every process still running, the last started first: gracefully, checking each exits cleanly. */
  async stopAll(): Promise<void> {
    for (const running of this.started.splice(0).reverse()) await stopProcess(running);
  }
}

/** Waits until the output matches, or fails with the output if the process ends first. */
export async function waitFor(running: Running, pattern: RegExp): Promise<RegExpMatchArray> {
  const ended = running.exited.then(() => 'ended' as const);
  for (;;) {
    const match = running.output().match(pattern);
    if (match) return match;
    const result = await Promise.race([ended, new Promise((resolve) => running.child.stdout.once('data', resolve))]);
    if (result === 'ended') {
      const late = running.output().match(pattern);
      if (late) return late;
      throw new Error(`process ended before printing ${pattern}:\n${running.output()}`);
    }
  }
}

/** SIGTERM and wait; a process that does not exit with 0 fails the test with its output. */
export async function stopProcess(running: Running): Promise<void> {
  if (running.child.exitCode !== null || running.child.signalCode !== null) return;
  running.child.kill('SIGTERM');
  const code = await running.exited;
  if (code !== 0) throw new Error(`stopped with ${String(code)} (${String(running.child.signalCode)}):\n${running.output()}`);
}

/** Polls a condition every 100 ms until it holds, failing after `limitMs`. */
export async function until(condition: () => Promise<boolean>, limitMs: number, what: string): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not so after ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
