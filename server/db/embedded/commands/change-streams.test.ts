/** The change log on its own: resume tokens across engine starts, the history window, update descriptions. */
import { ChangeLog, describeUpdate, type StreamReader } from './change-streams';
import type { Doc } from '../bson/values';

const reader: StreamReader = { lookup: () => null, runPipeline: (_stages, events) => events };

function openStream(log: ChangeLog, spec: Doc = {}): Doc {
  return log.open(spec, 'db.c', 'db', 'c', [], reader, undefined);
}

function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: number }).code;
  }
  return undefined;
}

test('a token from another start of the engine is history lost (286), not a position in this log', () => {
  const before = new ChangeLog();
  openStream(before);
  before.insert('db', 'c', { _id: 1 });
  const reply = openStream(before, {});
  const token = (reply.cursor as Doc).postBatchResumeToken;
  const after = new ChangeLog();
  openStream(after);
  after.insert('db', 'c', { _id: 2 });
  after.insert('db', 'c', { _id: 3 });
  expect(codeOf(() => openStream(after, { resumeAfter: token }))).toBe(286);
  expect(codeOf(() => openStream(after, { resumeAfter: { _data: 'nonsense' } }))).toBe(2);
});

test('resuming from before the last 10,000 events is history lost (286); from inside the window works', () => {
  const log = new ChangeLog();
  const first = openStream(log);
  const start = (first.cursor as Doc).postBatchResumeToken;
  log.insert('db', 'c', { _id: 0 });
  const early = (openStream(log).cursor as Doc).postBatchResumeToken;
  for (let i = 1; i <= 10_000; i++) log.insert('db', 'c', { _id: i });
  expect(codeOf(() => openStream(log, { resumeAfter: start }))).toBe(286);
  const inside = openStream(log, { resumeAfter: early });
  expect(((inside.cursor as Doc).firstBatch as Doc[])[0]).toMatchObject({ operationType: 'insert', documentKey: { _id: 1 } });
});

test('update descriptions name changed paths, removed fields, appended elements and truncated arrays', () => {
  expect(describeUpdate({ _id: 1, a: 1, b: { c: 1, d: 2 }, gone: true, list: [1, 2, 3], grow: [1] }, { _id: 1, a: 2, b: { c: 1, d: 3 }, list: [1], grow: [1, 2] })).toEqual({
    updatedFields: { a: 2, 'b.d': 3, 'grow.1': 2 },
    removedFields: ['gone'],
    truncatedArrays: [{ field: 'list', newSize: 1 }],
  });
  expect(describeUpdate({ _id: 1, list: [1, 2] }, { _id: 1, list: [3, 2] })).toEqual({ updatedFields: { list: [3, 2] }, removedFields: [], truncatedArrays: [] });
});
