/** MongoDB's answers that features act on, recognised in one place. */

/** True for a duplicate key error (code 11000): a unique index refused the write. */
export function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
}
