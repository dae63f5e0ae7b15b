import { formatMinutes, formatPence, hourlyAmountPence, parsePounds, payForTime, ratesOn, sumPence } from './pay';

const rates = { hourlyPence: 2000, halfDayPence: 7500, dayPence: 14000 };

describe('time paid by the hour, to the minute, rounded half up to the penny', () => {
  test('1 minute at £20.00 an hour is 33p (33.33p rounds down)', () => {
    expect(hourlyAmountPence(1, 2000)).toBe(33);
  });

  test('59 minutes at £20.00 an hour is £19.67 (1966.67p rounds up)', () => {
    expect(hourlyAmountPence(59, 2000)).toBe(1967);
  });

  test('an exact half penny rounds up: 1 minute at £0.30 an hour is 0.5p, paid as 1p', () => {
    expect(hourlyAmountPence(1, 30)).toBe(1);
    // And just under a half rounds down: 1 minute at £0.29 an hour is 0.483p.
    expect(hourlyAmountPence(1, 29)).toBe(0);
  });

  test('whole hours are exact', () => {
    expect(hourlyAmountPence(60, 2000)).toBe(2000);
    expect(hourlyAmountPence(150, 1999)).toBe(4998); // 4997.5 -> 4998
  });

  test('refuses fractions and negative numbers rather than rounding them away', () => {
    expect(() => hourlyAmountPence(1.5, 2000)).toThrow(RangeError);
    expect(() => hourlyAmountPence(10, 20.5)).toThrow(RangeError);
    expect(() => hourlyAmountPence(-1, 2000)).toThrow(RangeError);
  });
});

describe('half-day and day bands', () => {
  test('under 3 hours is by the hour, even when the half-day rate is higher', () => {
    expect(payForTime(179, rates)).toEqual({ amountPence: 5967, basis: 'hourly' });
  });

  test('exactly 3 hours reaches the half-day band', () => {
    expect(payForTime(180, rates)).toEqual({ amountPence: 7500, basis: 'half-day' });
  });

  test('within the half-day band, by the hour once that pays more (4 hours 1 minute)', () => {
    expect(payForTime(241, rates)).toEqual({ amountPence: 8033, basis: 'hourly' });
  });

  test('exactly 6 hours reaches the day band; 5 hours 59 minutes is by the hour', () => {
    expect(payForTime(359, rates)).toEqual({ amountPence: 11967, basis: 'hourly' });
    expect(payForTime(360, rates)).toEqual({ amountPence: 14000, basis: 'day' });
  });

  test('a long day pays by the hour once that is more than the day rate', () => {
    expect(payForTime(720, rates)).toEqual({ amountPence: 24000, basis: 'hourly' });
  });

  test('more time never pays less, minute by minute', () => {
    let previous = 0;
    for (let minutes = 1; minutes <= 720; minutes += 1) {
      const { amountPence } = payForTime(minutes, rates);
      expect(amountPence).toBeGreaterThanOrEqual(previous);
      previous = amountPence;
    }
  });
});

describe('sums and amounts typed as pounds', () => {
  test('expenses sum exactly in pence (0.10 + 0.20 is 0.30, not 0.30000000000000004)', () => {
    const typed = ['0.10', '0.20', '12.5', '£1,234.05'].map((text) => parsePounds(text) ?? -1);
    expect(typed).toEqual([10, 20, 1250, 123405]);
    expect(sumPence(typed)).toBe(124685);
    expect(formatPence(sumPence(typed))).toBe('£1,246.85');
  });

  test('refuses amounts that are not money', () => {
    for (const text of ['', 'abc', '1.234', '-5', '1e3', '12.', '.5', '99999999']) expect(parsePounds(text)).toBeUndefined();
  });

  test('sumPence refuses a float', () => {
    expect(() => sumPence([10, 0.5])).toThrow(RangeError);
  });

  test('formats pence and minutes for people', () => {
    expect(formatPence(5)).toBe('£0.05');
    expect(formatPence(123456, { symbol: false, grouping: false })).toBe('1234.56');
    expect(formatMinutes(1)).toBe('1 minute');
    expect(formatMinutes(60)).toBe('1 hour');
    expect(formatMinutes(150)).toBe('2 hours 30 minutes');
  });
});

describe('the dated rate card', () => {
  const day = (text: string): Date => new Date(`${text}T00:00:00Z`);
  const card = [
    { effectiveFrom: day('2026-01-01'), ...rates },
    { effectiveFrom: day('2026-07-01'), hourlyPence: 2200, halfDayPence: 8000, dayPence: 15000 },
  ];

  test('the rate for a day is the one with the latest start on or before it', () => {
    expect(ratesOn(card, day('2026-06-30'))?.hourlyPence).toBe(2000);
    expect(ratesOn(card, day('2026-07-01'))?.hourlyPence).toBe(2200);
    expect(ratesOn(card, day('2027-01-01'))?.hourlyPence).toBe(2200);
  });

  test('no rate before the first start date', () => {
    expect(ratesOn(card, day('2025-12-31'))).toBeUndefined();
  });
});
