/**
 * The mingo operator context the engine uses: every stock operator, except `$type`, which must see the stored
 * BSON types (mingo's own one sees only JS numbers and cannot tell int from long or double from decimal).
 */
import { Binary, BSONRegExp, BSONSymbol, Code, Decimal128, Double, Long, MaxKey, MinKey, ObjectId, Timestamp } from 'bson';
import { Aggregator as BaseAggregator } from 'mingo/aggregator';
import { Context } from 'mingo/core';
import * as accumulatorOps from 'mingo/operators/accumulator';
import * as expressionOps from 'mingo/operators/expression';
import * as pipelineOps from 'mingo/operators/pipeline';
import * as projectionOps from 'mingo/operators/projection';
import * as queryOps from 'mingo/operators/query';
import * as windowOps from 'mingo/operators/window';
import { Query as BaseQuery } from 'mingo/query';
import type { Options } from 'mingo/types';
import { EngineError, ErrorCodes } from '../errors';
import { originalOf, valuesAtPath } from './values';

const TYPE_ALIASES = new Map<number, string>([
  [1, 'double'],
  [2, 'string'],
  [3, 'object'],
  [4, 'array'],
  [5, 'binData'],
  [6, 'undefined'],
  [7, 'objectId'],
  [8, 'bool'],
  [9, 'date'],
  [10, 'null'],
  [11, 'regex'],
  [12, 'dbPointer'],
  [13, 'javascript'],
  [14, 'symbol'],
  [15, 'javascriptWithScope'],
  [16, 'int'],
  [17, 'timestamp'],
  [18, 'long'],
  [19, 'decimal'],
  [-1, 'minKey'],
  [127, 'maxKey'],
]);

/** The BSON type name MongoDB's $type uses for a stored value. */
export function bsonTypeName(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  switch (typeof v) {
    case 'number':
      return Number.isInteger(v) && v >= -2147483648 && v <= 2147483647 ? 'int' : 'double';
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    default:
      break;
  }
  if (Array.isArray(v)) return 'array';
  if (v instanceof Timestamp) return 'timestamp'; // before Long: bson's Timestamp extends Long
  if (v instanceof Long) return 'long';
  if (v instanceof Double) return 'double';
  if (v instanceof Decimal128) return 'decimal';
  if (v instanceof ObjectId) return 'objectId';
  if (v instanceof Date) return 'date';
  if (v instanceof RegExp || v instanceof BSONRegExp) return 'regex';
  if (v instanceof Binary || v instanceof Uint8Array) return 'binData';
  if (v instanceof Code) return v.scope ? 'javascriptWithScope' : 'javascript';
  if (v instanceof BSONSymbol) return 'symbol';
  if (v instanceof MinKey) return 'minKey';
  if (v instanceof MaxKey) return 'maxKey';
  return 'object';
}

const TYPE_NAMES = new Set([...TYPE_ALIASES.values(), 'number']);

/** A $type operand as a type name, refused as MongoDB refuses it. */
function typeName(wanted: unknown): string {
  if (typeof wanted === 'string') {
    if (!TYPE_NAMES.has(wanted)) throw new EngineError(ErrorCodes.BadValue, `Unknown type name alias: ${wanted}`);
    return wanted;
  }
  if (typeof wanted === 'number') {
    const name = TYPE_ALIASES.get(wanted);
    if (!name) throw new EngineError(ErrorCodes.BadValue, `Invalid numerical type code: ${wanted}`);
    return name;
  }
  throw new EngineError(ErrorCodes.TypeMismatch, 'type must be represented as a number or a string');
}

function typeMatches(v: unknown, name: string): boolean {
  const actual = bsonTypeName(v);
  if (name === 'number') return actual === 'int' || actual === 'long' || actual === 'double' || actual === 'decimal';
  return actual === name;
}

const $type = (selector: string, value: unknown) => {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new EngineError(ErrorCodes.FailedToParse, `${selector} must match at least one type`);
  const wanted = list.map(typeName);
  return (obj: Record<string, unknown>) => matchesType(originalOf(obj), selector, wanted);
};

function matchesType(doc: Record<string, unknown>, selector: string, wanted: string[]): boolean {
  for (const v of valuesAtPath(doc, selector)) {
    if (v === undefined) continue;
    const candidates = Array.isArray(v) ? [v, ...v] : [v];
    if (candidates.some((c) => wanted.some((w) => typeMatches(c, w)))) return true;
  }
  return false;
}

// The operator modules' export types are wider than Context.init's parameter (they also export helpers).
export const context = Context.init({
  accumulator: accumulatorOps,
  expression: expressionOps,
  pipeline: pipelineOps,
  projection: projectionOps,
  query: { ...queryOps, $type },
  window: windowOps,
} as unknown as Parameters<typeof Context.init>[0]);

export const mingoOptions: Partial<Options> = { context };

export class Query extends BaseQuery {
  constructor(condition: Record<string, unknown>, options: Partial<Options> = {}) {
    super(condition, { ...mingoOptions, ...options });
  }
}

export class Aggregator extends BaseAggregator {
  constructor(pipeline: Array<Record<string, unknown>>, options: Partial<Options> = {}) {
    super(pipeline, { ...mingoOptions, ...options });
  }
}
