/**
 * Aggregation expressions compiled to plain functions, for the engine's native pipeline (./native-pipeline.ts).
 *
 * Why hand-written: mingo interprets an expression tree afresh for every document, through its operator
 * registry and option objects, which measured ~100 µs of CPU per document for the reports' pipelines (issue 14).
 * Compiling a pipeline once into closures over the comparison views costs a few µs per document instead.
 *
 * Only the operators below are compiled; any other operator makes `compileExpression` throw `NotCompiled`, and
 * the whole pipeline then runs through mingo as before. Each operator follows mingo's behaviour (the engine's
 * results must not change with the path taken; ./native-pipeline.test.ts runs both and compares them).
 */
import { bsonTypeName } from '../bson/mingo-context';
import { compareValues, isPlainObject, valueKey, type Doc } from '../bson/values';

/** Thrown while compiling when an expression uses something the native path does not know. */
export class NotCompiled extends Error {}

export type Vars = Readonly<Record<string, unknown>>;
/** An expression compiled: evaluated against the current document with the variables in scope. */
export type Compiled = (current: unknown, vars: Vars) => unknown;

function isNil(v: unknown): v is null | undefined {
  return v === null || v === undefined;
}

/** mingo's truthiness (strict mode): "" is true, as in MongoDB. */
export function truthy(v: unknown): boolean {
  return Boolean(v) || v === '';
}

/** Equality of two values as MongoDB compares them (1 and 1.0 alike; null and missing alike in expressions). */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isNil(a) && isNil(b)) return true;
  return compareValues(a, b) === 0 && typeof a === typeof b;
}

/** Expression $eq as mingo evaluates it: equal values, both null/missing, or an array holding the value. */
function expressionEq(a: unknown, b: unknown): boolean {
  if (valuesEqual(a, b)) return true;
  if (Array.isArray(a)) return a.some((v) => valuesEqual(v, b)) || a.some((v) => Array.isArray(v) && v.some((w) => valuesEqual(w, b)));
  return false;
}

/** A dotted path read as expressions read it: through arrays, each element's value (missing ones left out). */
export function resolvePath(value: unknown, parts: readonly string[], from = 0): unknown {
  let current = value;
  for (let i = from; i < parts.length; i++) {
    if (current === null || current === undefined || typeof current !== 'object') return undefined;
    if (Array.isArray(current)) {
      const out: unknown[] = [];
      for (const element of current) {
        const v = resolvePath(element, parts, i);
        if (v !== undefined) out.push(v);
      }
      return out;
    }
    current = (current as Doc)[parts[i] as string];
  }
  return current;
}

function fieldPath(path: string): Compiled {
  const parts = path.split('.');
  if (parts.some((part) => part === '' || part.startsWith('$'))) throw new NotCompiled(`field path ${path}`);
  if (parts.length === 1) {
    const key = parts[0] as string;
    return (current) => (current !== null && typeof current === 'object' && !Array.isArray(current) ? (current as Doc)[key] : resolvePath(current, parts));
  }
  return (current) => resolvePath(current, parts);
}

function variable(path: string): Compiled {
  const [name = '', ...rest] = path.split('.');
  if (name === 'REMOVE') {
    if (rest.length > 0) throw new NotCompiled('$$REMOVE.path');
    return () => undefined;
  }
  // The native path never rebinds CURRENT, so ROOT is always the current document.
  if (name === 'CURRENT' || name === 'ROOT') return rest.length === 0 ? (current) => current : (current) => resolvePath(current, rest);
  if (name === 'NOW' || name === 'CLUSTER_TIME' || name === 'SEARCH_META' || name === 'USER_ROLES') throw new NotCompiled(`$$${name}`);
  return rest.length === 0 ? (_current, vars) => vars[name] : (_current, vars) => resolvePath(vars[name], rest);
}

function args(spec: unknown, count?: number): unknown[] {
  if (!Array.isArray(spec) || (count !== undefined && spec.length !== count)) throw new NotCompiled('arguments');
  return spec;
}

function objectArgs(spec: unknown, required: readonly string[], allowed: readonly string[]): Doc {
  if (!isPlainObject(spec)) throw new NotCompiled('arguments');
  for (const key of Object.keys(spec)) if (!allowed.includes(key)) throw new NotCompiled(`argument ${key}`);
  for (const key of required) if (!(key in spec)) throw new NotCompiled(`argument ${key}`);
  return spec;
}

function asName(v: unknown, fallback: string): string {
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !/^[a-z][A-Za-z0-9_]*$/.test(v)) throw new NotCompiled('variable name');
  return v;
}

