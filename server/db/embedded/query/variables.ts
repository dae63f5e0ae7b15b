/**
 * A command's `let` option (MongoDB 5.0+): user variables every filter, projection, pipeline and update of the
 * command can read as `$$name`. Each value is an expression evaluated once, against no document.
 */
import { EngineError, ErrorCodes } from '../errors';
import { Aggregator } from '../bson/mingo-context';
import { isPlainObject, normaliseNumbers, type Doc } from '../bson/values';

export type Variables = Readonly<Doc>;

/** MongoDB's rule for a user variable name: a lowercase (or non-ASCII) first character, then letters, digits, _. */
function checkName(name: string): void {
  if (name.length === 0) throw new EngineError(16866, 'empty variable names are not allowed');
  const first = name.charCodeAt(0);
  if (!((first >= 97 && first <= 122) || first > 127)) {
    throw new EngineError(16867, `'${name}' starts with an invalid character for a user variable name`);
  }
  for (const ch of name.slice(1)) {
    if (!/[a-zA-Z0-9_]/.test(ch) && ch.charCodeAt(0) <= 127) {
      throw new EngineError(16868, `'${name}' contains an invalid character for a variable name: '${ch}'`);
    }
  }
}

/** The values of a command's `let` document, or undefined when it has none. */
export function evaluateLet(raw: unknown, command: string): Variables | undefined {
  if (raw === undefined) return undefined;
  if (!isPlainObject(raw)) {
    throw new EngineError(ErrorCodes.TypeMismatch, `BSON field '${command}.let' is the wrong type '${Array.isArray(raw) ? 'array' : typeof raw}', expected type 'object'`);
  }
  for (const name of Object.keys(raw)) checkName(name);
  // $replaceWith evaluates an object of expressions, each as MongoDB evaluates a `let` value.
  const [values] = new Aggregator([{ $replaceWith: normaliseNumbers(raw) }]).run([{}]) as Doc[];
  return values ?? {};
}
