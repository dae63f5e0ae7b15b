/**
 * View models of the involvement pages and the finance export: plain objects with exactly what is shown, already
 * formatted (pounds from pence, days, plain words). Nothing here reads the database.
 */
import type { Activity, EntryStatus, ExpenseKind, PaymentChoice } from './model';
import { ACTIVITIES, PAYMENT_CHOICES } from './model';
import { BASIS_LABELS, formatMinutes, formatPence, type DatedRates } from './pay';
import type { EntryPermissions, EntryView, RateCardRow, Totals } from './service';

export const ACTIVITY_LABELS: Readonly<Record<Activity, string>> = {
  workshop: 'Workshop',
  writing: 'Writing',
  recording: 'Recording',
  review: 'Reviewing',
  'co-delivery': 'Delivering training together',
};

export const EXPENSE_LABELS: Readonly<Record<ExpenseKind, string>> = { travel: 'Travel', care: 'Carer or childcare cover' };

export const CHOICE_LABELS: Readonly<Record<PaymentChoice, string>> = {
  paid: 'Paid money',
  voucher: 'A voucher instead of money',
  declined: 'No payment',
};

const CHOICE_HINTS: Readonly<Record<PaymentChoice, string>> = {
  paid: 'We pay you money for your time and expenses.',
  voucher: 'We give you a shopping voucher of the same value.',
  declined: 'We record your time to thank and credit you. We pay nothing, including expenses.',
};

export function statusLabel(status: EntryStatus, choice: PaymentChoice): string {
  if (status === 'logged') return 'Waiting for approval';
  if (status === 'approved') return choice === 'declined' ? 'Approved' : choice === 'voucher' ? 'Approved, voucher to come' : 'Approved, payment to come';
  if (status === 'paid') return choice === 'declined' ? 'Closed, no payment' : choice === 'voucher' ? 'Voucher given' : 'Paid';
  return 'Not approved';
}

const dayText = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

export function formatDay(date: Date): string {
  return dayText.format(date);
}

/** A day as a date input holds it: YYYY-MM-DD (UTC). */
export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function choiceOptions() {
  return PAYMENT_CHOICES.map((choice) => ({ value: choice, text: CHOICE_LABELS[choice], hint: CHOICE_HINTS[choice] }));
}

export function activityOptions() {
  return ACTIVITIES.map((activity) => ({ value: activity, text: ACTIVITY_LABELS[activity] }));
}

export function ratesView(rates: DatedRates | RateCardRow) {
  return {
    from: formatDay(rates.effectiveFrom),
    hourly: formatPence(rates.hourlyPence),
    halfDay: formatPence(rates.halfDayPence),
    day: formatPence(rates.dayPence),
  };
}

export function entryRow(entry: EntryView) {
  return {
    id: entry.id,
    href: `/involvement/entries/${entry.id}`,
    person: entry.personName,
    date: formatDay(entry.date),
    activity: ACTIVITY_LABELS[entry.activity],
    time: formatMinutes(entry.minutes),
    timeAmount: formatPence(entry.timePence),
    expenses: formatPence(entry.expensesPence),
    total: formatPence(entry.totalPence),
    choice: CHOICE_LABELS[entry.paymentChoice],
    status: statusLabel(entry.status, entry.paymentChoice),
    statusKey: entry.status,
  };
}

export function entryPage(entry: EntryView, permissions: EntryPermissions) {
  return {
    ...entryRow(entry),
    course: entry.courseTitle,
    module: entry.module,
    notes: entry.notes,
    loggedBy: entry.loggedById === entry.personId ? null : entry.loggedByName,
    rate: ratesView(entry.rate),
    basis: BASIS_LABELS[entry.basis],
    expenseLines: entry.expenses.map((expense) => ({ kind: EXPENSE_LABELS[expense.kind], amount: formatPence(expense.amountPence), note: expense.note })),
    receipts: entry.receipts.map((receipt) => ({
      fileName: receipt.fileName,
      expense: EXPENSE_LABELS[receipt.expense],
      href: `/involvement/entries/${entry.id}/receipts/${receipt.assetId}`,
      removeAction: `/involvement/entries/${entry.id}/receipts/${receipt.assetId}/remove`,
    })),
    approvedBy: entry.approvedByName,
    approvedAt: entry.approvedAt ? formatDay(entry.approvedAt) : null,
    paidAt: entry.paidAt ? formatDay(entry.paidAt) : null,
    rejectedBy: entry.rejectedByName,
    rejectedAt: entry.rejectedAt ? formatDay(entry.rejectedAt) : null,
    rejectionReason: entry.rejectionReason,
    ...permissions,
  };
}

