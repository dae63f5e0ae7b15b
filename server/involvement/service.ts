/**
 * Paid involvement: the rate card, each person's payment choice, the entries people log, their approval and
 * payment, receipts, and the finance team's export. Made once by the composition root (../services.ts).
 *
 * Who may do what (checked here, whatever the route's guard):
 * - Log: a co-facilitator for themselves; a trainer for a co-facilitator on the authoring team of a course the
 *   trainer is on; an admin for any co-facilitator. The person must first have read the note about benefits and
 *   chosen how they are paid (their payment choice is copied onto each entry).
 * - Change an entry or its receipts: whoever logged it, or the person it is for, only while it is `logged`.
 * - Approve or reject: a trainer for the people on their courses' authoring teams, or an admin for anyone; never
 *   an entry of their own, nor one they logged themselves (someone else always checks).
 * - Mark paid: an admin, for an approved entry not their own.
 * - See an entry and its receipts: the person, whoever logged it, those who may approve it, admins.
 * Every change of state is one conditional update with the expected state in its filter (never read, then write):
 * two trainers approving at once, or an edit racing an approval, cannot both win.
 */
import { Types } from 'mongoose';
import type { Readable } from 'node:stream';
import type { AuditService } from '../audit/service';
import type { CoursesService } from '../courses/service';
import { Conflict, Forbidden, Invalid, NotFound } from '../errors';
import type { MediaService, ServableAsset } from '../media/service';
import type { Role } from '../people';
import type { UsersService } from '../users/service';
import {
  InvolvementEntry,
  InvolvementProfile,
  RateCard,
  type Activity,
  type EntryDoc,
  type EntryStatus,
  type ExpenseKind,
  type PaymentChoice,
  type ProfileDoc,
  type RateCardDoc,
} from './model';
import { MAX_ENTRY_MINUTES, payForTime, ratesOn, sumPence, type DatedRates, type PayBasis } from './pay';

export const MAX_RECEIPTS_PER_ENTRY = 10;

/** The signed-in person acting, as the service needs them. */
export interface Actor {
  id: string;
  email: string;
  roles: readonly Role[];
  ip?: string;
}

export interface RateCardRow extends DatedRates {
  id: string;
  setAt: Date;
}

export interface PaymentProfile {
  paymentChoice: PaymentChoice;
  benefitsNoteReadAt: Date;
}

export interface EntryInput {
  /** Whom the entry is for; the actor themselves when absent. */
  personId?: string;
  /** The day of the work, UTC midnight. */
  date: Date;
  activity: Activity;
  minutes: number;
  courseId?: string;
  module: string;
  notes: string;
  travelPence: number;
  travelNote: string;
  carePence: number;
  careNote: string;
}

export interface EntryView {
  id: string;
  personId: string;
  personName: string;
  personEmail: string;
  loggedById: string;
  loggedByName: string;
  date: Date;
  activity: Activity;
  minutes: number;
  courseId: string | null;
  courseTitle: string | null;
  module: string;
  notes: string;
  rate: DatedRates;
  basis: PayBasis;
  timePence: number;
  expenses: Array<{ kind: ExpenseKind; amountPence: number; note: string }>;
  expensesPence: number;
  totalPence: number;
  receipts: Array<{ assetId: string; expense: ExpenseKind; fileName: string }>;
  paymentChoice: PaymentChoice;
  status: EntryStatus;
  approvedByName: string | null;
  approvedAt: Date | null;
  paidAt: Date | null;
  rejectedByName: string | null;
  rejectedAt: Date | null;
  rejectionReason: string;
}

export interface EntryPermissions {
  canEdit: boolean;
  canApprove: boolean;
  canMarkPaid: boolean;
  /** Why the actor may not approve, when they could otherwise (own entry, logged it themselves). */
  approveRefusal: string | null;
}

export interface Totals {
  monthMinutes: number;
  monthPence: number;
  yearMinutes: number;
  yearPence: number;
  /** Logged or approved, not yet paid (nor given as a voucher). */
  unpaidPence: number;
}

/** Who the actor may approve for: everyone (admin), the people of their courses' authoring teams, or nobody. */
type Scope = { all: true } | { all: false; people: Set<string> };

