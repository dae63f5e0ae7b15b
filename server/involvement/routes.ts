/**
 * Paid involvement pages, under /involvement. Learners are refused every one (403).
 *   GET  /                                      co-facilitator|trainer|admin  my log and totals (or the benefits note first)
 *   GET  /payment                               co-facilitator|trainer|admin  the note about benefits and my payment choice
 *   POST /payment                               co-facilitator|trainer|admin  save the choice (first time: confirm the note)
 *   GET  /entries/new, POST /entries            co-facilitator|trainer|admin  log involvement (trainers: for a co-facilitator)
 *   GET  /entries/:id                           co-facilitator|trainer|admin  one entry: amounts, receipts, decisions
 *   GET  /entries/:id/edit, POST /entries/:id   co-facilitator|trainer|admin  change it while it is waiting for approval
 *   POST /entries/:id/receipts                  co-facilitator|trainer|admin  multipart: _csrf, expense, receipt
 *   GET  /entries/:id/receipts/:assetId         co-facilitator|trainer|admin  the receipt, always as a download
 *   POST /entries/:id/receipts/:assetId/remove  co-facilitator|trainer|admin
 *   POST /entries/:id/approve | /reject          trainer|admin                 (not their own, not one they logged)
 *   POST /entries/:id/paid                      admin
 *   GET  /approvals                             trainer|admin                 entries to check, and approved ones to pay
 *   GET  /rates, POST /rates                    admin                         the dated rate card (audited)
 *   GET  /finance, GET /finance/export.csv      admin                         a period's approved entries; CSV (audited)
 * The service checks who may do what on each entry (./service.ts); a guard here only keeps out the wrong roles.
 */
import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
import { z } from 'zod';
import { Invalid } from '../errors';
import { toCsv } from '../reports/exports';
import type { Services } from '../services';
import { currentUser, requireRole } from '../web/access';
import type { WebTools } from '../web/feature-context';
import { keptValues, objectIdParam, parseForm, OBJECT_ID_PATTERN, type FormValues } from '../web/forms';
import { setFlash } from '../web/locals';
import { sendStoredFile } from '../media/send';
import { storageThrough } from '../web/upload';
import { ACTIVITIES, EXPENSE_KINDS, PAYMENT_CHOICES } from './model';
import { MAX_ENTRY_MINUTES, MAX_PENCE, PAY_RULE_LINES, parsePounds } from './pay';
import type { Actor, EntryInput } from './service';
import {
  activityOptions,
  choiceOptions,
  entryFormValues,
  entryPage,
  entryRow,
  EXPENSE_LABELS,
  financeSummary,
  financeTable,
  formatDay,
  isoDay,
  ratesView,
  totalsView,
  CHOICE_LABELS,
} from './views';

const involved = requireRole('co-facilitator', 'trainer', 'admin');
const checkers = requireRole('trainer', 'admin');
const adminOnly = requireRole('admin');

const ENTRY_FIELDS = ['personId', 'date', 'activity', 'hours', 'minutes', 'courseId', 'module', 'notes', 'travel', 'travelNote', 'care', 'careNote'] as const;

/** A day typed in a date input (YYYY-MM-DD), as UTC midnight; the calendar must know it (no 31 February). */
function dayField(missing: string) {
  return z
    .string({ error: missing })
    .trim()
    .min(1, missing)
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'Enter the date like 2026-03-31.')
    .transform((text, ctx) => {
      const date = new Date(`${text}T00:00:00Z`);
      if (Number.isNaN(date.getTime()) || isoDay(date) !== text) {
        ctx.addIssue({ code: 'custom', message: 'Enter a real date, like 2026-03-31.' });
        return z.NEVER;
      }
      return date;
    });
}

function wholeNumber(max: number, message: string) {
  return z
    .string()
    .trim()
    .transform((text, ctx) => {
      if (text === '') return 0;
      if (!/^\d{1,4}$/.test(text) || Number(text) > max) {
        ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      }
      return Number(text);
    });
}

function poundsField(message: string) {
  return z
    .string()
    .trim()
    .transform((text, ctx) => {
      if (text === '') return 0;
      const pence = parsePounds(text);
      if (pence === undefined || pence > MAX_PENCE) {
        ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      }
      return pence;
    });
}

const shortText = (max: number, what: string) => z.string().trim().max(max, `${what} can be up to ${max} characters.`).default('');

