/**
 * Errors from node:fs carry a `code` (ENOENT, EEXIST...). They are checked by shape, not with instanceof:
 * under Jest, errors made by Node's own modules come from another realm and fail `instanceof Error`.
 */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

export function asError(error: unknown): Error {
  if (error instanceof Error) return error;
  if (typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string') {
    return error as Error;
  }
  return new Error(String(error));
}
