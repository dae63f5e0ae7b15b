/**
 * Paid involvement through the whole app: the benefits note before a first claim, the dated rate card (a change
 * applies from its date and never rewrites an entry), amounts in pence, who may approve and mark paid, the
 * finance CSV per period (vouchers and declined payments never as cash), receipts and who may fetch them, and
 * learners refused everywhere.
 */
import sharp from 'sharp';
import { AuditEvent } from '../../server/audit/model';
import { Course } from '../../server/courses/model';
import { InvolvementEntry } from '../../server/involvement/model';
import { Asset } from '../../server/media/model';
import { csrfFrom, startTestApp, type TestAgent, type TestApp, type TestUser } from '../support/app';

let t: TestApp;
let admin: { agent: TestAgent; user: TestUser };
let trainer: { agent: TestAgent; user: TestUser };
let otherTrainer: { agent: TestAgent; user: TestUser };
let casey: { agent: TestAgent; user: TestUser };
let robin: { agent: TestAgent; user: TestUser };
let learner: { agent: TestAgent; user: TestUser };
let courseId: string;

const NOW = new Date('2026-06-15T12:00:00Z');

async function token(agent: TestAgent, page = '/involvement'): Promise<string> {
  return t.csrfToken(agent, page);
}

async function post(agent: TestAgent, path: string, form: Record<string, string>, page?: string) {
  const csrf = await token(agent, page);
  return agent.post(path).type('form').set('Accept', 'text/html').send({ _csrf: csrf, ...form });
}

/** Logs an entry through the form; returns its id. */
async function logEntry(agent: TestAgent, form: Record<string, string>): Promise<string> {
  const response = await post(agent, '/involvement/entries', { activity: 'workshop', hours: '1', minutes: '0', ...form }, '/involvement/entries/new');
  if (response.status !== 303) throw new Error(`Logging failed with ${response.status}: ${response.text.slice(0, 2000)}`);
  const id = /\/involvement\/entries\/([a-f0-9]{24})$/.exec(response.headers.location ?? '')?.[1];
  if (!id) throw new Error(`No entry id in ${response.headers.location}`);
  return id;
}

async function entry(id: string) {
  const found = await InvolvementEntry.findById(id).lean();
  if (!found) throw new Error(`No entry ${id}`);
  return found;
}

async function choosePayment(agent: TestAgent, paymentChoice: string): Promise<void> {
  const response = await post(agent, '/involvement/payment', { paymentChoice, confirmedNote: 'yes' }, '/involvement/payment');
  expect(response.status).toBe(303);
}

async function setRates(from: string, hourly: string, halfDay: string, day: string) {
  return post(admin.agent, '/involvement/rates', { effectiveFrom: from, hourly, halfDay, day }, '/involvement/rates');
}

async function pngBytes(): Promise<Buffer> {
  return sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 240, g: 240, b: 230 } } })
    .png()
    .withExif({ IFD0: { Make: 'ReceiptPhone' } })
    .toBuffer();
}

beforeAll(async () => {
  t = await startTestApp();
  t.setNow(NOW);
  admin = await t.signedInAgent({ roles: ['admin'] });
  trainer = await t.signedInAgent({ roles: ['trainer'] });
  otherTrainer = await t.signedInAgent({ roles: ['trainer'] });
  casey = await t.signedInAgent({ roles: ['co-facilitator'], name: 'Casey Cofac' });
  robin = await t.signedInAgent({ roles: ['co-facilitator'], name: 'Robin Cofac' });
  learner = await t.signedInAgent({ roles: ['learner'] });
  const course = await Course.create({ slug: 'involvement-course', title: 'Involvement course', summary: 'A course', audience: 'Staff', estimatedMinutes: 30 });
  courseId = course._id.toString();
  for (const [person, role] of [
    [trainer.user, 'trainer'],
    [casey.user, 'co-facilitator'],
    [robin.user, 'co-facilitator'],
  ] as const) {
    await t.services.courses.addAuthoringTeamMember(courseId, { userId: person.id, role });
  }
});

afterAll(async () => {
  await t.stop();
});

