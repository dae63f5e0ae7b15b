/**
 * What an update changed in a document, as a short list of absolute steps, so that the journal records the
 * change and not the whole document (a progress click on an enrolment with 500 check attempts is a few hundred
 * bytes, not the enrolment).
 *
 * Each step names a path as a list of parts (object keys as strings, array positions as numbers, so a key with
 * a dot in it stays one part) and does one thing: set the value there, unset the key, or cut an array to a
 * length. Applying the steps in order to the old document gives a document equal to the new one field for field
 * and in the same field order. Every step is absolute, so applying them again changes nothing (a journal replay
 * over a snapshot that already holds the change is harmless).
 */
import { BSON } from 'bson';
import { isPlainObject, type Doc } from '../bson/values';

export type PathPart = string | number;

export type DiffStep =
  | { p: PathPart[]; v: unknown }
  | { p: PathPart[]; u: true }
  | { p: PathPart[]; n: number };

/** The steps from `before` to `after`, or null when the documents differ at their top level's field order. */
export function diffDocuments(before: Doc, after: Doc): DiffStep[] | null {
  const steps: DiffStep[] = [];
  if (!diffObject(before, after, [], steps)) return null;
  return steps;
}

/** Diffs two objects into steps; false when their shared keys are in another order (the caller sets the whole). */
function diffObject(a: Doc, b: Doc, path: PathPart[], steps: DiffStep[]): boolean {
  const oldKeys = Object.keys(a);
  const newKeys = Object.keys(b);
  const kept = oldKeys.filter((k) => Object.prototype.hasOwnProperty.call(b, k));
  // Setting a new key puts it last (as in BSON when the journal replays it): the kept keys must come first, in order.
  for (let i = 0; i < kept.length; i++) if (newKeys[i] !== kept[i]) return false;
  for (const k of oldKeys) if (!Object.prototype.hasOwnProperty.call(b, k)) steps.push({ p: [...path, k], u: true });
  for (const k of kept) diffValue(a[k], b[k], [...path, k], steps);
  for (let i = kept.length; i < newKeys.length; i++) {
    const k = newKeys[i] as string;
    steps.push({ p: [...path, k], v: b[k] });
  }
  return true;
}

function diffValue(a: unknown, b: unknown, path: PathPart[], steps: DiffStep[]): void {
  if (sameValue(a, b)) return;
  if (isPlainObject(a) && isPlainObject(b)) {
    if (!diffObject(a, b, path, steps)) steps.push({ p: path, v: b });
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const common = Math.min(a.length, b.length);
    for (let i = 0; i < common; i++) diffValue(a[i], b[i], [...path, i], steps);
    for (let i = common; i < b.length; i++) steps.push({ p: [...path, i], v: b[i] });
    if (b.length < a.length) steps.push({ p: path, n: b.length });
    return;
  }
  steps.push({ p: path, v: b });
}

/** The same BSON value (type included: the number 1 and a Double 1.0 differ). Containers are compared by diffValue. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b) return false;
  if (typeof a === 'number') return Object.is(a, b);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (isPlainObject(a) || isPlainObject(b) || Array.isArray(a) || Array.isArray(b)) return false;
  if (a.constructor !== b.constructor) return false;
  if (a instanceof Date && b instanceof Date) return Object.is(a.getTime(), b.getTime());
  // Other BSON values (ObjectId, Long, Decimal128, Binary...): rare among changed fields, compared by encoding.
  return Buffer.from(BSON.serialize({ v: a })).equals(Buffer.from(BSON.serialize({ v: b })));
}

/** Applies steps in place to a document (one the caller owns) and returns it. */
export function applyDiff(doc: Doc, steps: readonly DiffStep[]): Doc {
  for (const step of steps) {
    const { p } = step;
    if (p.length === 0) throw new Error('a diff step needs a path');
    let parent: unknown = doc;
    for (let i = 0; i < p.length - 1; i++) {
      parent = (parent as Record<PathPart, unknown>)[p[i] as PathPart];
      if (parent === null || typeof parent !== 'object') throw new Error(`a diff step's path ${p.join('.')} does not exist in the document`);
    }
    const last = p[p.length - 1] as PathPart;
    const target = parent as Record<PathPart, unknown>;
    if ('v' in step) target[last] = step.v;
    else if ('u' in step) delete target[last];
    else {
      const array = target[last];
      if (!Array.isArray(array)) throw new Error(`a diff step cuts ${p.join('.')}, which is not an array`);
      array.length = step.n;
    }
  }
  return doc;
}
