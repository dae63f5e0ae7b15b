/**
 * `npm run db:dump / db:restore / db:copy` as processes: they find the app's engine through its data folder while
 * it runs (it listens on a random port), open the folder themselves when nothing runs, and exit 0, 1 or 2.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient, type Document } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo } from '../embedded';

const CLI = path.join(__dirname, 'cli.ts');

let dataDir: string;
let dbPath: string;

beforeAll(async () => {
  dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'db-tools-cli-'));
  dbPath = path.join(dataDir, 'db');
});

afterAll(async () => {
  await fsp.rm(dataDir, { recursive: true, force: true });
});

async function tool(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

async function withEngine<T>(where: string, work: (client: MongoClient, engine: EmbeddedMongo) => Promise<T>): Promise<T> {
  const engine = await startEmbeddedMongo({ dbPath: where, log: () => undefined });
  const client = await MongoClient.connect(engine.uri);
  try {
    return await work(client, engine);
  } finally {
    await client.close();
    await engine.stop();
  }
}

async function everything(client: MongoClient): Promise<Record<string, Document[]>> {
  const db = client.db('app');
  const out: Record<string, Document[]> = {};
  for (const name of ['people', 'notes']) {
    out[name] = await db.collection(name).find().sort({ _id: 1 }).toArray();
    out[`${name} indexes`] = (await db.collection(name).listIndexes().toArray()).map((ix) => ({ key: ix.key as Document, name: ix.name as string, unique: ix.unique as boolean | undefined }));
  }
  return out;
}

test('dump from the running engine, from its files when stopped, restore into a new folder, copy to another engine', async () => {
  const expected = await withEngine(dbPath, async (client) => {
    const db = client.db('app');
    await db.collection('people').createIndex({ email: 1 }, { unique: true });
    await db.collection<{ _id: number; email: string }>('people').insertMany(Array.from({ length: 50 }, (_, n) => ({ _id: n, email: `p${n}@example.org` })));
    await db.collection<{ _id: string; text: string }>('notes').insertOne({ _id: 'one', text: 'hello' });

    // The app is running (this process holds the folder): the tool asks its engine over the wire.
    const running = await tool(['dump', '--out', path.join(dataDir, 'while-running'), '--dbpath', dbPath]);
    expect(running.stderr).toBe('');
    expect(running.code).toBe(0);
    expect(running.stdout).toMatch(/running embedded database/);
    expect(running.stdout).toMatch(/app\.people: 50 documents, 2 indexes/);
    expect(running.stdout).toMatch(/A consistent copy of every collection as of/);
    return everything(client);
  });

  // Stopped: found through the app's settings (DATA_DIR), and the files are opened by the tool itself.
  const stopped = await tool(['dump', '--out', path.join(dataDir, 'while-stopped')], { DATA_DIR: dataDir, MONGODB_URI: '' });
  expect(stopped.code).toBe(0);
  expect(stopped.stderr).toMatch(/The app is not running: reading .* directly/);
  for (const file of ['people.bson', 'people.metadata.json', 'notes.bson']) {
    const a = await fsp.readFile(path.join(dataDir, 'while-running', 'app', file));
    expect(a.equals(await fsp.readFile(path.join(dataDir, 'while-stopped', 'app', file)))).toBe(true);
  }

  const restoredPath = path.join(dataDir, 'restored');
  const restore = await tool(['restore', path.join(dataDir, 'while-running'), '--dbpath', restoredPath]);
  expect(restore.code).toBe(0);
  expect(restore.stdout).toMatch(/every collection's count and checksum match the files/);
  expect(await withEngine(restoredPath, everything)).toEqual(expected);

  // Copy to a second engine over the wire.
  const second = await startEmbeddedMongo({ log: () => undefined });
  try {
    const copy = await tool(['copy', '--to', second.uri, '--dbpath', dbPath]);
    expect(copy.code).toBe(0);
    expect(copy.stdout).toMatch(/app\.people: 50 documents, 2 indexes, checksum [0-9a-f]{16}/);
    const client = await MongoClient.connect(second.uri);
    try {
      expect(await everything(client)).toEqual(expected);
    } finally {
      await client.close();
    }
  } finally {
    await second.stop();
  }
});

test('bad arguments exit 2 with the usage; a missing database exits 1 saying where it looked', async () => {
  const noOut = await tool(['dump', '--dbpath', dbPath]);
  expect(noOut.code).toBe(2);
  expect(noOut.stderr).toMatch(/db:dump needs --out DIR/);
  const missing = await tool(['dump', '--out', path.join(dataDir, 'x'), '--dbpath', path.join(dataDir, 'nothing-here')]);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(/There is no embedded database in .*nothing-here/);
});