describe('the rate card', () => {
  test('only admins may change it; a change is audited; a bad value comes back with 422 and what was typed', async () => {
    expect((await trainer.agent.get('/involvement/rates')).status).toBe(403);
    const bad = await setRates('2026-01-01', 'twenty', '75.00', '140.00');
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('value="twenty"');
    expect(bad.text).toContain('Enter the hourly rate in pounds and pence');

    expect((await setRates('2026-01-01', '20.00', '75.00', '140.00')).status).toBe(303);
    const again = await setRates('2026-01-01', '21.00', '75.00', '140.00');
    expect(again.status).toBe(422);
    expect(again.text).toContain('Rates already start on this day');
    const audit = await AuditEvent.find({ action: 'involvement.rates-set' }).lean();
    expect(audit).toHaveLength(1);
    expect(audit[0]?.details).toMatchObject({ effectiveFrom: '2026-01-01', hourlyPence: 2000, halfDayPence: 7500, dayPence: 14000 });
  });
});

describe('before a first claim', () => {
  test('a co-facilitator is shown the note about benefits and must confirm it before logging', async () => {
    const home = await casey.agent.get('/involvement');
    expect(home.status).toBe(303);
    expect(home.headers.location).toBe('/involvement/payment');
    const note = await casey.agent.get('/involvement/payment');
    expect(note.text).toContain('Universal Credit');
    expect(note.text).toContain('Citizens Advice');

    const refused = await post(casey.agent, '/involvement/entries', { date: '2026-06-01', activity: 'workshop', hours: '1', minutes: '0' }, '/involvement/payment');
    expect(refused.status).toBe(409);

    const unconfirmed = await post(casey.agent, '/involvement/payment', { paymentChoice: 'voucher' }, '/involvement/payment');
    expect(unconfirmed.status).toBe(422);
    expect(unconfirmed.text).toContain('Tick the box to say you have read the note about benefits');
    expect(unconfirmed.text).toMatch(/value="voucher" checked/);

    await choosePayment(casey.agent, 'paid');
    await choosePayment(robin.agent, 'paid');
    expect((await casey.agent.get('/involvement')).status).toBe(200);
  });

  test('a trainer cannot log for someone who has not read the note', async () => {
    const newcomer = await t.createUser({ roles: ['co-facilitator'] });
    await t.services.courses.addAuthoringTeamMember(courseId, { userId: newcomer.id, role: 'co-facilitator' });
    const response = await post(trainer.agent, '/involvement/entries', { personId: newcomer.id, date: '2026-06-01', activity: 'review', hours: '1', minutes: '0' }, '/involvement/entries/new');
    expect(response.status).toBe(422);
    expect(response.text).toContain('has not yet read the note about benefits');
  });
});

describe('amounts in pence', () => {
  test.each([
    ['1 minute', '0', '1', 33, 'hourly'],
    ['59 minutes', '0', '59', 1967, 'hourly'],
    ['2 hours 59 minutes', '2', '59', 5967, 'hourly'],
    ['3 hours: the half-day band', '3', '0', 7500, 'half-day'],
    ['6 hours: the day band', '6', '0', 14000, 'day'],
  ])('%s', async (_name, hours, minutes, pence, basis) => {
    const id = await logEntry(casey.agent, { date: '2026-06-02', hours, minutes });
    const stored = await entry(id);
    expect(stored.timePence).toBe(pence);
    expect(stored.basis).toBe(basis);
    expect(stored.totalPence).toBe(pence);
  });

  test('expenses add to the penny', async () => {
    const id = await logEntry(casey.agent, { date: '2026-06-03', hours: '0', minutes: '30', travel: '12.10', care: '£30.05' });
    const stored = await entry(id);
    expect(stored.timePence).toBe(1000);
    expect(stored.expensesPence).toBe(4215);
    expect(stored.totalPence).toBe(5215);
    const page = await casey.agent.get(`/involvement/entries/${id}`);
    expect(page.text).toContain('£52.15');
  });

  test('bad input comes back with 422, each message and every value typed', async () => {
    const response = await post(
      casey.agent,
      '/involvement/entries',
      { date: '2026-02-30', activity: 'writing', hours: '13', minutes: '5', travel: '12.345', travelNote: 'Bus there and back', module: 'Module two' },
      '/involvement/entries/new',
    );
    expect(response.status).toBe(422);
    expect(response.text).toContain('Enter a real date');
    expect(response.text).toContain('Enter the hours as a whole number from 0 to 12');
    expect(response.text).toContain('Enter the travel cost in pounds and pence');
    for (const kept of ['value="2026-02-30"', 'value="13"', 'value="12.345"', 'value="Bus there and back"', 'value="Module two"']) expect(response.text).toContain(kept);
    expect(response.text).toMatch(/value="writing" checked/);
  });

  test('a date with no rate yet, and a date in the future, are refused', async () => {
    const early = await post(casey.agent, '/involvement/entries', { date: '2025-12-31', activity: 'workshop', hours: '1', minutes: '0' }, '/involvement/entries/new');
    expect(early.status).toBe(422);
    expect(early.text).toContain('No rate is set for this date');
    const future = await post(casey.agent, '/involvement/entries', { date: '2026-06-16', activity: 'workshop', hours: '1', minutes: '0' }, '/involvement/entries/new');
    expect(future.status).toBe(422);
    expect(future.text).toContain('cannot be in the future');
  });
});

