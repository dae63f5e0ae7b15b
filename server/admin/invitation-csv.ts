/**
 * Reading a CSV of people to invite. The first row names the columns: `email` (required), `roles` and `team`
 * (optional). Roles are separated by `;` or `|` and may use the words people say ("co-facilitator", "Trainer").
 *
 *   email,roles,team
 *   sam@example.org,learner,Day service
 *   jo@example.org,learner;co-facilitator,
 */
import { z } from 'zod';
import { ROLES, type Role } from '../people';

export const MAX_CSV_ROWS = 500;

export interface CsvInvitationRow {
  line: number;
  email: string;
  roles: Role[];
  teamName?: string;
}

export interface CsvRowProblem {
  line: number;
  text: string;
  problem: string;
}

export type CsvReadResult = { ok: true; rows: CsvInvitationRow[]; problems: CsvRowProblem[] } | { ok: false; problem: string };

/** Splits CSV text into rows of cells (RFC 4180: quotes, doubled quotes, commas and newlines inside quotes). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const input = text.replace(/^\uFEFF/, '');
  for (let index = 0; index < input.length; index += 1) {
    const character = input[index];
    if (quoted) {
      if (character === '"' && input[index + 1] === '"') {
        cell += '"';
        index += 1;
      } else if (character === '"') {
        quoted = false;
      } else {
        cell += character;
      }
    } else if (character === '"') {
      quoted = true;
    } else if (character === ',') {
      row.push(cell);
      cell = '';
    } else if (character === '\n' || character === '\r') {
      if (character === '\r' && input[index + 1] === '\n') index += 1;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else {
      cell += character;
    }
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows.filter((cells) => cells.some((value) => value.trim() !== ''));
}

const emailSchema = z.string().trim().toLowerCase().pipe(z.email());

function readRoles(text: string): Role[] | undefined {
  const words = text
    .split(/[;|]/)
    .map((word) => word.trim().toLowerCase().replace(/\s+/g, '-'))
    .filter((word) => word !== '');
  if (words.length === 0) return ['learner'];
  const roles = words.map((word) => (word === 'cofacilitator' ? 'co-facilitator' : word));
  return roles.every((role): role is Role => (ROLES as readonly string[]).includes(role)) ? [...new Set(roles)] : undefined;
}

export function readInvitationCsv(text: string): CsvReadResult {
  const rows = parseCsv(text);
  const header = rows[0]?.map((cell) => cell.trim().toLowerCase());
  if (!header || !header.includes('email')) {
    return { ok: false, problem: 'The first row must name the columns, and one of them must be "email".' };
  }
  if (rows.length - 1 > MAX_CSV_ROWS) {
    return { ok: false, problem: `The file has ${rows.length - 1} people. Send at most ${MAX_CSV_ROWS} at a time.` };
  }
  const column = (name: string): number => header.indexOf(name);
  const result: CsvInvitationRow[] = [];
  const problems: CsvRowProblem[] = [];
  rows.slice(1).forEach((cells, index) => {
    const line = index + 2;
    const cell = (name: string): string => (column(name) >= 0 ? (cells[column(name)] ?? '').trim() : '');
    const email = emailSchema.safeParse(cell('email'));
    const roles = readRoles(cell('roles'));
    const text = cells.join(',');
    if (!email.success) {
      problems.push({ line, text, problem: 'The email address is not valid.' });
      return;
    }
    if (!roles) {
      problems.push({ line, text, problem: `Roles must be from: ${ROLES.join(', ')}.` });
      return;
    }
    const teamName = cell('team');
    result.push({ line, email: email.data, roles, ...(teamName ? { teamName } : {}) });
  });
  if (result.length === 0 && problems.length === 0) return { ok: false, problem: 'The file has no people in it, only the first row.' };
  return { ok: true, rows: result, problems };
}
