/**
 * autocannon against a loopback URL, in a child process so that the load generator does not share the event
 * loop of the server it measures. Both benchmarks use it; 50 connections unless told otherwise.
 */
import { spawn } from 'node:child_process';

export interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p99: number };
  throughput: { average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

export interface AutocannonRun {
  seconds: number;
  connections?: number;
  headers?: Record<string, string>;
  /** Runs autocannon on this CPU only (`taskset -c`), away from the server it measures. */
  cpu?: number;
}

/** One run; resolves with autocannon's JSON result. */
export function autocannon(url: string, run: AutocannonRun): Promise<AutocannonResult> {
  const args = [require.resolve('autocannon'), '-c', String(run.connections ?? 50), '-d', String(run.seconds), '-j'];
  for (const [name, value] of Object.entries(run.headers ?? {})) args.push('-H', `${name}=${value}`);
  args.push(url);
  return new Promise((resolve, reject) => {
    const [command, commandArgs] = run.cpu === undefined ? [process.execPath, args] : ['taskset', ['-c', String(run.cpu), process.execPath, ...args]];
    const child = spawn(command, commandArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited with ${code}: ${stderr}`));
      try {
        resolve(JSON.parse(stdout) as AutocannonResult);
      } catch (error) {
        reject(new Error(`autocannon printed no JSON: ${String(error)}\n${stdout.slice(0, 500)}`));
      }
    });
  });
}