/** A set of values as MongoDB's set operators see it: keyed by value (1 and 1.0 alike). */
function keysOf(values: readonly unknown[]): Set<string> {
  return new Set(values.map(valueKey));
}

type OperatorCompiler = (spec: unknown) => Compiled;

function numbersOrNull(values: unknown[]): number[] | null {
  for (const v of values) if (isNil(v)) return null;
  return values as number[];
}

const UNITS_MS: Readonly<Record<string, number>> = { millisecond: 1, second: 1_000, minute: 60_000, hour: 3_600_000, day: 86_400_000 };

const OPERATORS: Readonly<Record<string, OperatorCompiler>> = {
  $literal: (spec) => () => spec,
  $cond: (spec) => {
    const parts = Array.isArray(spec) ? args(spec, 3) : (({ if: i, then: t, else: e }: Doc) => [i, t, e])(objectArgs(spec, ['if', 'then', 'else'], ['if', 'then', 'else']));
    const [c, t, e] = parts.map(compileExpression) as [Compiled, Compiled, Compiled];
    return (current, vars) => (truthy(c(current, vars)) ? t(current, vars) : e(current, vars));
  },
  $ifNull: (spec) => {
    const parts = args(spec).map(compileExpression);
    if (parts.length < 2) throw new NotCompiled('$ifNull');
    return (current, vars) => {
      let value: unknown;
      for (const part of parts) {
        value = part(current, vars);
        if (!isNil(value)) return value;
      }
      return value;
    };
  },
  $eq: (spec) => {
    const [a, b] = args(spec, 2).map(compileExpression) as [Compiled, Compiled];
    return (current, vars) => expressionEq(a(current, vars), b(current, vars));
  },
  $ne: (spec) => {
    const [a, b] = args(spec, 2).map(compileExpression) as [Compiled, Compiled];
    return (current, vars) => !expressionEq(a(current, vars), b(current, vars));
  },
  $and: (spec) => {
    const parts = args(spec).map(compileExpression);
    return (current, vars) => parts.every((part) => truthy(part(current, vars)));
  },
  $or: (spec) => {
    const parts = args(spec).map(compileExpression);
    return (current, vars) => parts.some((part) => truthy(part(current, vars)));
  },
  $not: (spec) => {
    const [a] = (Array.isArray(spec) ? args(spec, 1) : [spec]).map(compileExpression) as [Compiled];
    return (current, vars) => !truthy(a(current, vars));
  },
  $add: (spec) => {
    const parts = args(spec).map(compileExpression);
    return (current, vars) => {
      const values = numbersOrNull(parts.map((part) => part(current, vars)));
      if (!values) return null;
      let sum = 0;
      let date = false;
      for (const v of values as unknown[]) {
        if (v instanceof Date) {
          date = true;
          sum += v.getTime();
        } else if (typeof v === 'number') sum += v;
        else throw new NotCompiled('$add of a non-number');
      }
      return date ? new Date(sum) : sum;
    };
  },
  $multiply: (spec) => {
    const parts = args(spec).map(compileExpression);
    return (current, vars) => {
      const values = numbersOrNull(parts.map((part) => part(current, vars)));
      if (!values) return null;
      let product = 1;
      for (const v of values) {
        if (typeof v !== 'number') throw new NotCompiled('$multiply of a non-number');
        product *= v;
      }
      return product;
    };
  },
  $subtract: (spec) => {
    const [a, b] = args(spec, 2).map(compileExpression) as [Compiled, Compiled];
    return (current, vars) => {
      const x = a(current, vars);
      const y = b(current, vars);
      if (isNil(x) || isNil(y)) return null;
      if (x instanceof Date && y instanceof Date) return x.getTime() - y.getTime();
      if (x instanceof Date && typeof y === 'number') return new Date(x.getTime() - y);
      if (typeof x === 'number' && typeof y === 'number') return x - y;
      throw new NotCompiled('$subtract of these types');
    };
  },
  $divide: (spec) => {
    const [a, b] = args(spec, 2).map(compileExpression) as [Compiled, Compiled];
    return (current, vars) => {
      const x = a(current, vars);
      const y = b(current, vars);
      if (isNil(x) || isNil(y)) return null;
      if (typeof x !== 'number' || typeof y !== 'number' || y === 0) throw new NotCompiled('$divide of these values');
      return x / y;
    };
  },
  $floor: (spec) => {
    const [a] = (Array.isArray(spec) ? args(spec, 1) : [spec]).map(compileExpression) as [Compiled];
    return (current, vars) => {
      const x = a(current, vars);
      if (isNil(x)) return null;
      if (typeof x !== 'number') throw new NotCompiled('$floor of a non-number');
      return Math.floor(x);
    };
  },
  $size: (spec) => {
    const [a] = (Array.isArray(spec) ? args(spec, 1) : [spec]).map(compileExpression) as [Compiled];
    return (current, vars) => {
      const x = a(current, vars);
      if (isNil(x)) return null;
      if (!Array.isArray(x)) throw new NotCompiled('$size of a non-array');
      return x.length;
    };
  },
  $arrayElemAt: (spec) => {
    const [a, b] = args(spec, 2).map(compileExpression) as [Compiled, Compiled];
    return (current, vars) => {
      const array = a(current, vars);
      const index = b(current, vars);
      if (isNil(array) || isNil(index)) return null;
      if (!Array.isArray(array) || typeof index !== 'number' || !Number.isInteger(index)) throw new NotCompiled('$arrayElemAt of these values');
      if (index < 0 && -index <= array.length) return array[index + array.length];
      return index >= 0 && index < array.length ? array[index] : undefined;
    };
  },
  $filter: (spec) => {
    const o = objectArgs(spec, ['input', 'cond'], ['input', 'cond', 'as', 'limit']);
    const input = compileExpression(o.input);
    const cond = compileExpression(o.cond);
    const name = asName(o.as, 'this');
    if (o.limit !== undefined && (typeof o.limit !== 'number' || !Number.isInteger(o.limit) || o.limit < 1)) throw new NotCompiled('$filter limit');
    const limit = o.limit as number | undefined;
    return (current, vars) => {
      const array = input(current, vars);
      if (isNil(array)) return null;
      if (!Array.isArray(array)) throw new NotCompiled('$filter of a non-array');
      const max = limit ?? Math.max(array.length, 1);
      const out: unknown[] = [];
      const scope: Record<string, unknown> = { ...vars };
      for (let i = 0; i < array.length && out.length < max; i++) {
        scope[name] = array[i];
        if (truthy(cond(current, scope))) out.push(array[i]);
      }
      return out;
    };
  },
  $map: (spec) => {
    const o = objectArgs(spec, ['input', 'in'], ['input', 'in', 'as']);
    const input = compileExpression(o.input);
    const each = compileExpression(o.in);
    const name = asName(o.as, 'this');
    return (current, vars) => {
      const array = input(current, vars);
      if (isNil(array)) return null;
      if (!Array.isArray(array)) throw new NotCompiled('$map of a non-array');
      const scope: Record<string, unknown> = { ...vars };
      return array.map((element) => {
        scope[name] = element;
        return each(current, scope);
      });
    };
  },
  $objectToArray: (spec) => {
    const [a] = (Array.isArray(spec) ? args(spec, 1) : [spec]).map(compileExpression) as [Compiled];
    return (current, vars) => {
      const value = a(current, vars);
      if (isNil(value)) return null;
      if (!isPlainObject(value)) throw new NotCompiled('$objectToArray of a non-object');
      return Object.keys(value).map((k) => ({ k, v: value[k] }));
    };
  },
  $setIsSubset: (spec) => {
    const [a, b] = args(spec, 2).map(compileExpression) as [Compiled, Compiled];
    return (current, vars) => {
      const first = a(current, vars);
      const second = b(current, vars);
      if (!Array.isArray(first) || !Array.isArray(second)) throw new NotCompiled('$setIsSubset of a non-array');
      if (first.length === 0) return true;
      const keys = keysOf(second);
      return first.every((v) => keys.has(valueKey(v)));
    };
  },
  $setEquals: (spec) => {
    const parts = args(spec).map(compileExpression);
    if (parts.length < 2) throw new NotCompiled('$setEquals');
    return (current, vars) => {
      const arrays = parts.map((part) => part(current, vars));
      if (!arrays.every(Array.isArray)) throw new NotCompiled('$setEquals of a non-array');
      const [first, ...rest] = arrays as unknown[][];
      const keys = keysOf(first as unknown[]);
      return rest.every((array) => {
        const seen = new Set<string>();
        for (const v of array) {
          const key = valueKey(v);
          if (!keys.has(key)) return false;
          seen.add(key);
        }
        return seen.size === keys.size;
      });
    };
  },
  $switch: (spec) => {
    const o = objectArgs(spec, ['branches'], ['branches', 'default']);
    const branches = args(o.branches).map((branch) => {
      const b = objectArgs(branch, ['case', 'then'], ['case', 'then']);
      return { when: compileExpression(b.case), then: compileExpression(b.then) };
    });
    if (!('default' in o)) throw new NotCompiled('$switch without a default');
    const otherwise = compileExpression(o.default);
    return (current, vars) => {
      for (const branch of branches) if (truthy(branch.when(current, vars))) return branch.then(current, vars);
      return otherwise(current, vars);
    };
  },
  $let: (spec) => {
    const o = objectArgs(spec, ['vars', 'in'], ['vars', 'in']);
    if (!isPlainObject(o.vars)) throw new NotCompiled('$let vars');
    const defined = Object.entries(o.vars).map(([name, value]) => [asName(name, ''), compileExpression(value)] as const);
    const body = compileExpression(o.in);
    return (current, vars) => {
      const scope: Record<string, unknown> = { ...vars };
      for (const [name, value] of defined) scope[name] = value(current, vars);
      return body(current, scope);
    };
  },
  $type: (spec) => {
    const [a] = (Array.isArray(spec) ? args(spec, 1) : [spec]).map(compileExpression) as [Compiled];
    return (current, vars) => {
      const v = a(current, vars);
      if (v === undefined) return 'missing';
      if (typeof v === 'number') return v % 1 !== 0 ? 'double' : v >= -2147483648 && v <= 2147483647 ? 'int' : 'long';
      const name = bsonTypeName(v);
      if (name === 'object' || name === 'array' || name === 'null' || name === 'string' || name === 'bool' || name === 'date') return name;
      throw new NotCompiled(`$type of a ${name}`);
    };
  },
  $getField: (spec) => {
    if (typeof spec === 'string') throw new NotCompiled('$getField shorthand');
    const o = objectArgs(spec, ['field'], ['field', 'input']);
    const field = isPlainObject(o.field) && typeof o.field.$literal === 'string' ? o.field.$literal : o.field;
    if (typeof field !== 'string' || field.startsWith('$')) throw new NotCompiled('$getField field');
    const input = o.input === undefined ? undefined : compileExpression(o.input);
    return (current, vars) => {
      // As mingo: a null or missing input reads the field of the current document.
      const from = input ? (input(current, vars) ?? current) : current;
      return from !== null && typeof from === 'object' ? (from as Doc)[field] : undefined;
    };
  },
  $dateTrunc: (spec) => {
    const o = objectArgs(spec, ['date', 'unit'], ['date', 'unit']);
    const date = compileExpression(o.date);
    const unit = o.unit;
    if (typeof unit !== 'string' || !['year', 'month', 'day', 'hour', 'minute', 'second', 'millisecond'].includes(unit)) throw new NotCompiled('$dateTrunc unit');
    return (current, vars) => {
      const d = date(current, vars);
      if (isNil(d)) return null;
      if (!(d instanceof Date)) throw new NotCompiled('$dateTrunc of a non-date');
      if (unit === 'year') return new Date(Date.UTC(d.getUTCFullYear(), 0, 1));
      if (unit === 'month') return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
      const step = UNITS_MS[unit] as number;
      return new Date(Math.floor(d.getTime() / step) * step);
    };
  },
};