describe('a rate change applies from its date and never rewrites an entry', () => {
  test('entries keep their rate; new entries on or after the new date use the new one', async () => {
    const before = await logEntry(casey.agent, { date: '2026-05-10', hours: '1', minutes: '0' });
    expect((await entry(before)).timePence).toBe(2000);

    // Backdated to 1 May: the entry already logged for 10 May keeps £20.00.
    expect((await setRates('2026-05-01', '22.00', '80.00', '150.00')).status).toBe(303);
    const kept = await entry(before);
    expect(kept.timePence).toBe(2000);
    expect(kept.rate.hourlyPence).toBe(2000);
    expect(kept.rate.effectiveFrom.toISOString().slice(0, 10)).toBe('2026-01-01');

    const after = await logEntry(casey.agent, { date: '2026-05-10', hours: '1', minutes: '0' });
    expect((await entry(after)).timePence).toBe(2200);
    const earlier = await logEntry(casey.agent, { date: '2026-04-30', hours: '1', minutes: '0' });
    expect((await entry(earlier)).timePence).toBe(2000);
  });
});

describe('changing an entry while it waits for approval', () => {
  test('the person changes it: worked out again; others cannot change it', async () => {
    const id = await logEntry(casey.agent, { date: '2026-06-04', hours: '1', minutes: '0', travel: '4.00' });
    const edit = await casey.agent.get(`/involvement/entries/${id}/edit`);
    expect(edit.status).toBe(200);
    expect(edit.text).toContain('value="4.00"');
    const changed = await post(casey.agent, `/involvement/entries/${id}`, { date: '2026-06-04', activity: 'review', hours: '3', minutes: '0', travel: '' }, `/involvement/entries/${id}/edit`);
    expect(changed.status).toBe(303);
    const stored = await entry(id);
    expect(stored).toMatchObject({ activity: 'review', minutes: 180, timePence: 8000, basis: 'half-day', expensesPence: 0, totalPence: 8000 });

    const bad = await post(casey.agent, `/involvement/entries/${id}`, { date: '2026-06-04', activity: 'review', hours: '0', minutes: '0' }, `/involvement/entries/${id}/edit`);
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('Enter how long you worked');
    expect((await entry(id)).minutes).toBe(180);

    expect((await post(robin.agent, `/involvement/entries/${id}`, { date: '2026-06-04', activity: 'review', hours: '9', minutes: '0' })).status).toBe(404);
    expect((await post(trainer.agent, `/involvement/entries/${id}`, { date: '2026-06-04', activity: 'review', hours: '9', minutes: '0' })).status).toBe(403);
    expect((await entry(id)).minutes).toBe(180);
  });
});

