import { EnrolmentReadCache } from './lesson-cache';

describe('EnrolmentReadCache', () => {
  const key = EnrolmentReadCache.key('learner-1', 'course');

  it('remembers a read for a few seconds', () => {
    const cache = new EnrolmentReadCache<string>(5_000);
    cache.remember(key, cache.ticket(key), 'v1', 1_000);
    expect(cache.recall(key, 5_999)).toBe('v1');
    expect(cache.recall(key, 6_000)).toBeUndefined();
  });

  it('forgets at once after a change', () => {
    const cache = new EnrolmentReadCache<string>(5_000);
    cache.remember(key, cache.ticket(key), 'v1');
    cache.forget(key);
    expect(cache.recall(key)).toBeUndefined();
  });

  it('does not remember a read that was on its way when a change happened', () => {
    const cache = new EnrolmentReadCache<string>(5_000);
    const ticket = cache.ticket(key);
    cache.forget(key); // the change lands while the read is in flight
    cache.remember(key, ticket, 'from before the change');
    expect(cache.recall(key)).toBeUndefined();
    cache.remember(key, cache.ticket(key), 'after');
    expect(cache.recall(key)).toBe('after');
  });

  it('does not remember reads in flight when everything is forgotten, and stays within its limit', () => {
    const cache = new EnrolmentReadCache<string>(5_000, 2);
    const ticket = cache.ticket(key);
    cache.forgetAll();
    cache.remember(key, ticket, 'stale');
    expect(cache.recall(key)).toBeUndefined();
    for (const name of ['a', 'b', 'c']) cache.remember(name, cache.ticket(name), name);
    expect(cache.recall('a')).toBeUndefined();
    expect(cache.recall('c')).toBe('c');
  });
});
