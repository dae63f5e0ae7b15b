/** Update records: the steps from one document version to the next rebuild the next exactly, byte for byte. */
import { BSON, Decimal128, Double, Long, ObjectId } from 'bson';
import { cloneDocument, type Doc } from '../bson/values';
import { applyDiff, diffDocuments } from './document-diff';

// mulberry32: a small seeded generator, so a failure can be replayed.
let seed = 11;
function random(n: number): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
}

const KEYS = ['a', 'b', 'c', 'd.e', '1', 'f'];

function randomValue(depth: number): unknown {
  switch (random(depth > 2 ? 8 : 10)) {
    case 0:
      return random(100);
    case 1:
      return `s${random(5)}`;
    case 2:
      return new Date(1_700_000_000_000 + random(3));
    case 3:
      return null;
    case 4:
      return new Double(random(3));
    case 5:
      return Long.fromNumber(random(3));
    case 6:
      return random(2) === 0;
    case 7:
      return random(2) ? Decimal128.fromString(String(random(3))) : new ObjectId('64b7f0a1c2d3e4f5a6b7c8d9');
    case 8:
      return Array.from({ length: random(4) }, () => randomValue(depth + 1));
    default: {
      const doc: Doc = {};
      for (let i = random(4); i > 0; i--) doc[KEYS[random(KEYS.length)] as string] = randomValue(depth + 1);
      return doc;
    }
  }
}

/** A changed copy: values set, keys removed or added, arrays grown or cut, in place of a real update. */
function mutate(value: unknown, depth: number): unknown {
  if (random(4) === 0) return randomValue(depth);
  if (Array.isArray(value)) {
    const out = value.map((v) => (random(3) === 0 ? mutate(v, depth + 1) : v));
    if (random(3) === 0) out.push(randomValue(depth + 1));
    if (random(4) === 0) out.length = random(out.length + 1);
    return out;
  }
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Doc = {};
    for (const [k, v] of Object.entries(value)) {
      if (random(6) === 0) continue;
      out[k] = random(3) === 0 ? mutate(v, depth + 1) : v;
    }
    if (random(3) === 0) out[KEYS[random(KEYS.length)] as string] = randomValue(depth + 1);
    return out;
  }
  return value;
}

test('applying the steps to the old version gives the new one, field order and BSON types included', () => {
  let replaced = 0;
  let checked = 0;
  for (let round = 0; round < 800; round++) {
    const before = { _id: round, ...(randomValue(0) as Doc), nested: randomValue(1), list: [randomValue(1), randomValue(1)] };
    // _id stays first and unchanged, as the collection guarantees.
    const next = Object.assign({ _id: round }, mutate(before, 0) as Doc, { _id: round });
    const steps = diffDocuments(before, next);
    if (!steps) {
      replaced++;
      continue;
    }
    const rebuilt = applyDiff(cloneDocument(before), steps);
    expect(Buffer.from(BSON.serialize(rebuilt)).equals(Buffer.from(BSON.serialize(next)))).toBe(true);
    // Steps are absolute: applied a second time they change nothing.
    expect(Buffer.from(BSON.serialize(applyDiff(rebuilt, steps))).equals(Buffer.from(BSON.serialize(next)))).toBe(true);
    checked++;
  }
  expect(checked).toBeGreaterThan(600);
  expect(replaced).toBeGreaterThan(0);
});

test('an unchanged document has no steps, and a changed field names only itself', () => {
  const at = new Date(1_700_000_000_000);
  const before = { _id: 1, blocks: { a: at }, attempts: Array.from({ length: 500 }, (_, i) => ({ n: i })) };
  expect(diffDocuments(before, cloneDocument(before))).toEqual([]);
  const later = new Date(1_700_000_000_001);
  const after = { ...cloneDocument(before), blocks: { a: at, b: later }, lastLesson: 'x' };
  after.attempts.push({ n: 500 });
  expect(diffDocuments(before, after)).toEqual([
    { p: ['blocks', 'b'], v: later },
    { p: ['attempts', 500], v: { n: 500 } },
    { p: ['lastLesson'], v: 'x' },
  ]);
});

test('a reordering of top-level fields asks for the whole document', () => {
  expect(diffDocuments({ _id: 1, a: 1, b: 2 }, { _id: 1, b: 2, a: 1 })).toBeNull();
  // Below the top level the reordered object is set whole.
  expect(diffDocuments({ _id: 1, o: { a: 1, b: 2 } }, { _id: 1, o: { b: 2, a: 1 } })).toEqual([{ p: ['o'], v: { b: 2, a: 1 } }]);
});