describe('who may approve and mark paid', () => {
  let entryId: string;

  beforeAll(async () => {
    entryId = await logEntry(casey.agent, { date: '2026-06-05', hours: '2', minutes: '0', courseId });
  });

  test('a co-facilitator and a learner may not approve', async () => {
    expect((await post(robin.agent, `/involvement/entries/${entryId}/approve`, {})).status).toBe(403);
    expect((await post(casey.agent, `/involvement/entries/${entryId}/approve`, {})).status).toBe(403);
    expect((await post(learner.agent, `/involvement/entries/${entryId}/approve`, {}, '/account')).status).toBe(403);
    expect((await entry(entryId)).status).toBe('logged');
  });

  test('a trainer not on the person’s course teams cannot see or approve it', async () => {
    expect((await otherTrainer.agent.get(`/involvement/entries/${entryId}`)).status).toBe(404);
    expect((await post(otherTrainer.agent, `/involvement/entries/${entryId}/approve`, {})).status).toBe(404);
    expect((await entry(entryId)).status).toBe('logged');
  });

  test('an admin may not mark it paid before it is approved; a trainer never may', async () => {
    expect((await post(admin.agent, `/involvement/entries/${entryId}/paid`, {})).status).toBe(409);
    expect((await post(trainer.agent, `/involvement/entries/${entryId}/paid`, {})).status).toBe(403);
  });

  test('the trainer on the team approves it once; then it can no longer be changed', async () => {
    const approvals = await trainer.agent.get('/involvement/approvals');
    expect(approvals.text).toContain(`/involvement/entries/${entryId}`);
    expect((await post(trainer.agent, `/involvement/entries/${entryId}/approve`, {})).status).toBe(303);
    const approved = await entry(entryId);
    expect(approved.status).toBe('approved');
    expect(String(approved.approvedBy)).toBe(trainer.user.id);
    expect((await post(trainer.agent, `/involvement/entries/${entryId}/approve`, {})).status).toBe(409);
    const edit = await post(casey.agent, `/involvement/entries/${entryId}`, { date: '2026-06-05', activity: 'workshop', hours: '5', minutes: '0' });
    expect(edit.status).toBe(409);
    expect((await entry(entryId)).minutes).toBe(120);
    expect(await AuditEvent.countDocuments({ action: 'involvement.approved', targetId: entryId })).toBe(1);
  });

  test('only an admin marks it paid', async () => {
    expect((await post(trainer.agent, `/involvement/entries/${entryId}/paid`, {})).status).toBe(403);
    expect((await post(admin.agent, `/involvement/entries/${entryId}/paid`, {})).status).toBe(303);
    expect((await entry(entryId)).status).toBe('paid');
    expect(await AuditEvent.countDocuments({ action: 'involvement.paid', targetId: entryId })).toBe(1);
  });

  test('a trainer who logged an entry for someone cannot approve it; another checker can', async () => {
    const id = await logEntry(trainer.agent, { personId: robin.user.id, date: '2026-06-06', activity: 'co-delivery', hours: '1', minutes: '0' });
    const stored = await entry(id);
    expect(String(stored.person)).toBe(robin.user.id);
    expect(String(stored.loggedBy)).toBe(trainer.user.id);
    const refused = await post(trainer.agent, `/involvement/entries/${id}/approve`, {});
    expect(refused.status).toBe(403);
    expect((await post(admin.agent, `/involvement/entries/${id}/approve`, {})).status).toBe(303);
  });

  test('nobody approves their own entry, not even an admin who co-facilitates', async () => {
    const both = await t.signedInAgent({ roles: ['admin', 'co-facilitator'] });
    await choosePayment(both.agent, 'paid');
    const id = await logEntry(both.agent, { date: '2026-06-07', hours: '1', minutes: '0' });
    expect((await post(both.agent, `/involvement/entries/${id}/approve`, {})).status).toBe(403);
    expect((await entry(id)).status).toBe('logged');
  });

  test('two checkers approving at once: one wins, the other is told it changed', async () => {
    const id = await logEntry(robin.agent, { date: '2026-06-10', hours: '1', minutes: '0' });
    const [trainerToken, adminToken] = await Promise.all([token(trainer.agent), token(admin.agent)]);
    const [first, second] = await Promise.all([
      trainer.agent.post(`/involvement/entries/${id}/approve`).type('form').set('Accept', 'text/html').send({ _csrf: trainerToken }),
      admin.agent.post(`/involvement/entries/${id}/approve`).type('form').set('Accept', 'text/html').send({ _csrf: adminToken }),
    ]);
    expect([first.status, second.status].sort()).toEqual([303, 409]);
    expect(await AuditEvent.countDocuments({ action: 'involvement.approved', targetId: id })).toBe(1);
  });

  test('not approving needs a reason, kept on 422, and the person sees it', async () => {
    const id = await logEntry(robin.agent, { date: '2026-06-08', hours: '1', minutes: '0' });
    const empty = await post(trainer.agent, `/involvement/entries/${id}/reject`, { reason: '   ' }, `/involvement/entries/${id}`);
    expect(empty.status).toBe(422);
    expect(empty.text).toContain('Say why it is not approved');
    expect((await post(trainer.agent, `/involvement/entries/${id}/reject`, { reason: 'This session was cancelled.' }, `/involvement/entries/${id}`)).status).toBe(303);
    const page = await robin.agent.get(`/involvement/entries/${id}`);
    expect(page.text).toContain('This session was cancelled.');
    expect((await entry(id)).status).toBe('rejected');
  });
});