const entryForm = z
  .object({
    personId: z.string().trim().default(''),
    date: dayField('Enter the date of the work.'),
    activity: z.enum(ACTIVITIES, { error: 'Choose what you did.' }),
    hours: wholeNumber(12, 'Enter the hours as a whole number from 0 to 12.').default(0),
    minutes: wholeNumber(59, 'Enter the minutes as a whole number from 0 to 59.').default(0),
    courseId: z.string().trim().default(''),
    module: shortText(200, 'The module'),
    notes: shortText(1000, 'Notes'),
    travel: poundsField('Enter the travel cost in pounds and pence, like 12.50.').default(0),
    travelNote: shortText(200, 'The travel note'),
    care: poundsField('Enter the cost of cover in pounds and pence, like 30.00.').default(0),
    careNote: shortText(200, 'The note about cover'),
  })
  .superRefine((form, ctx) => {
    // zod runs this even when hours or minutes failed above; their own message is then the one shown.
    if (typeof form.hours !== 'number' || typeof form.minutes !== 'number') return;
    const total = form.hours * 60 + form.minutes;
    if (total < 1 || total > MAX_ENTRY_MINUTES) {
      ctx.addIssue({ code: 'custom', path: ['hours'], message: 'Enter how long you worked: at least 1 minute and at most 12 hours.' });
    }
    if (form.courseId && !OBJECT_ID_PATTERN.test(form.courseId)) ctx.addIssue({ code: 'custom', path: ['courseId'], message: 'Choose a course from the list.' });
  });

function toEntryInput(form: z.output<typeof entryForm>): EntryInput {
  return {
    personId: form.personId || undefined,
    date: form.date,
    activity: form.activity,
    minutes: form.hours * 60 + form.minutes,
    courseId: form.courseId || undefined,
    module: form.module,
    notes: form.notes,
    travelPence: form.travel,
    travelNote: form.travelNote,
    carePence: form.care,
    careNote: form.careNote,
  };
}

const paymentForm = z.object({
  paymentChoice: z.enum(PAYMENT_CHOICES, { error: 'Choose how you want to be paid.' }),
  confirmedNote: z.literal('yes').optional(),
});

const rejectForm = z.object({ reason: z.string({ error: 'Say why it is not approved.' }).trim().min(1, 'Say why it is not approved.').max(500, 'The reason can be up to 500 characters.') });

const ratesForm = z.object({
  effectiveFrom: dayField('Enter the day these rates start.'),
  hourly: poundsField('Enter the hourly rate in pounds and pence, like 20.00.'),
  halfDay: poundsField('Enter the half-day rate in pounds and pence, like 75.00.'),
  day: poundsField('Enter the day rate in pounds and pence, like 140.00.'),
}).superRefine((form, ctx) => {
  if (form.hourly === 0) ctx.addIssue({ code: 'custom', path: ['hourly'], message: 'Enter the hourly rate in pounds and pence, like 20.00.' });
});

const periodForm = z.object({ from: dayField('Enter the first day of the period.'), to: dayField('Enter the last day of the period.') }).superRefine((form, ctx) => {
  // zod runs this even when a date above failed (then it is not a Date): only compare two real dates.
  if (form.to instanceof Date && form.from instanceof Date && form.to.getTime() < form.from.getTime()) ctx.addIssue({ code: 'custom', path: ['to'], message: 'The last day must be on or after the first day.' });
});

const expenseField = z.enum(EXPENSE_KINDS);

function actorOf(req: Request): Actor {
  const user = currentUser(req);
  return { id: user.id, email: user.email, roles: user.roles, ip: req.ip };
}

