import { Decimal128, Double, Long, MaxKey, MinKey, ObjectId } from 'bson';
import { compareValues, comparisonView, valueKey } from './values';

describe('compareValues', () => {
  test('compares int, long, double and decimal by value, not as strings', () => {
    expect(compareValues(Long.fromNumber(10), 9)).toBe(1);
    expect(compareValues(Long.fromNumber(9), Long.fromNumber(10))).toBe(-1);
    expect(compareValues(Decimal128.fromString('2.5'), 10)).toBe(-1);
    expect(compareValues(new Double(3), 3)).toBe(0);
    expect(compareValues(Long.fromString('9007199254740993'), Long.fromString('9007199254740992'))).toBe(1);
  });

  test('orders types as MongoDB does', () => {
    const ordered = [new MinKey(), null, 1, 'a', { a: 1 }, [1], new ObjectId(), false, new Date(0), new MaxKey()];
    for (let i = 1; i < ordered.length; i++) expect(compareValues(ordered[i - 1], ordered[i])).toBe(-1);
  });

  test('orders ObjectIds by their bytes (creation time first)', () => {
    const a = ObjectId.createFromTime(1000);
    const b = ObjectId.createFromTime(2000);
    expect(compareValues(a, b)).toBe(-1);
  });
});

describe('valueKey', () => {
  test('is the same for numerically equal values of different types', () => {
    expect(valueKey(1)).toBe(valueKey(Long.fromNumber(1)));
    expect(valueKey(1)).toBe(valueKey(new Double(1)));
    expect(valueKey(1)).not.toBe(valueKey('1'));
    expect(valueKey({ a: 1, b: 2 })).not.toBe(valueKey({ b: 2, a: 1 }));
  });
});

describe('comparisonView', () => {
  test('turns numeric wrappers into numbers and leaves plain documents as they are', () => {
    const plain = { a: 1 };
    expect(comparisonView(plain)).toBe(plain);
    expect(comparisonView({ a: Long.fromNumber(5), b: [new Double(2)] })).toEqual({ a: 5, b: [2] });
  });
});