describe('the finance CSV per period', () => {
  let voucherId: string;
  let declinedId: string;
  let cashId: string;

  beforeAll(async () => {
    const sam = await t.signedInAgent({ roles: ['co-facilitator'], name: 'Sam Voucher' });
    const jo = await t.signedInAgent({ roles: ['co-facilitator'], name: 'Jo Declined' });
    for (const person of [sam.user, jo.user]) await t.services.courses.addAuthoringTeamMember(courseId, { userId: person.id, role: 'co-facilitator' });
    await choosePayment(sam.agent, 'voucher');
    await choosePayment(jo.agent, 'declined');
    voucherId = await logEntry(sam.agent, { date: '2026-03-10', hours: '1', minutes: '0', travel: '5.00' });
    declinedId = await logEntry(jo.agent, { date: '2026-03-11', hours: '1', minutes: '0', care: '10.00' });
    cashId = await logEntry(robin.agent, { date: '2026-03-12', hours: '0', minutes: '45', travel: '3.20' });
    const notApproved = await logEntry(robin.agent, { date: '2026-03-13', hours: '1', minutes: '0' });
    const outside = await logEntry(robin.agent, { date: '2026-04-01', hours: '1', minutes: '0' });
    for (const id of [voucherId, declinedId, cashId, outside]) expect((await post(trainer.agent, `/involvement/entries/${id}/approve`, {})).status).toBe(303);
    expect((await entry(notApproved)).status).toBe('logged');
  });

  test('only admins may download it; a bad period is refused', async () => {
    expect((await trainer.agent.get('/involvement/finance/export.csv?from=2026-03-01&to=2026-03-31')).status).toBe(403);
    expect((await learner.agent.get('/involvement/finance/export.csv?from=2026-03-01&to=2026-03-31')).status).toBe(403);
    const backwards = await admin.agent.get('/involvement/finance?from=2026-03-31&to=2026-03-01');
    expect(backwards.status).toBe(422);
    expect(backwards.text).toContain('value="2026-03-31"');
    const nonsense = await admin.agent.get('/involvement/finance/export.csv?from=2026-03-31&to=nonsense').set('Accept', 'text/html');
    expect(nonsense.status).toBe(422);
  });

  test('holds the approved entries of the period; vouchers and declined payments are never cash', async () => {
    const response = await admin.agent.get('/involvement/finance/export.csv?from=2026-03-01&to=2026-03-31').buffer(true);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toContain('text/csv');
    const text = response.text.replace(/^\uFEFF/, '');
    const rows = text.trim().split('\r\n').map((line) => line.split(','));
    const header = rows[0] ?? [];
    const column = (name: string): number => header.indexOf(name);
    const body = rows.slice(1, -1);
    expect(body.map((row) => row[0]).sort()).toEqual([voucherId, declinedId, cashId].sort());
    const byId = new Map(body.map((row) => [row[0], row]));
    const cash = column('Cash (GBP)');
    const voucher = column('Voucher value (GBP)');
    expect(byId.get(voucherId)?.[cash]).toBe('0.00');
    // March is before the £22.00 rate of May: £20.00 an hour.
    expect(byId.get(voucherId)?.[voucher]).toBe('25.00');
    expect(byId.get(declinedId)?.[cash]).toBe('0.00');
    expect(byId.get(declinedId)?.[voucher]).toBe('0.00');
    expect(byId.get(cashId)?.[cash]).toBe('18.20'); // 45 minutes at £20.00 = £15.00, plus £3.20 travel
    const total = rows[rows.length - 1] ?? [];
    expect(total[0]).toBe('Total');
    expect(total[cash]).toBe('18.20');
    expect(total[voucher]).toBe('25.00');

    const page = await admin.agent.get('/involvement/finance?from=2026-03-01&to=2026-03-31');
    expect(page.text).toContain('£18.20');
    expect(await AuditEvent.countDocuments({ action: 'involvement.exported' })).toBe(1);
    const event = await AuditEvent.findOne({ action: 'involvement.exported' }).lean();
    expect(event?.details).toMatchObject({ from: '2026-03-01', to: '2026-03-31', rows: 3 });
  });
});

