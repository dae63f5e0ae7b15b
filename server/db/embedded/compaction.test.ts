/**
 * The journal stays bounded under sustained writes (issue 16): after each compaction the files on disk are at
 * most twice the live data, and what was written is all there after a restart. (How long a compaction holds
 * the event loop is a timing: `npm run bench -- footprint` measures it.)
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Engine } from './engine';
import type { Doc } from './bson/values';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'engine-compaction-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const connection = { id: 1, remote: 'test' };

async function run(engine: Engine, cmd: Doc): Promise<Doc> {
  const reply = await engine.execute(cmd, 'app', connection);
  if (reply.ok !== 1 || reply.writeErrors) throw new Error(`command failed: ${JSON.stringify(reply)}`);
  return reply;
}

async function filesBytes(): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) total += (await stat(path.join(dir, name))).size;
  return total;
}

test('after every compaction under sustained updates the files hold at most twice the live data', async () => {
  const engine = await Engine.open({ dbPath: dir, compactMinBytes: 64 * 1024, fsync: false });
  const documents = 400;
  try {
    await run(engine, { createIndexes: 'items', indexes: [{ key: { group: 1 }, name: 'group_1' }] });
    await run(engine, {
      insert: 'items',
      documents: Array.from({ length: documents }, (_, n) => ({ _id: n, group: n % 7, text: 'a'.repeat(800), version: 0 })),
    });
    let checked = 0;
    for (let round = 1; round <= 60; round++) {
      // Each round rewrites a tenth of the documents with a text of another length.
      await run(engine, {
        update: 'items',
        updates: [{ q: { group: round % 7 }, u: { $set: { text: String.fromCharCode(97 + (round % 26)).repeat(700 + round), version: round } }, multi: true }],
      });
      await engine.compacted();
      const journal = engine.server.journal?.();
      if ((journal?.compactions ?? 0) > 0) {
        expect(await filesBytes()).toBeLessThanOrEqual(2 * engine.catalog.dataBytes);
        checked++;
      }
    }
    expect(engine.server.journal?.().compactions).toBeGreaterThan(3);
    expect(checked).toBeGreaterThan(10);
  } finally {
    await engine.close();
  }
  const reopened = await Engine.open({ dbPath: dir, fsync: false });
  try {
    const reply = await reopened.execute({ find: 'items', filter: { group: 60 % 7 }, batchSize: 1000 }, 'app', connection);
    const found = (reply.cursor as { firstBatch: Doc[] }).firstBatch;
    expect(found.length).toBeGreaterThan(0);
    for (const doc of found) expect(doc).toMatchObject({ version: 60, text: 'i'.repeat(760) });
    const all = await reopened.execute({ count: 'items' }, 'app', connection);
    expect(all.n).toBe(documents);
  } finally {
    await reopened.close();
  }
});