export function involvementRouter({ involvement, media }: Pick<Services, 'involvement' | 'media'>, web: Pick<WebTools, 'upload'>): express.Router {
  const router = express.Router();

  router.get('/', involved, async (req, res) => {
    const actor = actorOf(req);
    const coFacilitator = actor.roles.includes('co-facilitator');
    const [profile, rates] = await Promise.all([involvement.profileOf(actor.id), involvement.currentRates()]);
    if (coFacilitator && !profile) {
      res.redirect(303, '/involvement/payment');
      return;
    }
    const [entries, totals] = coFacilitator ? await Promise.all([involvement.ownEntries(actor.id), involvement.totalsFor(actor.id)]) : [[], null];
    res.render('involvement/index', {
      title: 'Involvement',
      coFacilitator,
      isChecker: actor.roles.includes('trainer') || actor.roles.includes('admin'),
      isAdmin: actor.roles.includes('admin'),
      choice: profile ? CHOICE_LABELS[profile.paymentChoice] : null,
      paymentChoice: profile?.paymentChoice ?? null,
      rates: rates ? ratesView(rates) : null,
      rules: PAY_RULE_LINES,
      totals: totals ? totalsView(totals) : null,
      entries: entries.map(entryRow),
    });
  });

  const renderPayment = async (req: Request, res: Response, status: number, form: { values?: FormValues; errors?: Record<string, string> } = {}) => {
    const profile = await involvement.profileOf(currentUser(req).id);
    res.status(status).render('involvement/payment', {
      title: 'How you are paid',
      firstTime: !profile,
      noteReadOn: profile ? formatDay(profile.benefitsNoteReadAt) : null,
      values: form.values ?? { paymentChoice: profile?.paymentChoice ?? '' },
      errors: form.errors ?? {},
      options: choiceOptions(),
    });
  };

  router.get('/payment', involved, async (req, res) => renderPayment(req, res, 200));

  router.post('/payment', involved, async (req, res) => {
    const parsed = parseForm(paymentForm, req.body, ['paymentChoice', 'confirmedNote']);
    if (!parsed.ok) {
      await renderPayment(req, res, 422, parsed);
      return;
    }
    try {
      await involvement.setPaymentChoice(actorOf(req), { paymentChoice: parsed.data.paymentChoice, confirmedNote: parsed.data.confirmedNote === 'yes' });
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      await renderPayment(req, res, 422, { values: keptValues(req.body, ['paymentChoice', 'confirmedNote']), errors: error.fields });
      return;
    }
    setFlash(req, 'Your payment choice is saved.');
    res.redirect(303, '/involvement');
  });

  const renderEntryForm = async (
    req: Request,
    res: Response,
    status: number,
    form: { values: FormValues; errors?: Record<string, string>; entryId?: string },
  ) => {
    const actor = actorOf(req);
    const people = form.entryId ? [] : await involvement.peopleToLogFor(actor);
    const personId = typeof form.values.personId === 'string' && form.values.personId ? form.values.personId : actor.id;
    const courseList = await involvement.coursesFor(personId === actor.id || people.some((p) => p.id === personId) ? personId : actor.id);
    const rates = await involvement.currentRates();
    res.status(status).render('involvement/entry-form', {
      title: form.entryId ? 'Change this entry' : 'Log involvement',
      action: form.entryId ? `/involvement/entries/${form.entryId}` : '/involvement/entries',
      cancelHref: form.entryId ? `/involvement/entries/${form.entryId}` : '/involvement',
      editing: Boolean(form.entryId),
      people,
      canLogOwn: actor.roles.includes('co-facilitator'),
      values: form.values,
      errors: form.errors ?? {},
      activities: activityOptions(),
      courses: courseList,
      rates: rates ? ratesView(rates) : null,
      rules: PAY_RULE_LINES,
      expenseLabels: EXPENSE_LABELS,
    });
  };

  router.get('/entries/new', involved, async (req, res) => {
    const actor = actorOf(req);
    if (actor.roles.includes('co-facilitator') && !(await involvement.profileOf(actor.id))) {
      res.redirect(303, '/involvement/payment');
      return;
    }
    await renderEntryForm(req, res, 200, { values: { date: isoDay(new Date()), activity: 'workshop' } });
  });

  router.post('/entries', involved, async (req, res) => {
    const parsed = parseForm(entryForm, req.body, ENTRY_FIELDS);
    if (!parsed.ok) {
      await renderEntryForm(req, res, 422, parsed);
      return;
    }
    let entryId: string;
    try {
      entryId = await involvement.logEntry(actorOf(req), toEntryInput(parsed.data));
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      await renderEntryForm(req, res, 422, { values: keptValues(req.body, ENTRY_FIELDS), errors: error.fields });
      return;
    }
    setFlash(req, 'Your involvement is logged. A trainer will check it.');
    res.redirect(303, `/involvement/entries/${entryId}`);
  });

  const renderEntry = async (req: Request, res: Response, status: number, form: { values?: FormValues; errors?: Record<string, string> } = {}) => {
    const { entry, permissions } = await involvement.entryWithPermissions(actorOf(req), objectIdParam(req, 'id'));
    res.status(status).render('involvement/entry', {
      title: `Involvement on ${entryRow(entry).date}`,
      entry: entryPage(entry, permissions),
      isAdmin: currentUser(req).roles.includes('admin'),
      values: form.values ?? {},
      errors: form.errors ?? {},
      expenseOptions: EXPENSE_KINDS.map((kind) => ({ value: kind, text: EXPENSE_LABELS[kind] })),
      receiptLimitMb: Math.round(involvement.receiptLimitBytes() / (1024 * 1024)),
    });
  };

  router.get('/entries/:id', involved, async (req, res) => renderEntry(req, res, 200));

  router.get('/entries/:id/edit', involved, async (req, res) => {
    const { entry, permissions } = await involvement.entryWithPermissions(actorOf(req), objectIdParam(req, 'id'));
    if (!permissions.canEdit) {
      setFlash(req, 'This entry can no longer be changed.');
      res.redirect(303, `/involvement/entries/${entry.id}`);
      return;
    }
    await renderEntryForm(req, res, 200, { values: entryFormValues(entry), entryId: entry.id });
  });

  router.post('/entries/:id', involved, async (req, res) => {
    const entryId = objectIdParam(req, 'id');
    const parsed = parseForm(entryForm, req.body, ENTRY_FIELDS);
    if (!parsed.ok) {
      await renderEntryForm(req, res, 422, { ...parsed, entryId });
      return;
    }
    try {
      await involvement.updateEntry(actorOf(req), entryId, toEntryInput(parsed.data));
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      await renderEntryForm(req, res, 422, { values: keptValues(req.body, ENTRY_FIELDS), errors: error.fields, entryId });
      return;
    }
    setFlash(req, 'Your changes are saved.');
    res.redirect(303, `/involvement/entries/${entryId}`);
  });

  /** What each request stored, for its handler (Multer keeps only the id). */
  const storedReceipts = new WeakMap<Request, { assetId: string; fileName: string }>();
  const receiptUpload = web.upload.single('receipt', {
    accept: [],
    // The media service refuses a file over the receipt limit; this is Multer's outer bound, a little above it.
    maxFileBytes: () => involvement.receiptLimitBytes() + 1024 * 1024,
    storageChecksContent: true,
    storage: storageThrough(
      async (req, file) => {
        // The expense field comes before the file in the form, so it is parsed by now (like _csrf).
        const expense = expenseField.safeParse((req.body as Record<string, unknown> | undefined)?.expense);
        if (!expense.success) throw new Invalid({ expense: 'Choose what the receipt is for.' });
        const stored = await involvement.storeReceipt(actorOf(req), objectIdParam(req, 'id'), { stream: file.stream, originalName: file.originalname, field: file.fieldname });
        storedReceipts.set(req, stored);
        return { id: stored.assetId, mimetype: 'application/octet-stream', size: 0 };
      },
      (_req, id) => involvement.discardStoredReceipt(id),
    ),
  });

  /** A refused receipt re-shows the entry page with the message beside the file field. */
  const receiptRefused: ErrorRequestHandler = (error: unknown, req, res, next) => {
    if (!(error instanceof Invalid)) {
      next(error);
      return;
    }
    renderEntry(req, res, 422, { values: keptValues(req.body, ['expense']), errors: error.fields }).catch(next);
  };

  router.post(
    '/entries/:id/receipts',
    involved,
    ...receiptUpload,
    async (req: Request, res: Response) => {
      const entryId = objectIdParam(req, 'id');
      const stored = storedReceipts.get(req);
      const expense = expenseField.safeParse((req.body as Record<string, unknown> | undefined)?.expense);
      if (!stored) throw new Invalid(expense.success ? { receipt: 'Choose a file to upload.' } : { expense: 'Choose what the receipt is for.', receipt: 'Choose a file to upload.' });
      if (!expense.success) {
        await involvement.discardStoredReceipt(stored.assetId);
        throw new Invalid({ expense: 'Choose what the receipt is for.' });
      }
      await involvement.attachReceipt(actorOf(req), entryId, { ...stored, expense: expense.data });
      setFlash(req, 'The receipt is added.');
      res.redirect(303, `/involvement/entries/${entryId}`);
    },
    receiptRefused,
  );

  router.get('/entries/:id/receipts/:assetId', involved, async (req, res) => {
    const asset = await involvement.receiptFor(actorOf(req), objectIdParam(req, 'id'), objectIdParam(req, 'assetId'));
    // Always a download, never shown in the app's pages; and even opened directly it can run nothing.
    await sendStoredFile(req, res, media.storage, { ...asset, fileName: asset.originalName }, { download: true, cacheControl: 'private, no-store' });
  });

  router.post('/entries/:id/receipts/:assetId/remove', involved, async (req, res) => {
    const entryId = objectIdParam(req, 'id');
    await involvement.removeReceipt(actorOf(req), entryId, objectIdParam(req, 'assetId'));
    setFlash(req, 'The receipt is removed.');
    res.redirect(303, `/involvement/entries/${entryId}`);
  });

  router.post('/entries/:id/approve', checkers, async (req, res) => {
    const entryId = objectIdParam(req, 'id');
    await involvement.approve(actorOf(req), entryId);
    setFlash(req, 'The entry is approved.');
    res.redirect(303, `/involvement/entries/${entryId}`);
  });

  router.post('/entries/:id/reject', checkers, async (req, res) => {
    const entryId = objectIdParam(req, 'id');
    const parsed = parseForm(rejectForm, req.body, ['reason']);
    if (!parsed.ok) {
      await renderEntry(req, res, 422, parsed);
      return;
    }
    await involvement.reject(actorOf(req), entryId, parsed.data.reason);
    setFlash(req, 'The entry is marked as not approved. The person can see your reason.');
    res.redirect(303, `/involvement/entries/${entryId}`);
  });

  router.post('/entries/:id/paid', adminOnly, async (req, res) => {
    const entryId = objectIdParam(req, 'id');
    await involvement.markPaid(actorOf(req), entryId);
    setFlash(req, 'The entry is marked as paid.');
    res.redirect(303, `/involvement/entries/${entryId}`);
  });

  router.get('/approvals', checkers, async (req, res) => {
    const lists = await involvement.approvalsFor(actorOf(req));
    res.render('involvement/approvals', {
      title: 'Check involvement',
      waiting: (lists?.waiting ?? []).map(entryRow),
      approved: (lists?.approved ?? []).map(entryRow),
      isAdmin: currentUser(req).roles.includes('admin'),
    });
  });

  const renderRates = async (res: Response, status: number, form: { values?: FormValues; errors?: Record<string, string> } = {}) => {
    const card = await involvement.rateCard();
    const today = Date.now();
    const current = card.find((row) => row.effectiveFrom.getTime() <= today);
    res.status(status).render('involvement/rates', {
      title: 'Rate card',
      rows: card.map((row) => ({ ...ratesView(row), current: row === current, future: row.effectiveFrom.getTime() > today })),
      values: form.values ?? { effectiveFrom: isoDay(new Date()) },
      errors: form.errors ?? {},
      rules: PAY_RULE_LINES,
    });
  };

  router.get('/rates', adminOnly, async (_req, res) => renderRates(res, 200));

  router.post('/rates', adminOnly, async (req, res) => {
    const fields = ['effectiveFrom', 'hourly', 'halfDay', 'day'];
    const parsed = parseForm(ratesForm, req.body, fields);
    if (!parsed.ok) {
      await renderRates(res, 422, parsed);
      return;
    }
    try {
      await involvement.setRates(actorOf(req), {
        effectiveFrom: parsed.data.effectiveFrom,
        hourlyPence: parsed.data.hourly,
        halfDayPence: parsed.data.halfDay,
        dayPence: parsed.data.day,
      });
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      await renderRates(res, 422, { values: keptValues(req.body, fields), errors: error.fields });
      return;
    }
    setFlash(req, 'The new rates are saved.');
    res.redirect(303, '/involvement/rates');
  });

  router.get('/finance', adminOnly, async (req, res) => {
    const asked = typeof req.query.from === 'string' || typeof req.query.to === 'string';
    const parsed = asked ? parseForm(periodForm, req.query, ['from', 'to']) : null;
    const today = new Date();
    const values = parsed && !parsed.ok ? parsed.values : { from: asked ? String(req.query.from) : isoDay(new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1))), to: asked ? String(req.query.to) : isoDay(today) };
    const summary = parsed?.ok ? financeSummary(await involvement.periodEntries(actorOf(req), parsed.data)) : null;
    res.status(parsed && !parsed.ok ? 422 : 200).render('involvement/finance', {
      title: 'Involvement for the finance team',
      values,
      errors: parsed && !parsed.ok ? parsed.errors : {},
      summary,
      csvHref: parsed?.ok ? `/involvement/finance/export.csv?from=${isoDay(parsed.data.from)}&to=${isoDay(parsed.data.to)}` : null,
    });
  });

  router.get('/finance/export.csv', adminOnly, async (req, res) => {
    const parsed = parseForm(periodForm, req.query, ['from', 'to']);
    if (!parsed.ok) throw new Invalid(parsed.errors);
    const entries = await involvement.exportPeriod(actorOf(req), parsed.data);
    res
      .attachment(`involvement-${isoDay(parsed.data.from)}-to-${isoDay(parsed.data.to)}.csv`)
      .type('text/csv; charset=utf-8')
      .send(toCsv(financeTable(entries)));
  });

  return router;
}
