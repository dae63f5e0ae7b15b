import { Binary, BSON, BSONRegExp, Code, DBRef, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp, UUID } from 'bson';
import { decodeDocument, decodeFields } from './stored-documents';

const bytesOf = (doc: Record<string, unknown>): Buffer => Buffer.from(BSON.serialize(doc));

test('decodeFields picks the named top-level fields after elements of every BSON type', () => {
  const target = new ObjectId();
  const doc = {
    _id: new ObjectId(),
    double: new Double(1.5),
    string: 'héllo',
    document: { a: 1, b: [1, 2] },
    array: [1, 'two', { three: 3 }],
    binary: new Binary(Buffer.from([1, 2, 3]), 0),
    uuid: new UUID(),
    undef: undefined,
    bool: true,
    date: new Date(1_760_000_000_000),
    nothing: null,
    regex: new BSONRegExp('a.c', 'i'),
    code: new Code('x + 1'),
    scoped: new Code('x + y', { y: 2 }),
    int32: new Int32(7),
    timestamp: new Timestamp({ t: 5, i: 1 }),
    int64: Long.fromString('9007199254740993'),
    decimal: Decimal128.fromString('1.10'),
    ref: new DBRef('other', new ObjectId()),
    min: new MinKey(),
    max: new MaxKey(),
    learner: target,
    last: 'end',
  };
  const bytes = Buffer.from(BSON.serialize(doc, { ignoreUndefined: false }));
  const picked = decodeFields(bytes, new Set(['learner', 'last', 'absent']));
  expect(Object.keys(picked)).toEqual(['learner', 'last']);
  expect(String(picked.learner)).toBe(target.toHexString());
  expect(picked.last).toBe('end');
  // Each field alone decodes as it does in the whole document.
  const whole = decodeDocument(bytes);
  for (const name of Object.keys(whole)) expect(decodeFields(bytes, new Set([name]))[name]).toEqual(whole[name]);
});

test('decodeFields compares names as whole UTF-8 names, not prefixes', () => {
  const bytes = bytesOf({ _id: 1, course: 'a', courseSlug: 'b', cours: 'c', 'naïve': 'd' });
  expect(decodeFields(bytes, new Set(['course']))).toEqual({ course: 'a' });
  expect(decodeFields(bytes, new Set(['naïve', '_id']))).toEqual({ _id: 1, naïve: 'd' });
  expect(decodeFields(bytes, null)).toEqual(decodeDocument(bytes));
});