/** Compiles an aggregation expression, or throws NotCompiled when it uses what the native path does not know. */
export function compileExpression(spec: unknown): Compiled {
  if (typeof spec === 'string') {
    if (spec.startsWith('$$')) return variable(spec.slice(2));
    if (spec.startsWith('$')) return fieldPath(spec.slice(1));
    return () => spec;
  }
  if (Array.isArray(spec)) {
    const parts = spec.map(compileExpression);
    return (current, vars) => parts.map((part) => part(current, vars));
  }
  if (isPlainObject(spec)) {
    const keys = Object.keys(spec);
    const first = keys[0];
    if (first !== undefined && first.startsWith('$')) {
      const operator = OPERATORS[first];
      if (keys.length !== 1 || !operator) throw new NotCompiled(`operator ${first}`);
      return operator(spec[first]);
    }
    if (keys.some((key) => key.startsWith('$') || key.includes('.'))) throw new NotCompiled('object expression');
    const fields = keys.map((key) => [key, compileExpression(spec[key])] as const);
    return (current, vars) => {
      const out: Doc = {};
      for (const [key, value] of fields) {
        const v = value(current, vars);
        if (v !== undefined) out[key] = v;
      }
      return out;
    };
  }
  // Numbers, booleans, null, dates, ObjectIds...: constants.
  return () => spec;
}
