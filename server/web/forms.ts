/**
 * Reading a submitted form with a zod schema. Only the fields the schema names are read, and only as strings
 * (or lists of strings): an object such as `email[$ne]=x` never reaches a service or a query.
 * A failed form gives a message per field, and the values to show again (never passwords).
 * Also the fields and address parts every feature reads the same way: an email address, an ObjectId.
 */
import type { Request } from 'express';
import { z } from 'zod';
import { NotFound } from '../errors';

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

/** The one email address field of every form; `missing` is the message when it is left empty. */
export function emailField(missing = 'Enter an email address') {
  return z
    .string({ error: missing })
    .trim()
    .min(1, missing)
    .max(320, 'Email addresses are at most 320 characters')
    .pipe(z.email({ error: 'Enter an email address like name@example.org' }));
}

/** What a MongoDB ObjectId looks like in an address or a form: 24 lower-case hex digits. */
export const OBJECT_ID_PATTERN = /^[a-f0-9]{24}$/;

/** An id from the address (`/people/:id`); anything else is a page that does not exist. */
export function objectIdParam(req: Request, name: string): string {
  const value = req.params[name];
  if (typeof value !== 'string' || !OBJECT_ID_PATTERN.test(value)) throw new NotFound();
  return value;
}
