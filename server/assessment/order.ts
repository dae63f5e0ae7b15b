/**
 * The order a learner sees a check's options in: shuffled per attempt, so the right answer's place teaches
 * nothing. An attempt's order comes from a seed kept on the server (with the enrolment for the next attempt,
 * and with each attempt once it is made), so a reload, a result page and a retry all show the same order.
 *
 * Each option's place is decided by a SHA-256 of (seed, question, option) from node:crypto rather than by a
 * hand-written random number generator: sorting by those hashes gives an even shuffle that the seed repeats.
 */
import { createHash, randomInt } from 'node:crypto';

/** A fresh seed for an attempt not made yet. */
export function newOrderSeed(): number {
  return randomInt(0, 2 ** 31);
}

/** A seed for a check that has no stored one yet (before a learner's first attempt): stable for that learner. */
export function defaultOrderSeed(enrolmentId: string, blockKey: string): number {
  return createHash('sha256').update(`${enrolmentId}\u0000${blockKey}`).digest().readUInt32BE(0) & 0x7fffffff;
}

function rank(seed: number, questionKey: string, optionKey: string): string {
  return createHash('sha256').update(`${seed}\u0000${questionKey}\u0000${optionKey}`).digest('hex');
}

/**
 * The options of one question in the order of this seed. `null` (an attempt made before options were shuffled)
 * keeps the authored order.
 */
export function orderOptions<T extends { key: string }>(options: readonly T[], questionKey: string, seed: number | null): T[] {
  if (seed === null) return [...options];
  const ranked = options.map((option) => ({ option, rank: rank(seed, questionKey, option.key) }));
  ranked.sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
  return ranked.map((entry) => entry.option);
}
