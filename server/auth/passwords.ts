/**
 * Password hashing with argon2id. Verification reads the cost from the stored hash, so the cost can change
 * without breaking existing passwords. Tests lower the cost with `useFastPasswordHashing()` to stay quick.
 */
import argon2 from 'argon2';

const STANDARD_COST = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };
// Only for tests: a hash that takes a millisecond. Never used by main.ts.
const TEST_COST = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

let cost = STANDARD_COST;

export function useFastPasswordHashing(): void {
  cost = TEST_COST;
}

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 200;

export async function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id, ...cost });
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** A hash to verify against when the account does not exist, so timing does not reveal which emails exist. */
let decoyHash: Promise<string> | undefined;
export function decoyPasswordHash(): Promise<string> {
  decoyHash ??= hashPassword('decoy password that never matches anything');
  return decoyHash;
}
