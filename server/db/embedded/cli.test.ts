/** `npm run db`: runs in the foreground, prints its URI, serves, and stops cleanly on SIGTERM. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { startEmbeddedMongo } from './index';

test('prints its URI, keeps data in --dbpath, and exits 0 on SIGTERM', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'engine-cli-'));
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', path.join(__dirname, 'cli.ts'), '--port', '0', '--dbpath', path.join(dir, 'db')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let output = '';
    const uri = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /mongodb:\/\/[^\s]+/.exec(output);
        if (match) resolve(match[0]);
      });
      child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${output}`)));
    });
    const client = await MongoClient.connect(uri);
    await client.db('cli').collection('notes').insertOne({ text: 'kept' });
    await client.close();
    const exitCode = await new Promise<number | null>((resolve) => {
      child.removeAllListeners('exit');
      child.once('exit', (code) => resolve(code));
      child.kill('SIGTERM');
    });
    expect(exitCode).toBe(0);
    expect(output).toMatch(/SIGTERM: stopping/);
    // It released the lock and left its data behind.
    const again = await startEmbeddedMongo({ dbPath: path.join(dir, 'db'), log: () => undefined });
    const reader = await MongoClient.connect(again.uri);
    expect(await reader.db('cli').collection('notes').findOne({}, { projection: { _id: 0 } })).toEqual({ text: 'kept' });
    await reader.close();
    await again.stop();
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});
