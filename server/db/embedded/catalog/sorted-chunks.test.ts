import { SortedChunks } from './sorted-chunks';

function contents(list: SortedChunks<number>, reverse = false): number[] {
  const out: number[] = [];
  list.range({ chunk: 0, index: 0 }, list.end, reverse, (n) => {
    out.push(n);
    return true;
  });
  return out;
}

test('stays sorted through many inserts and deletes, like a plain sorted array', () => {
  const list = new SortedChunks<number>(8);
  const reference: number[] = [];
  // mulberry32: a small seeded generator, so a failure can be replayed.
  let seed = 42;
  const random = (): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 1000);
  };
  for (let step = 0; step < 3000; step++) {
    const value = random();
    if (step % 3 === 2 && reference.length > 0) {
      const at = list.lowerBound((n) => n < value);
      if (list.at(at) === value) {
        list.removeAt(at);
        reference.splice(reference.indexOf(value), 1);
      }
    } else {
      list.insertAt(list.lowerBound((n) => n < value), value);
      reference.push(value);
      reference.sort((a, b) => a - b);
    }
  }
  expect(list.size).toBe(reference.length);
  expect(contents(list)).toEqual(reference);
  expect(contents(list, true)).toEqual([...reference].reverse());
});

test('visits a range between two bounds in both directions', () => {
  const list = new SortedChunks<number>(4);
  list.load([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  const from = list.lowerBound((n) => n < 3);
  const to = list.lowerBound((n) => n <= 7);
  const seen: number[] = [];
  list.range(from, to, false, (n) => (seen.push(n), true));
  expect(seen).toEqual([3, 4, 5, 6, 7]);
  const back: number[] = [];
  list.range(from, to, true, (n) => (back.push(n), n > 5));
  expect(back).toEqual([7, 6, 5]);
});
