/**
 * Reading a submitted form with a zod schema. Only the fields the schema names are read, and only as strings
 * (or lists of strings): an object such as `email[$ne]=x` never reaches a service or a query.
 * A failed form gives a message per field, and the values to show again (never passwords).
 */
import type { z } from 'zod';

export type FormValues = Record<string, string | string[]>;

export type FormResult<T> = { ok: true; data: T } | { ok: false; errors: Record<string, string>; values: FormValues };

/** The raw text the person typed, to keep in the form when it comes back with errors. */
export function keptValues(body: unknown, fields: readonly string[]): FormValues {
  const input = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const values: FormValues = {};
  for (const field of fields) {
    if (/password/i.test(field)) continue;
    const value = input[field];
    if (typeof value === 'string') values[field] = value;
    else if (Array.isArray(value)) values[field] = value.filter((item): item is string => typeof item === 'string');
  }
  return values;
}

/** One plain-language message per field: the first problem found. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? 'form');
    errors[field] ??= issue.message;
  }
  return errors;
}

export function parseForm<S extends z.ZodType<object>>(schema: S, body: unknown, fields: readonly string[]): FormResult<z.output<S>> {
  const input = typeof body === 'object' && body !== null ? body : {};
  const parsed = schema.safeParse(input);
  if (parsed.success) return { ok: true, data: parsed.data };
  return { ok: false, errors: fieldErrors(parsed.error), values: keptValues(body, fields) };
}