export function totalsView(totals: Totals) {
  return {
    monthTime: formatMinutes(totals.monthMinutes),
    month: formatPence(totals.monthPence),
    yearTime: formatMinutes(totals.yearMinutes),
    year: formatPence(totals.yearPence),
    unpaid: formatPence(totals.unpaidPence),
  };
}

/** Values for the entry form from a stored entry (for the edit page). */
export function entryFormValues(entry: EntryView): Record<string, string> {
  const travel = entry.expenses.find((expense) => expense.kind === 'travel');
  const care = entry.expenses.find((expense) => expense.kind === 'care');
  const pounds = (pence: number | undefined): string => (pence ? formatPence(pence, { symbol: false, grouping: false }) : '');
  return {
    date: isoDay(entry.date),
    activity: entry.activity,
    hours: String(Math.floor(entry.minutes / 60)),
    minutes: String(entry.minutes % 60),
    courseId: entry.courseId ?? '',
    module: entry.module,
    notes: entry.notes,
    travel: pounds(travel?.amountPence),
    travelNote: travel?.note ?? '',
    care: pounds(care?.amountPence),
    careNote: care?.note ?? '',
  };
}

/**
 * The finance team's CSV for a period: one row per approved or paid entry, then a total row. Money as pounds with
 * two decimals (from whole pence, no float). Cash is paid only to people who chose money: for a voucher the
 * amount is in the voucher column and cash is 0.00; for a declined payment both are 0.00.
 */
export function financeTable(entries: EntryView[]): string[][] {
  const money = (pence: number): string => formatPence(pence, { symbol: false, grouping: false });
  const header = [
    'Entry',
    'Date',
    'Person',
    'Email',
    'Activity',
    'Minutes',
    'Course',
    'Module',
    'Rate basis',
    'Hourly rate (GBP)',
    'Value of time (GBP)',
    'Travel (GBP)',
    'Carer or childcare cover (GBP)',
    'Payment choice',
    'Cash (GBP)',
    'Voucher value (GBP)',
    'Status',
    'Approved by',
    'Approved on',
    'Paid on',
  ];
  let cash = 0;
  let vouchers = 0;
  const rows = entries.map((entry) => {
    const cashPence = entry.paymentChoice === 'paid' ? entry.totalPence : 0;
    const voucherPence = entry.paymentChoice === 'voucher' ? entry.totalPence : 0;
    cash += cashPence;
    vouchers += voucherPence;
    const expense = (kind: ExpenseKind): number => entry.expenses.filter((line) => line.kind === kind).reduce((sum, line) => sum + line.amountPence, 0);
    return [
      entry.id,
      isoDay(entry.date),
      entry.personName,
      entry.personEmail,
      ACTIVITY_LABELS[entry.activity],
      String(entry.minutes),
      entry.courseTitle ?? '',
      entry.module,
      BASIS_LABELS[entry.basis],
      money(entry.rate.hourlyPence),
      money(entry.timePence),
      money(expense('travel')),
      money(expense('care')),
      entry.paymentChoice,
      money(cashPence),
      money(voucherPence),
      entry.status,
      entry.approvedByName ?? '',
      entry.approvedAt ? isoDay(entry.approvedAt) : '',
      entry.paidAt ? isoDay(entry.paidAt) : '',
    ];
  });
  const totalRow = header.map(() => '');
  totalRow[0] = 'Total';
  totalRow[14] = money(cash);
  totalRow[15] = money(vouchers);
  return [header, ...rows, totalRow];
}

export function financeSummary(entries: EntryView[]) {
  const sum = (choice: PaymentChoice, status: EntryStatus): number =>
    entries.filter((entry) => entry.paymentChoice === choice && entry.status === status).reduce((total, entry) => total + entry.totalPence, 0);
  return {
    count: entries.length,
    cashToPay: formatPence(sum('paid', 'approved')),
    cashPaid: formatPence(sum('paid', 'paid')),
    vouchersToGive: formatPence(sum('voucher', 'approved')),
    vouchersGiven: formatPence(sum('voucher', 'paid')),
    rows: entries.map(entryRow),
  };
}