describe('receipts', () => {
  let entryId: string;
  let receiptPath: string;
  let assetId: string;

  beforeAll(async () => {
    entryId = await logEntry(casey.agent, { date: '2026-06-09', hours: '1', minutes: '0', travel: '7.40' });
  });

  async function uploadReceipt(agent: TestAgent, bytes: Buffer, name: string, expense = 'travel') {
    const csrf = csrfFrom((await agent.get(`/involvement/entries/${entryId}`)).text);
    return agent.post(`/involvement/entries/${entryId}/receipts`).set('Accept', 'text/html').field('_csrf', csrf).field('expense', expense).attach('receipt', bytes, name);
  }

  test('a file that is not a picture or PDF is refused with 422, leaving no record', async () => {
    const assets = await Asset.countDocuments();
    const response = await uploadReceipt(casey.agent, Buffer.from('<html><script>alert(1)</script></html>'), 'receipt.html');
    expect(response.status).toBe(422);
    expect(response.text).toContain('was not accepted');
    expect(await Asset.countDocuments()).toBe(assets);
    expect((await entry(entryId)).receipts).toHaveLength(0);
  });

  test('the person adds a photo of a receipt: stored without its camera data', async () => {
    const response = await uploadReceipt(casey.agent, await pngBytes(), 'bus ticket.png');
    expect(response.status).toBe(303);
    const stored = await entry(entryId);
    expect(stored.receipts).toHaveLength(1);
    assetId = String(stored.receipts[0]?.asset);
    receiptPath = `/involvement/entries/${entryId}/receipts/${assetId}`;
    const download = await casey.agent.get(receiptPath).buffer(true);
    expect(download.status).toBe(200);
    expect(download.headers['content-disposition']).toMatch(/^attachment;/);
    expect(download.headers['content-type']).toBe('image/png');
    expect((download.body as Buffer).includes('ReceiptPhone')).toBe(false);
  });

  test('a PDF receipt is accepted and also sent only as a download', async () => {
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
    expect((await uploadReceipt(casey.agent, pdf, 'taxi.pdf')).status).toBe(303);
    const stored = (await entry(entryId)).receipts.find((receipt) => receipt.fileName === 'taxi.pdf');
    const download = await trainer.agent.get(`/involvement/entries/${entryId}/receipts/${String(stored?.asset)}`).buffer(true);
    expect(download.status).toBe(200);
    expect(download.headers['content-type']).toBe('application/pdf');
    expect(download.headers['content-disposition']).toBe('attachment; filename="taxi.pdf"');
    expect(download.headers['content-security-policy']).toContain('sandbox');
    expect(Buffer.compare(download.body as Buffer, pdf)).toBe(0);
    expect((await post(casey.agent, `/involvement/entries/${entryId}/receipts/${String(stored?.asset)}/remove`, {})).status).toBe(303);
  });

  test('the trainer who checks it and admins may download it; nobody else, and never through /media', async () => {
    expect((await trainer.agent.get(receiptPath)).status).toBe(200);
    expect((await admin.agent.get(receiptPath)).status).toBe(200);
    expect((await otherTrainer.agent.get(receiptPath)).status).toBe(404);
    expect((await robin.agent.get(receiptPath)).status).toBe(404);
    expect((await learner.agent.get(receiptPath)).status).toBe(403);
    for (const agent of [casey.agent, trainer.agent, admin.agent, learner.agent]) expect((await agent.get(`/media/${assetId}`)).status).toBe(404);
    // Another entry's address does not open it either.
    const other = await logEntry(robin.agent, { date: '2026-06-09', hours: '1', minutes: '0' });
    expect((await admin.agent.get(`/involvement/entries/${other}/receipts/${assetId}`)).status).toBe(404);
  });

  test('the person can remove a receipt while the entry waits; its file goes too', async () => {
    const csrf = csrfFrom((await casey.agent.get(`/involvement/entries/${entryId}`)).text);
    const added = await casey.agent.post(`/involvement/entries/${entryId}/receipts`).set('Accept', 'text/html').field('_csrf', csrf).field('expense', 'care').attach('receipt', await pngBytes(), 'second.png');
    expect(added.status).toBe(303);
    const second = (await entry(entryId)).receipts.find((receipt) => receipt.fileName === 'second.png');
    expect(second).toBeDefined();
    const secondId = String(second?.asset);
    expect((await post(trainer.agent, `/involvement/entries/${entryId}/receipts/${secondId}/remove`, {})).status).toBe(403);
    expect((await post(casey.agent, `/involvement/entries/${entryId}/receipts/${secondId}/remove`, {})).status).toBe(303);
    expect((await entry(entryId)).receipts.map((receipt) => receipt.fileName)).toEqual(['bus ticket.png']);
    expect(await Asset.exists({ _id: secondId })).toBeNull();
  });

  test('once approved, no receipt can be added', async () => {
    expect((await post(trainer.agent, `/involvement/entries/${entryId}/approve`, {})).status).toBe(303);
    const assets = await Asset.countDocuments();
    const csrf = await token(casey.agent);
    const response = await casey.agent.post(`/involvement/entries/${entryId}/receipts`).set('Accept', 'text/html').field('_csrf', csrf).field('expense', 'travel').attach('receipt', await pngBytes(), 'late.png');
    expect(response.status).toBe(409);
    expect(await Asset.countDocuments()).toBe(assets);
  });
});

