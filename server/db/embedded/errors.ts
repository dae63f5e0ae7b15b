/**
 * Errors the engine answers with: the same numeric code, codeName and message shape as MongoDB, so the driver
 * raises the same `MongoServerError` it would against a real server.
 */
export const ErrorCodes = {
  InternalError: 1,
  Unauthorized: 13,
  BadValue: 2,
  FailedToParse: 9,
  TypeMismatch: 14,
  IllegalOperation: 20,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  ConflictingUpdateOperators: 40,
  CursorNotFound: 43,
  NamespaceExists: 48,
  InvalidNamespace: 73,
  CommandNotFound: 59,
  ImmutableField: 66,
  InvalidOptions: 72,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  NotImplemented: 238,
  OperationNotSupportedInTransaction: 263,
  DuplicateKey: 11000,
  BSONObjectTooLarge: 10334,
  UpdateResultTooLarge: 17419,
  NoQueryExecutionPlans: 291,
  UndefinedVariable: 17276,
  ViewDepthLimitExceeded: 165,
  DollarPrefixedFieldName: 52,
  NoReplicationEnabled: 76,
  CommandNotSupportedOnView: 166,
  OptionNotSupportedOnView: 167,
  IDLUnknownField: 40415,
} as const;

const codeNames = new Map<number, string>([
  [1, 'InternalError'],
  [13, 'Unauthorized'],
  [2, 'BadValue'],
  [9, 'FailedToParse'],
  [14, 'TypeMismatch'],
  [20, 'IllegalOperation'],
  [26, 'NamespaceNotFound'],
  [27, 'IndexNotFound'],
  [40, 'ConflictingUpdateOperators'],
  [43, 'CursorNotFound'],
  [48, 'NamespaceExists'],
  [59, 'CommandNotFound'],
  [66, 'ImmutableField'],
  [72, 'InvalidOptions'],
  [73, 'InvalidNamespace'],
  [85, 'IndexOptionsConflict'],
  [86, 'IndexKeySpecsConflict'],
  [238, 'NotImplemented'],
  [263, 'OperationNotSupportedInTransaction'],
  [291, 'NoQueryExecutionPlans'],
  [165, 'ViewDepthLimitExceeded'],
  [52, 'DollarPrefixedFieldName'],
  [76, 'NoReplicationEnabled'],
  [166, 'CommandNotSupportedOnView'],
  [167, 'OptionNotSupportedOnView'],
  [17276, 'Location17276'],
  [40415, 'Location40415'],
  [10334, 'BSONObjectTooLarge'],
  [11000, 'DuplicateKey'],
]);

export class EngineError extends Error {
  readonly code: number;
  readonly codeName: string;
  /** Extra fields MongoDB puts beside code and errmsg (keyPattern, keyValue for duplicates). */
  readonly extra: Record<string, unknown>;

  constructor(code: number, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.code = code;
    this.codeName = codeNames.get(code) ?? `Location${code}`;
    this.extra = extra;
  }

  toReply(): Record<string, unknown> {
    return { ok: 0, errmsg: this.message, code: this.code, codeName: this.codeName, ...this.extra };
  }

  toWriteError(index: number): Record<string, unknown> {
    return { index, code: this.code, errmsg: this.message, ...this.extra };
  }
}

/** Any thrown value as an EngineError. */
export function asEngineError(err: unknown): EngineError {
  if (err instanceof EngineError) return err;
  // mingo reports bad operators and arguments by throwing; MongoDB answers most of those with BadValue.
  const message = err instanceof Error ? err.message : String(err);
  if (message.startsWith('Use of undefined variable')) return new EngineError(ErrorCodes.UndefinedVariable, message);
  return new EngineError(ErrorCodes.BadValue, message);
}
