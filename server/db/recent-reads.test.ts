import { RecentReads } from './recent-reads';

/** A read that finishes when the test says so. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('RecentReads', () => {
  let clock = 1_000;
  const now = (): number => clock;
  beforeEach(() => {
    clock = 1_000;
  });

  it('remembers a read for ttlMs, then reads again', async () => {
    const reads = new RecentReads<string>({ ttlMs: 5_000, limit: 100, now });
    const load = jest.fn(async () => `read at ${clock}`);
    expect(await reads.get('k', load)).toBe('read at 1000');
    clock = 5_999;
    expect(await reads.get('k', load)).toBe('read at 1000');
    expect(reads.recall('k')?.value).toBe('read at 1000');
    clock = 6_000;
    expect(reads.recall('k')).toBeUndefined();
    expect(await reads.get('k', load)).toBe('read at 6000');
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('remembers an undefined answer as an answer', async () => {
    const reads = new RecentReads<string | undefined>({ ttlMs: 5_000, limit: 100, now });
    const load = jest.fn(async () => undefined);
    await reads.get('k', load);
    expect(reads.recall('k')).toBeDefined();
    expect(reads.recall('k')?.value).toBeUndefined();
    await reads.get('k', load);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('forgets at once after a change', async () => {
    const reads = new RecentReads<string>({ ttlMs: 5_000, limit: 100, now });
    await reads.get('k', async () => 'before');
    reads.forget('k');
    expect(reads.recall('k')).toBeUndefined();
    expect(await reads.get('k', async () => 'after')).toBe('after');
  });

  it('shares one read among the requests that arrive while it is on its way', async () => {
    const reads = new RecentReads<string>({ ttlMs: 5_000, limit: 100, now });
    const database = deferred<string>();
    const load = jest.fn(() => database.promise);
    const answers = Promise.all(Array.from({ length: 50 }, () => reads.get('k', load)));
    database.resolve('one read');
    expect(await answers).toEqual(Array.from({ length: 50 }, () => 'one read'));
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('does not remember or share a read that was on its way when a change happened', async () => {
    const reads = new RecentReads<string>({ ttlMs: 5_000, limit: 100, now });
    const before = deferred<string>();
    const early = reads.get('k', () => before.promise);
    reads.forget('k'); // the change lands while the read is in flight
    const late = reads.get('k', async () => 'after the change');
    before.resolve('from before the change');
    expect(await early).toBe('from before the change');
    expect(await late).toBe('after the change');
    expect(await reads.get('k', async () => 'a third read')).toBe('after the change');
  });

  it('does not remember reads on their way when everything is forgotten', async () => {
    const reads = new RecentReads<string>({ ttlMs: 5_000, limit: 100, now });
    const stale = deferred<string>();
    const early = reads.get('k', () => stale.promise);
    reads.forgetAll();
    stale.resolve('stale');
    await early;
    expect(reads.recall('k')).toBeUndefined();
  });

  it('passes a failed read to everyone waiting for it and remembers nothing', async () => {
    const reads = new RecentReads<string>({ ttlMs: 5_000, limit: 100, now });
    const failing = deferred<string>();
    const first = reads.get('k', () => failing.promise);
    const second = reads.get('k', async () => 'not asked');
    failing.reject(new Error('database gone'));
    await expect(first).rejects.toThrow('database gone');
    await expect(second).rejects.toThrow('database gone');
    expect(await reads.get('k', async () => 'next read')).toBe('next read');
  });

  it('stays within its limit', async () => {
    const reads = new RecentReads<string>({ ttlMs: 5_000, limit: 2, now });
    for (const key of ['a', 'b', 'c']) await reads.get(key, async () => key);
    expect(reads.recall('a')).toBeUndefined();
    expect(reads.recall('c')?.value).toBe('c');
  });
});