describe('learners are refused everywhere', () => {
  test('every page and every form of involvement answers 403', async () => {
    const someEntry = String((await InvolvementEntry.findOne({}).lean())?._id);
    const pages = [
      '/involvement',
      '/involvement/payment',
      '/involvement/entries/new',
      `/involvement/entries/${someEntry}`,
      `/involvement/entries/${someEntry}/edit`,
      '/involvement/approvals',
      '/involvement/rates',
      '/involvement/finance',
    ];
    for (const page of pages) expect([page, (await learner.agent.get(page)).status]).toEqual([page, 403]);
    const forms = ['/involvement/payment', '/involvement/entries', `/involvement/entries/${someEntry}`, `/involvement/entries/${someEntry}/approve`, `/involvement/entries/${someEntry}/reject`, `/involvement/entries/${someEntry}/paid`, '/involvement/rates'];
    for (const path of forms) expect([path, (await post(learner.agent, path, { paymentChoice: 'paid', confirmedNote: 'yes' }, '/account')).status]).toEqual([path, 403]);
  });
});

describe('a co-facilitator’s own page', () => {
  test('shows their log and totals for this month, this year and unpaid', async () => {
    const page = await robin.agent.get('/involvement');
    expect(page.status).toBe(200);
    expect(page.text).toContain('This month');
    expect(page.text).toContain('This year');
    expect(page.text).toContain('Not yet paid');
    // Robin in June 2026, at £22.00 an hour: 6 June (logged by the trainer, approved), 8 June (not approved: left
    // out), 9 June (waiting), 10 June (approved); in March and April, entries at £20.00 an hour (one waiting).
    const totals = await t.services.involvement.totalsFor(robin.user.id);
    expect(totals.monthMinutes).toBe(180);
    expect(totals.monthPence).toBe(6600);
    expect(totals.yearMinutes).toBe(180 + 45 + 60 + 60);
    expect(totals.unpaidPence).toBe(6600 + 1820 + 2000 + 2000);
    expect(page.text).toContain('£66.00');
  });
});
