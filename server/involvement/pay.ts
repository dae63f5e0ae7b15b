/**
 * The pay rules of paid involvement: pure functions over integers, no I/O, unit tested beside this file.
 *
 * Money is whole pence (integers) everywhere: stored, summed and compared as pence, typed and shown as pounds.
 * Nothing is ever a float of pounds, so no sum can drift by a fraction of a penny.
 *
 * The rule for time (shown on the involvement pages in the same words, see PAY_RULE_LINES):
 *   1. Time is paid by the hour, worked out by the minute: minutes x hourly rate / 60, rounded to the nearest
 *      penny, with an exact half penny rounded up.
 *   2. A session of 3 hours (180 minutes) or more is paid at least the half-day rate.
 *   3. A session of 6 hours (360 minutes) or more is paid at least the day rate.
 *   So the amount is the larger of the hourly amount and the band the session reaches: more time never pays less,
 *   and a long session is never paid less than by the hour.
 * Expenses are added as typed, to the penny.
 *
 * Rates come from a dated rate card: the rate for a date is the one with the latest start date on or before it.
 * An entry keeps the rate it was worked out with, so a later change to the card never rewrites it.
 */

export const HALF_DAY_MINUTES = 180;
export const DAY_MINUTES = 360;
/** The longest session one entry may hold (a long day); longer work is logged as more than one entry. */
export const MAX_ENTRY_MINUTES = 720;
/** The largest amount one expense or one rate may be (£10,000), a guard against a typing slip. */
export const MAX_PENCE = 1_000_000;

export interface Rates {
  hourlyPence: number;
  halfDayPence: number;
  dayPence: number;
}

export interface DatedRates extends Rates {
  /** The first day (UTC midnight) these rates apply to. */
  effectiveFrom: Date;
}

export type PayBasis = 'hourly' | 'half-day' | 'day';

export interface TimePay {
  amountPence: number;
  basis: PayBasis;
}

export const PAY_RULE_LINES: readonly string[] = [
  'Time is paid by the hour, worked out to the minute. We round to the nearest penny (half a penny rounds up).',
  'A session of 3 hours or more is paid at least the half-day rate.',
  'A session of 6 hours or more is paid at least the day rate.',
  'Expenses are added as you enter them, to the penny.',
  'An entry keeps the rate it was worked out with. A new rate applies only from its start date.',
];

function assertWholeNonNegative(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} must be a whole number of 0 or more, not ${value}`);
}

/**
 * minutes x hourly / 60 in pence, nearest penny, half up. Integer arithmetic only: (m * h + 30) / 60 floored
 * is exact for whole numbers (the products stay far below 2^53 for the limits above).
 */
export function hourlyAmountPence(minutes: number, hourlyPence: number): number {
  assertWholeNonNegative(minutes, 'Minutes');
  assertWholeNonNegative(hourlyPence, 'The hourly rate');
  return Math.floor((minutes * hourlyPence + 30) / 60);
}

/** What a session of this many minutes is paid at these rates, and why (the basis shown beside the amount). */
export function payForTime(minutes: number, rates: Rates): TimePay {
  const hourly = hourlyAmountPence(minutes, rates.hourlyPence);
  let best: TimePay = { amountPence: hourly, basis: 'hourly' };
  if (minutes >= HALF_DAY_MINUTES && rates.halfDayPence > best.amountPence) best = { amountPence: rates.halfDayPence, basis: 'half-day' };
  if (minutes >= DAY_MINUTES && rates.dayPence > best.amountPence) best = { amountPence: rates.dayPence, basis: 'day' };
  return best;
}

/** The sum of amounts in pence; refuses anything that is not whole pence (a float would be a bug upstream). */
export function sumPence(amounts: readonly number[]): number {
  let total = 0;
  for (const amount of amounts) {
    assertWholeNonNegative(amount, 'An amount');
    total += amount;
  }
  return total;
}

/** The rates that apply on a day: the latest start date on or before it, or undefined when none has started. */
export function ratesOn<T extends DatedRates>(card: readonly T[], day: Date): T | undefined {
  let found: T | undefined;
  for (const rates of card) {
    if (rates.effectiveFrom.getTime() <= day.getTime() && (!found || rates.effectiveFrom.getTime() > found.effectiveFrom.getTime())) found = rates;
  }
  return found;
}

/**
 * Pounds as a person types them ("12", "12.5", "12.50", "£1,234.05") to whole pence, read as text so no float is
 * ever involved; undefined when it is not an amount of money.
 */
export function parsePounds(text: string): number | undefined {
  const cleaned = text.trim().replace(/^£\s*/, '').replace(/,(?=\d{3}(\D|$))/g, '');
  const match = /^(\d{1,7})(?:\.(\d{1,2}))?$/.exec(cleaned);
  if (!match) return undefined;
  const pounds = Number(match[1]);
  const pence = match[2] === undefined ? 0 : Number(match[2].padEnd(2, '0'));
  return pounds * 100 + pence;
}

/** Whole pence as pounds for a page or a spreadsheet: 123456 -> "1,234.56" (with `£` when asked). */
export function formatPence(pence: number, options: { symbol?: boolean; grouping?: boolean } = {}): string {
  assertWholeNonNegative(pence, 'An amount');
  const pounds = Math.floor(pence / 100);
  const rest = String(pence % 100).padStart(2, '0');
  const whole = options.grouping === false ? String(pounds) : pounds.toLocaleString('en-GB');
  return `${options.symbol === false ? '' : '£'}${whole}.${rest}`;
}

/** Minutes as a person reads them: 1 -> "1 minute", 90 -> "1 hour 30 minutes". */
export function formatMinutes(minutes: number): string {
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  const parts: string[] = [];
  if (hours > 0) parts.push(`${hours} ${hours === 1 ? 'hour' : 'hours'}`);
  if (rest > 0 || hours === 0) parts.push(`${rest} ${rest === 1 ? 'minute' : 'minutes'}`);
  return parts.join(' ');
}

export const BASIS_LABELS: Readonly<Record<PayBasis, string>> = { hourly: 'by the hour', 'half-day': 'half-day rate', day: 'day rate' };