export interface InvolvementServiceDeps {
  audit: Pick<AuditService, 'recordAudit'>;
  users: Pick<UsersService, 'getPeopleByIds' | 'listPeople'>;
  courses: Pick<CoursesService, 'authoringTeamsWith' | 'courseTitlesByIds'>;
  media: Pick<MediaService, 'storeUpload' | 'discardUpload' | 'findReceipt' | 'storage' | 'uploadLimits'>;
  now?: () => Date;
}

const STATUS_WORDS: Record<EntryStatus, string> = { logged: 'waiting for approval', approved: 'approved', paid: 'paid', rejected: 'not approved' };

function oid(id: string): Types.ObjectId {
  return new Types.ObjectId(id);
}

function isObjectId(id: string | undefined): id is string {
  return typeof id === 'string' && Types.ObjectId.isValid(id) && String(new Types.ObjectId(id)) === id;
}

function isAdmin(actor: Actor): boolean {
  return actor.roles.includes('admin');
}

function isTrainer(actor: Actor): boolean {
  return actor.roles.includes('trainer');
}

export function startOfUtcMonth(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1));
}

export function startOfUtcYear(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), 0, 1));
}

function startOfUtcDay(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

function toRateRow(doc: RateCardDoc): RateCardRow {
  return { id: doc._id.toString(), effectiveFrom: doc.effectiveFrom, hourlyPence: doc.hourlyPence, halfDayPence: doc.halfDayPence, dayPence: doc.dayPence, setAt: doc.setAt };
}

export function createInvolvementService({ audit, users, courses, media, now = () => new Date() }: InvolvementServiceDeps) {
  async function rateCard(): Promise<RateCardRow[]> {
    const rows = await RateCard.find({}).sort({ effectiveFrom: -1 }).lean<RateCardDoc[]>();
    return rows.map(toRateRow);
  }

  /** The rates that apply today (what a person sees before logging). */
  async function currentRates(): Promise<RateCardRow | undefined> {
    return ratesOn(await rateCard(), now());
  }

  /** Adds a row to the rate card (admins). Earlier entries keep the rates they were worked out with. */
  async function setRates(actor: Actor, input: DatedRates): Promise<RateCardRow> {
    if (!isAdmin(actor)) throw new Forbidden('Only an admin can change the rate card.');
    try {
      const created = await RateCard.create({ ...input, effectiveFrom: startOfUtcDay(input.effectiveFrom), setBy: oid(actor.id), setAt: now() });
      await audit.recordAudit({
        action: 'involvement.rates-set',
        actor: { id: actor.id, email: actor.email },
        target: { type: 'rate-card', id: created._id.toString(), label: `Rates from ${created.effectiveFrom.toISOString().slice(0, 10)}` },
        details: { effectiveFrom: created.effectiveFrom.toISOString().slice(0, 10), hourlyPence: input.hourlyPence, halfDayPence: input.halfDayPence, dayPence: input.dayPence },
        ip: actor.ip,
      });
      return toRateRow(created.toObject() as RateCardDoc);
    } catch (error) {
      if ((error as { code?: number }).code === 11000) {
        throw new Invalid({ effectiveFrom: 'Rates already start on this day. Choose another day.' });
      }
      throw error;
    }
  }

  async function profileOf(userId: string): Promise<PaymentProfile | null> {
    if (!isObjectId(userId)) return null;
    const doc = await InvolvementProfile.findOne({ user: oid(userId) }).lean<ProfileDoc>();
    return doc ? { paymentChoice: doc.paymentChoice, benefitsNoteReadAt: doc.benefitsNoteReadAt } : null;
  }

  /**
   * Records how the person wants to be paid, and that they read the note about benefits (required the first time).
   * Their entries still `logged` take the new choice; approved and paid ones keep theirs.
   */
  async function setPaymentChoice(actor: Actor, input: { paymentChoice: PaymentChoice; confirmedNote: boolean }): Promise<void> {
    const existing = await profileOf(actor.id);
    if (!existing && !input.confirmedNote) {
      throw new Invalid({ confirmedNote: 'Tick the box to say you have read the note about benefits.' });
    }
    const at = now();
    await InvolvementProfile.updateOne(
      { user: oid(actor.id) },
      { $set: { paymentChoice: input.paymentChoice, updatedAt: at }, $setOnInsert: { benefitsNoteReadAt: at } },
      { upsert: true },
    );
    await InvolvementEntry.updateMany({ person: oid(actor.id), status: 'logged' }, { $set: { paymentChoice: input.paymentChoice } });
    if (existing?.paymentChoice !== input.paymentChoice) {
      await audit.recordAudit({
        action: 'involvement.payment-choice',
        actor: { id: actor.id, email: actor.email },
        target: { type: 'user', id: actor.id, label: actor.email },
        details: { from: existing?.paymentChoice ?? null, to: input.paymentChoice },
        ip: actor.ip,
      });
    }
  }

  async function scopeOf(actor: Actor): Promise<Scope | null> {
    if (isAdmin(actor)) return { all: true };
    if (!isTrainer(actor)) return null;
    const teams = await courses.authoringTeamsWith(actor.id);
    const people = new Set<string>();
    for (const team of teams) for (const member of team.members) if (member.userId !== actor.id) people.add(member.userId);
    return { all: false, people };
  }

  function inScope(scope: Scope | null, personId: string): boolean {
    return scope !== null && (scope.all || scope.people.has(personId));
  }

  /** The co-facilitators the actor may log for (themselves excluded), by name. */
  async function peopleToLogFor(actor: Actor): Promise<Array<{ id: string; name: string; email: string }>> {
    const scope = await scopeOf(actor);
    if (!scope) return [];
    const people = scope.all
      ? (await users.listPeople({ role: 'co-facilitator', status: 'active', page: 1, pageSize: 500 })).items
      : (await users.getPeopleByIds([...scope.people])).filter((person) => person.roles.includes('co-facilitator') && person.status === 'active');
    return people.filter((person) => person.id !== actor.id).map((person) => ({ id: person.id, name: person.name || person.email, email: person.email }));
  }

  /** Courses an entry may name: those on whose authoring team the person is. */
  async function coursesFor(personId: string): Promise<Array<{ id: string; title: string }>> {
    return (await courses.authoringTeamsWith(personId)).map((team) => ({ id: team.courseId, title: team.title }));
  }

  /** Works out an entry's rate and amounts, checking its person, date and course. */
  async function priced(personId: string, input: EntryInput) {
    const errors: Record<string, string> = {};
    const today = startOfUtcDay(now());
    if (input.date.getTime() > today.getTime()) errors.date = 'The date cannot be in the future.';
    if (!Number.isSafeInteger(input.minutes) || input.minutes < 1 || input.minutes > MAX_ENTRY_MINUTES) {
      errors.hours = `Enter between 1 minute and ${MAX_ENTRY_MINUTES / 60} hours. Log a longer piece of work as more than one entry.`;
    }
    let courseId: Types.ObjectId | null = null;
    if (input.courseId) {
      const allowed = await coursesFor(personId);
      if (!allowed.some((course) => course.id === input.courseId)) errors.courseId = 'Choose a course from the list.';
      else courseId = oid(input.courseId);
    }
    const rates = ratesOn(await rateCard(), input.date);
    if (!rates && !errors.date) errors.date = 'No rate is set for this date yet. An admin needs to add rates to the rate card first.';
    if (Object.keys(errors).length > 0 || !rates) throw new Invalid(errors);
    const time = payForTime(input.minutes, rates);
    const expenses = [
      { kind: 'travel' as const, amountPence: input.travelPence, note: input.travelNote },
      { kind: 'care' as const, amountPence: input.carePence, note: input.careNote },
    ].filter((expense) => expense.amountPence > 0);
    const expensesPence = sumPence(expenses.map((expense) => expense.amountPence));
    return {
      date: startOfUtcDay(input.date),
      activity: input.activity,
      minutes: input.minutes,
      course: courseId,
      module: input.module,
      notes: input.notes,
      rate: { effectiveFrom: rates.effectiveFrom, hourlyPence: rates.hourlyPence, halfDayPence: rates.halfDayPence, dayPence: rates.dayPence },
      basis: time.basis,
      timePence: time.amountPence,
      expenses,
      expensesPence,
      totalPence: sumPence([time.amountPence, expensesPence]),
    };
  }

  /** Logs an entry (see the file's comment for who may). Returns its id. */
  async function logEntry(actor: Actor, input: EntryInput): Promise<string> {
    const personId = input.personId && input.personId !== actor.id ? input.personId : actor.id;
    if (personId === actor.id) {
      if (!actor.roles.includes('co-facilitator')) throw new Forbidden('Only co-facilitators log their own involvement. A trainer can log it for a co-facilitator.');
    } else {
      if (!isObjectId(personId)) throw new Invalid({ personId: 'Choose the person this is for.' });
      const allowed = await peopleToLogFor(actor);
      if (!allowed.some((person) => person.id === personId)) throw new Invalid({ personId: 'Choose the person this is for from the list.' });
    }
    const profile = await profileOf(personId);
    if (!profile) {
      throw personId === actor.id
        ? new Conflict('Please read the note about benefits and choose how you want to be paid before your first claim.')
        : new Invalid({ personId: 'This person has not yet read the note about benefits. Ask them to sign in and read it before their first claim.' });
    }
    const values = await priced(personId, input);
    const created = await InvolvementEntry.create({ ...values, person: oid(personId), loggedBy: oid(actor.id), paymentChoice: profile.paymentChoice, status: 'logged' });
    return created._id.toString();
  }

  /** Changes a logged entry: worked out again with the rate for its (possibly new) date. */
  async function updateEntry(actor: Actor, entryId: string, input: EntryInput): Promise<void> {
    const entry = await entryFor(actor, entryId);
    const values = await priced(entry.personId, input);
    const result = await InvolvementEntry.updateOne(
      { _id: oid(entryId), status: 'logged', $or: [{ person: oid(actor.id) }, { loggedBy: oid(actor.id) }] },
      { $set: values },
    );
    if (result.matchedCount === 0) throw explainRefusal(entry, actor, 'change');
  }

  function explainRefusal(entry: EntryView, actor: Actor, what: 'change' | 'approve' | 'reject' | 'pay'): Error {
    if (what === 'change') {
      if (entry.personId !== actor.id && entry.loggedById !== actor.id) return new Forbidden('Only the person it is for, or whoever logged it, can change this entry.');
      return new Conflict(`This entry is ${STATUS_WORDS[entry.status]}, so it can no longer be changed.`);
    }
    if (entry.personId === actor.id) return new Forbidden('You cannot approve or pay your own involvement. Someone else must check it.');
    if (what !== 'pay' && entry.loggedById === actor.id) return new Forbidden('You logged this entry, so another trainer or an admin must check it.');
    return new Conflict(`This entry is ${STATUS_WORDS[entry.status]}, so this cannot be done now.`);
  }

  async function viewsOf(docs: EntryDoc[]): Promise<EntryView[]> {
    const peopleIds = new Set<string>();
    for (const doc of docs) for (const id of [doc.person, doc.loggedBy, doc.approvedBy, doc.rejectedBy]) if (id) peopleIds.add(id.toString());
    const [people, titles] = await Promise.all([
      users.getPeopleByIds([...peopleIds]),
      courses.courseTitlesByIds(docs.flatMap((doc) => (doc.course ? [doc.course.toString()] : []))),
    ]);
    const byId = new Map(people.map((person) => [person.id, person]));
    const nameOf = (id: Types.ObjectId | null): string | null => (id ? (byId.get(id.toString())?.name ?? 'Someone') : null);
    return docs.map((doc) => ({
      id: doc._id.toString(),
      personId: doc.person.toString(),
      personName: nameOf(doc.person) ?? 'Someone',
      personEmail: byId.get(doc.person.toString())?.email ?? '',
      loggedById: doc.loggedBy.toString(),
      loggedByName: nameOf(doc.loggedBy) ?? 'Someone',
      date: doc.date,
      activity: doc.activity,
      minutes: doc.minutes,
      courseId: doc.course ? doc.course.toString() : null,
      courseTitle: doc.course ? (titles.get(doc.course.toString()) ?? null) : null,
      module: doc.module,
      notes: doc.notes,
      rate: { ...doc.rate },
      basis: doc.basis,
      timePence: doc.timePence,
      expenses: doc.expenses.map((expense) => ({ kind: expense.kind, amountPence: expense.amountPence, note: expense.note })),
      expensesPence: doc.expensesPence,
      totalPence: doc.totalPence,
      receipts: (doc.receipts ?? []).map((receipt) => ({ assetId: receipt.asset.toString(), expense: receipt.expense, fileName: receipt.fileName })),
      paymentChoice: doc.paymentChoice,
      status: doc.status,
      approvedByName: nameOf(doc.approvedBy),
      approvedAt: doc.approvedAt,
      paidAt: doc.paidAt,
      rejectedByName: nameOf(doc.rejectedBy),
      rejectedAt: doc.rejectedAt,
      rejectionReason: doc.rejectionReason,
    }));
  }

  /** An entry the actor may see, or NotFound (people who may not see it are not told it exists). */
  async function entryFor(actor: Actor, entryId: string): Promise<EntryView> {
    if (!isObjectId(entryId)) throw new NotFound('We could not find this entry.');
    const doc = await InvolvementEntry.findById(entryId).lean<EntryDoc>();
    if (!doc) throw new NotFound('We could not find this entry.');
    const own = doc.person.toString() === actor.id || doc.loggedBy.toString() === actor.id;
    if (!own && !inScope(await scopeOf(actor), doc.person.toString())) throw new NotFound('We could not find this entry.');
    const [view] = await viewsOf([doc]);
    if (!view) throw new NotFound('We could not find this entry.');
    return view;
  }

  async function permissionsFor(actor: Actor, entry: EntryView): Promise<EntryPermissions> {
    const scope = await scopeOf(actor);
    const mayApproveSomeone = inScope(scope, entry.personId);
    const own = entry.personId === actor.id;
    const loggedIt = entry.loggedById === actor.id;
    let approveRefusal: string | null = null;
    if (mayApproveSomeone || (scope && own)) {
      if (own) approveRefusal = 'This is your own entry, so someone else approves it.';
      else if (loggedIt) approveRefusal = 'You logged this entry, so another trainer or an admin approves it.';
    }
    return {
      canEdit: entry.status === 'logged' && (own || loggedIt),
      canApprove: (entry.status === 'logged' || entry.status === 'approved') && mayApproveSomeone && !own && !loggedIt,
      canMarkPaid: entry.status === 'approved' && isAdmin(actor) && !own,
      approveRefusal: entry.status === 'logged' ? approveRefusal : null,
    };
  }

  async function entryWithPermissions(actor: Actor, entryId: string): Promise<{ entry: EntryView; permissions: EntryPermissions }> {
    const entry = await entryFor(actor, entryId);
    return { entry, permissions: await permissionsFor(actor, entry) };
  }

  /** The filter of entries the actor may approve or reject: in scope, not theirs, not logged by them. */
  function checkerFilter(actor: Actor, scope: Scope): Record<string, unknown> {
    const person: Record<string, unknown> = { $ne: oid(actor.id) };
    if (!scope.all) person.$in = [...scope.people].map(oid);
    return { person, loggedBy: { $ne: oid(actor.id) } };
  }

  async function approve(actor: Actor, entryId: string): Promise<void> {
    const entry = await entryFor(actor, entryId);
    const scope = await scopeOf(actor);
    if (!scope || !inScope(scope, entry.personId)) throw new Forbidden('Only a trainer on this person’s course team, or an admin, can approve this entry.');
    const at = now();
    const result = await InvolvementEntry.updateOne(
      { _id: oid(entryId), status: 'logged', ...checkerFilter(actor, scope) },
      { $set: { status: 'approved', approvedBy: oid(actor.id), approvedAt: at } },
    );
    if (result.matchedCount === 0) throw explainRefusal(entry, actor, 'approve');
    await audit.recordAudit({
      action: 'involvement.approved',
      actor: { id: actor.id, email: actor.email },
      target: { type: 'involvement', id: entryId, label: entry.personEmail },
      details: { totalPence: entry.totalPence },
      ip: actor.ip,
    });
  }

  async function reject(actor: Actor, entryId: string, reason: string): Promise<void> {
    const entry = await entryFor(actor, entryId);
    const scope = await scopeOf(actor);
    if (!scope || !inScope(scope, entry.personId)) throw new Forbidden('Only a trainer on this person’s course team, or an admin, can decide on this entry.');
    const result = await InvolvementEntry.updateOne(
      { _id: oid(entryId), status: { $in: ['logged', 'approved'] }, ...checkerFilter(actor, scope) },
      { $set: { status: 'rejected', rejectedBy: oid(actor.id), rejectedAt: now(), rejectionReason: reason } },
    );
    if (result.matchedCount === 0) throw explainRefusal(entry, actor, 'reject');
    await audit.recordAudit({
      action: 'involvement.rejected',
      actor: { id: actor.id, email: actor.email },
      target: { type: 'involvement', id: entryId, label: entry.personEmail },
      details: { reason },
      ip: actor.ip,
    });
  }

  async function markPaid(actor: Actor, entryId: string): Promise<void> {
    if (!isAdmin(actor)) throw new Forbidden('Only an admin can mark involvement as paid.');
    const entry = await entryFor(actor, entryId);
    const result = await InvolvementEntry.updateOne(
      { _id: oid(entryId), status: 'approved', person: { $ne: oid(actor.id) } },
      { $set: { status: 'paid', paidBy: oid(actor.id), paidAt: now() } },
    );
    if (result.matchedCount === 0) throw explainRefusal(entry, actor, 'pay');
    await audit.recordAudit({
      action: 'involvement.paid',
      actor: { id: actor.id, email: actor.email },
      target: { type: 'involvement', id: entryId, label: entry.personEmail },
      details: { totalPence: entry.totalPence, paymentChoice: entry.paymentChoice },
      ip: actor.ip,
    });
  }

  /** A person's own log, newest first. */
  async function ownEntries(userId: string, limit = 200): Promise<EntryView[]> {
    const docs = await InvolvementEntry.find({ person: oid(userId) }).sort({ date: -1, _id: -1 }).limit(limit).lean<EntryDoc[]>();
    return viewsOf(docs);
  }

  /** This month, this year (by the day of the work; not approved entries left out) and what is still unpaid. */
  async function totalsFor(userId: string): Promise<Totals> {
    const today = now();
    const month = startOfUtcMonth(today);
    const year = startOfUtcYear(today);
    const inRange = (from: Date) => ({ $gte: ['$date', from] });
    const [row] = await InvolvementEntry.aggregate<Totals>([
      { $match: { person: oid(userId), status: { $in: ['logged', 'approved', 'paid'] }, date: { $gte: year } } },
      {
        $group: {
          _id: null,
          monthMinutes: { $sum: { $cond: [inRange(month), '$minutes', 0] } },
          monthPence: { $sum: { $cond: [inRange(month), '$totalPence', 0] } },
          yearMinutes: { $sum: '$minutes' },
          yearPence: { $sum: '$totalPence' },
        },
      },
    ]);
    const [unpaid] = await InvolvementEntry.aggregate<{ unpaidPence: number }>([
      { $match: { person: oid(userId), status: { $in: ['logged', 'approved'] }, paymentChoice: { $in: ['paid', 'voucher'] } } },
      { $group: { _id: null, unpaidPence: { $sum: '$totalPence' } } },
    ]);
    return {
      monthMinutes: row?.monthMinutes ?? 0,
      monthPence: row?.monthPence ?? 0,
      yearMinutes: row?.yearMinutes ?? 0,
      yearPence: row?.yearPence ?? 0,
      unpaidPence: unpaid?.unpaidPence ?? 0,
    };
  }

  /** For trainers and admins: entries waiting for approval, and approved ones waiting to be paid. */
  async function approvalsFor(actor: Actor): Promise<{ waiting: EntryView[]; approved: EntryView[] } | null> {
    const scope = await scopeOf(actor);
    if (!scope) return null;
    const people = scope.all ? {} : { person: { $in: [...scope.people].map(oid) } };
    const [waiting, approved] = await Promise.all([
      InvolvementEntry.find({ status: 'logged', ...people }).sort({ date: 1, _id: 1 }).limit(500).lean<EntryDoc[]>(),
      InvolvementEntry.find({ status: 'approved', ...people }).sort({ date: 1, _id: 1 }).limit(500).lean<EntryDoc[]>(),
    ]);
    return { waiting: await viewsOf(waiting), approved: await viewsOf(approved) };
  }

  /** Checks that the actor may add a receipt to the entry now, then stores the file (the route attaches it after). */
  async function storeReceipt(actor: Actor, entryId: string, upload: { stream: Readable; originalName: string; field: string }): Promise<{ assetId: string; fileName: string }> {
    const { entry, permissions } = await entryWithPermissions(actor, entryId);
    if (!permissions.canEdit) throw explainRefusal(entry, actor, 'change');
    if (entry.receipts.length >= MAX_RECEIPTS_PER_ENTRY) throw new Invalid({ [upload.field]: `An entry can have up to ${MAX_RECEIPTS_PER_ENTRY} receipts.` });
    const stored = await media.storeUpload({ stream: upload.stream, originalName: upload.originalName, kind: 'receipt', uploadedBy: actor.id, field: upload.field });
    return { assetId: stored.assetId, fileName: stored.fileName };
  }

  /** Attaches a stored receipt to a logged entry; if the entry moved on meanwhile the file is removed again. */
  async function attachReceipt(actor: Actor, entryId: string, receipt: { assetId: string; fileName: string; expense: ExpenseKind }): Promise<void> {
    const result = await InvolvementEntry.updateOne(
      {
        _id: oid(entryId),
        status: 'logged',
        $or: [{ person: oid(actor.id) }, { loggedBy: oid(actor.id) }],
        [`receipts.${MAX_RECEIPTS_PER_ENTRY - 1}`]: { $exists: false },
      },
      { $push: { receipts: { asset: oid(receipt.assetId), expense: receipt.expense, fileName: receipt.fileName, addedAt: now() } } },
    );
    if (result.matchedCount === 0) {
      await media.discardUpload(receipt.assetId);
      throw new Conflict('This receipt could not be added because the entry has changed. Please look at it again.');
    }
  }

  async function discardStoredReceipt(assetId: string): Promise<void> {
    await media.discardUpload(assetId);
  }

  async function removeReceipt(actor: Actor, entryId: string, assetId: string): Promise<void> {
    if (!isObjectId(entryId) || !isObjectId(assetId)) throw new NotFound('We could not find this receipt.');
    const result = await InvolvementEntry.updateOne(
      { _id: oid(entryId), status: 'logged', $or: [{ person: oid(actor.id) }, { loggedBy: oid(actor.id) }], 'receipts.asset': oid(assetId) },
      { $pull: { receipts: { asset: oid(assetId) } } },
    );
    if (result.matchedCount === 0) {
      const entry = await entryFor(actor, entryId);
      throw explainRefusal(entry, actor, 'change');
    }
    await media.discardUpload(assetId);
  }

  /** A receipt the actor may see (the entry's person, who logged it, who may approve it, admins), or NotFound. */
  async function receiptFor(actor: Actor, entryId: string, assetId: string): Promise<ServableAsset> {
    const entry = await entryFor(actor, entryId);
    if (!entry.receipts.some((receipt) => receipt.assetId === assetId)) throw new NotFound('We could not find this receipt.');
    const asset = await media.findReceipt(assetId);
    if (!asset) throw new NotFound('We could not find this receipt.');
    return asset;
  }

  /**
   * The finance team's rows for a period (days from and to, both included): approved and paid entries, oldest
   * first. Recorded in the audit log. Admins only.
   */
  async function exportPeriod(actor: Actor, period: { from: Date; to: Date }): Promise<EntryView[]> {
    if (!isAdmin(actor)) throw new Forbidden('Only an admin can export involvement for the finance team.');
    const entries = await periodEntries(actor, period);
    await audit.recordAudit({
      action: 'involvement.exported',
      actor: { id: actor.id, email: actor.email },
      target: { type: 'involvement-export', id: `${period.from.toISOString().slice(0, 10)}..${period.to.toISOString().slice(0, 10)}` },
      details: { from: period.from.toISOString().slice(0, 10), to: period.to.toISOString().slice(0, 10), rows: entries.length },
      ip: actor.ip,
    });
    return entries;
  }

  /** The same rows as the export, to show on the page before downloading (not audited: nothing leaves). */
  async function periodEntries(actor: Actor, period: { from: Date; to: Date }): Promise<EntryView[]> {
    if (!isAdmin(actor)) throw new Forbidden('Only an admin can see involvement for the finance team.');
    const from = startOfUtcDay(period.from);
    const to = startOfUtcDay(period.to);
    if (to.getTime() < from.getTime()) throw new Invalid({ to: 'The end date must be on or after the start date.' });
    const docs = await InvolvementEntry.find({ date: { $gte: from, $lte: to }, status: { $in: ['approved', 'paid'] } })
      .sort({ date: 1, _id: 1 })
      .lean<EntryDoc[]>();
    return viewsOf(docs);
  }

  return {
    /** The largest receipt accepted, in bytes (UPLOAD_MAX_RECEIPT_MB). */
    receiptLimitBytes: (): number => media.uploadLimits.receipt,
    rateCard,
    currentRates,
    setRates,
    profileOf,
    setPaymentChoice,
    peopleToLogFor,
    coursesFor,
    logEntry,
    updateEntry,
    entryWithPermissions,
    approve,
    reject,
    markPaid,
    ownEntries,
    totalsFor,
    approvalsFor,
    storeReceipt,
    attachReceipt,
    discardStoredReceipt,
    removeReceipt,
    receiptFor,
    exportPeriod,
    periodEntries,
  };
}

export type InvolvementService = ReturnType<typeof createInvolvementService>;
