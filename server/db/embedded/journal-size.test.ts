/**
 * An update journals what changed, not the whole document (issue 16): a progress click on an enrolment holding
 * 500 check attempts writes under 1 KB, and the document is whole and exact after a restart replays it.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Double, Long, MongoClient, ObjectId } from 'mongodb';
import { startEmbeddedMongo } from './index';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'engine-journal-size-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function withEngine<T>(work: (client: MongoClient) => Promise<T>): Promise<T> {
  const engine = await startEmbeddedMongo({ dbPath: dir, log: () => undefined });
  const client = await MongoClient.connect(engine.uri);
  try {
    return await work(client);
  } finally {
    await client.close();
    await engine.stop();
  }
}

interface StoredEnrolment {
  _id: ObjectId;
  blocks: Record<string, Date>;
  lastLesson: string;
  attempts: object[];
  points: Long;
  weight?: Double;
}

const journalBytes = async (): Promise<number> => (await stat(path.join(dir, 'journal'))).size;

function heavyEnrolment(): Record<string, unknown> {
  return {
    _id: new ObjectId(),
    learner: new ObjectId(),
    course: new ObjectId(),
    blocks: { 'module-1/lesson-1/block-1': new Date(1_760_000_000_000) },
    lastLesson: 'module-1/lesson-1',
    attempts: Array.from({ length: 500 }, (_, i) => ({
      block: `module-${i % 5}/lesson-2/check`,
      answers: { q1: ['a'], q2: ['b', 'c'] },
      score: i % 3,
      total: 2,
      passed: i % 3 === 2,
      at: new Date(1_760_000_000_000 + i),
    })),
    points: Long.fromNumber(7),
    weight: new Double(2),
  };
}

test('a progress click and a new attempt on a 500-attempt enrolment each journal under 1 KB, and replay exactly', async () => {
  const enrolment = heavyEnrolment();
  const id = enrolment._id as ObjectId;
  const clicked = new Date(1_760_000_100_000);
  const attempt = { block: 'module-3/lesson-1/check', answers: { q1: ['c'] }, score: 1, total: 1, passed: true, at: clicked };
  const written = await withEngine(async (client) => {
    const enrolments = client.db('app').collection<StoredEnrolment>('enrolments');
    await enrolments.createIndex({ learner: 1, course: 1 }, { unique: true });
    await enrolments.insertOne(enrolment as unknown as StoredEnrolment);
    const atStart = await journalBytes();
    await enrolments.updateOne(
      { _id: id },
      { $set: { 'blocks.module-2/lesson-1/block-4': clicked, lastLesson: 'module-2/lesson-1' }, $inc: { points: 1 } },
    );
    const afterClick = await journalBytes();
    await enrolments.updateOne({ _id: id }, { $push: { attempts: attempt }, $unset: { weight: '' } });
    const afterAttempt = await journalBytes();
    // A replacement keeps working (and may journal the whole document).
    await enrolments.updateOne({ _id: id }, { $set: { 'attempts.0.score': 2 } });
    return { click: afterClick - atStart, attempt: afterAttempt - afterClick };
  });
  expect(written.click).toBeGreaterThan(0);
  expect(written.click).toBeLessThan(1024);
  expect(written.attempt).toBeLessThan(1024);

  await withEngine(async (client) => {
    const stored = await client.db('app').collection('enrolments').findOne({ _id: id }, { promoteLongs: false, promoteValues: false });
    const attempts = enrolment.attempts as Array<Record<string, unknown>>;
    (attempts[0] as Record<string, unknown>).score = 2;
    expect(stored).toBeTruthy();
    const plain = JSON.parse(JSON.stringify(stored)) as Record<string, unknown>;
    expect(Object.keys(plain)).toEqual(['_id', 'learner', 'course', 'blocks', 'lastLesson', 'attempts', 'points']);
    expect(plain.blocks).toEqual({ 'module-1/lesson-1/block-1': new Date(1_760_000_000_000).toISOString(), 'module-2/lesson-1/block-4': clicked.toISOString() });
    expect(plain.lastLesson).toBe('module-2/lesson-1');
    expect((plain.attempts as unknown[]).length).toBe(501);
    expect(JSON.parse(JSON.stringify(plain.attempts))).toEqual(JSON.parse(JSON.stringify([...attempts, attempt])));
    expect(String(stored?.points)).toBe('8');
    expect((stored?.points as { _bsontype?: string })._bsontype).toBe('Long');
  });
});
