import { defaultOrderSeed, newOrderSeed, orderOptions } from './order';

const options = ['a', 'b', 'c', 'd'].map((key) => ({ key, text: `Option ${key}` }));

describe('orderOptions', () => {
  it('keeps every option exactly once and repeats the same order for the same seed', () => {
    const first = orderOptions(options, 'q1', 12345);
    expect(first.map((o) => o.key).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(orderOptions(options, 'q1', 12345)).toEqual(first);
    expect(options.map((o) => o.key)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('keeps the authored order without a seed (attempts made before shuffling)', () => {
    expect(orderOptions(options, 'q1', null).map((o) => o.key)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('puts each option first about equally often across seeds', () => {
    const firsts = new Map<string, number>();
    for (let seed = 0; seed < 2000; seed += 1) {
      const key = orderOptions(options, 'q1', seed)[0]?.key ?? '';
      firsts.set(key, (firsts.get(key) ?? 0) + 1);
    }
    for (const key of ['a', 'b', 'c', 'd']) {
      expect(firsts.get(key)).toBeGreaterThan(400);
      expect(firsts.get(key)).toBeLessThan(600);
    }
  });

  it('shuffles each question of one attempt on its own', () => {
    const orders = new Set(['q1', 'q2', 'q3', 'q4', 'q5', 'q6'].map((q) => orderOptions(options, q, 7).map((o) => o.key).join('')));
    expect(orders.size).toBeGreaterThan(1);
  });
});

describe('seeds', () => {
  it('gives a learner a stable first order and fresh seeds afterwards', () => {
    expect(defaultOrderSeed('enrolment-1', 'm/l/check-1')).toBe(defaultOrderSeed('enrolment-1', 'm/l/check-1'));
    expect(defaultOrderSeed('enrolment-1', 'm/l/check-1')).not.toBe(defaultOrderSeed('enrolment-2', 'm/l/check-1'));
    const seeds = new Set(Array.from({ length: 20 }, () => newOrderSeed()));
    expect(seeds.size).toBeGreaterThan(15);
    for (const seed of seeds) expect(Number.isInteger(seed) && seed >= 0).toBe(true);
  });
});
