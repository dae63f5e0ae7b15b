/**
 * Review through the whole app on the in-memory engine: submitting a draft, comment threads, the two keys of a
 * publish (and who may turn which), approvals voided by a change, the per-course relaxation shown to learners,
 * the publish check, and who may do what.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AuditEvent } from '../../server/audit/model';
import { CourseVersion } from '../../server/courses/model';
import { createReviewRecords } from '../../server/courses/review-records';
import { seedDemoAuthoringTeam } from '../../server/review/seed';
import { csrfFrom, startTestApp, type TestAgent, type TestApp, type TestUser } from '../support/app';

const fixture = path.join(__dirname, '..', 'courses', 'fixtures', 'tiny-course');
const base = '/manage/courses/tiny-course';
const records = createReviewRecords();

let t: TestApp;
let work: string;
let courseDir: string;
let courseId: string;
let edits = 0;

interface Person {
  agent: TestAgent;
  user: TestUser;
}
let trainer: Person;
let livedExperience: Person;
let otherTrainer: Person;
let outsider: Person;
let learner: Person;
let admin: Person;

/** A change to the course's files, imported: a new draft, or the waiting draft replaced (a new content hash). */
async function changeDraft(): Promise<void> {
  edits += 1;
  const file = path.join(courseDir, '01-first-steps.md');
  const text = await readFile(file, 'utf8');
  await writeFile(file, text.replace(/Some \*\*[a-z ]+\*\* text\./, `Some **changed ${'again '.repeat(edits).trim()}** text.`));
  const result = await t.services.courseImport.importCourseFromDirectory(courseDir);
  expect(result.outcome).toMatch(/^draft-/);
}

async function reviewPage(person: Person): Promise<{ status: number; text: string; hash: string; version: number }> {
  const page = await person.agent.get(`${base}/review`).set('Accept', 'text/html');
  const hash = /name="contentHash" value="([0-9a-f]{64})"/.exec(page.text)?.[1] ?? '';
  const version = Number(/name="version" value="(\d+)"/.exec(page.text)?.[1] ?? 0);
  return { status: page.status, text: page.text, hash, version };
}

async function post(person: Person, url: string, fields: Record<string, string>) {
  const token = await t.csrfToken(person.agent, `${base}/review`).catch(() => t.csrfToken(person.agent));
  return person.agent.post(url).type('form').set('Accept', 'text/html').send({ _csrf: token, ...fields });
}

async function draftNow(): Promise<{ version: number; contentHash: string }> {
  const draft = await records.latestDraftRecord(courseId);
  if (!draft) throw new Error('no draft');
  return { version: draft.version, contentHash: draft.contentHash };
}

async function approve(person: Person, as: 'trainer' | 'lived-experience', draft?: { version: number; contentHash: string }) {
  const d = draft ?? (await draftNow());
  return post(person, `${base}/review/approve`, { version: String(d.version), contentHash: d.contentHash, as });
}

async function publish(person: Person, draft?: { version: number; contentHash: string }) {
  const d = draft ?? (await draftNow());
  return post(person, `${base}/review/publish`, { version: String(d.version), contentHash: d.contentHash });
}

async function submit(person: Person) {
  const d = await draftNow();
  return post(person, `${base}/review/submit`, { version: String(d.version) });
}

async function publishedVersion(): Promise<number | null> {
  return (await t.services.courses.getCourseBySlug('tiny-course'))?.publishedVersion ?? null;
}

beforeAll(async () => {
  t = await startTestApp();
  work = await mkdtemp(path.join(os.tmpdir(), 'review-'));
  courseDir = path.join(work, 'tiny-course');
  await cp(fixture, courseDir, { recursive: true });
  const first = await t.services.courseImport.importCourseFromDirectory(courseDir);
  courseId = first.courseId ?? '';
  trainer = await t.signedInAgent({ roles: ['trainer'], name: 'Tess Trainer' });
  livedExperience = await t.signedInAgent({ roles: ['co-facilitator'], name: 'Robin Parent' });
  otherTrainer = await t.signedInAgent({ roles: ['trainer'], name: 'Omar Other' });
  outsider = await t.signedInAgent({ roles: ['co-facilitator'], name: 'Noor Outside' });
  learner = await t.signedInAgent({ roles: ['learner'], name: 'Lee Learner' });
  admin = await t.signedInAgent({ roles: ['admin'], name: 'Ada Admin' });
  // Co-facilitators accept the co-production charter before the course pages (test/charter/charter.test.ts).
  const charter = await t.services.charter.currentCharter();
  for (const person of [livedExperience, outsider]) await t.services.charter.acceptCharter(person.user, charter.version);
  const now = new Date();
  await records.addTeamMemberIfAbsent(courseId, { userId: trainer.user.id, role: 'trainer', livedExperience: false }, null, now);
  await records.addTeamMemberIfAbsent(courseId, { userId: livedExperience.user.id, role: 'co-facilitator', livedExperience: true }, null, now);
});

afterAll(async () => {
  await t.stop();
  await rm(work, { recursive: true, force: true });
});

describe('who may take part', () => {
  beforeAll(async () => {
    await changeDraft();
  });

  test('learners are refused every review page and action', async () => {
    expect((await learner.agent.get(`${base}/review`).set('Accept', 'text/html')).status).toBe(403);
    expect((await learner.agent.get(`${base}/history`).set('Accept', 'text/html')).status).toBe(403);
    const d = await draftNow();
    const token = await t.csrfToken(learner.agent, '/preferences');
    for (const [url, fields] of [
      [`${base}/review/submit`, { version: String(d.version) }],
      [`${base}/review/comments`, { version: String(d.version), lesson: 'first-steps/welcome', body: 'Hello' }],
      [`${base}/review/approve`, { version: String(d.version), contentHash: d.contentHash, as: 'trainer' }],
      [`${base}/review/publish`, { version: String(d.version), contentHash: d.contentHash }],
    ] as const) {
      const response = await learner.agent.post(url).type('form').set('Accept', 'text/html').send({ _csrf: token, ...fields });
      expect(response.status).toBe(403);
    }
  });

  test('a co-facilitator who is not on the authoring team is refused; the page says why', async () => {
    const page = await outsider.agent.get(`${base}/review`).set('Accept', 'text/html');
    expect(page.status).toBe(403);
    expect(page.text).toContain('Only the course&#39;s authoring team and trainers take part in its review.');
    const d = await draftNow();
    const token = await t.csrfToken(outsider.agent);
    const comment = await outsider.agent
      .post(`${base}/review/comments`)
      .type('form')
      .set('Accept', 'text/html')
      .send({ _csrf: token, version: String(d.version), lesson: 'first-steps/welcome', body: 'Let me in' });
    expect(comment.status).toBe(403);
    expect(await AuditEvent.countDocuments({ action: 'review.commented', actorEmail: outsider.user.email })).toBe(0);
  });

  test('a form without its CSRF token is refused', async () => {
    const d = await draftNow();
    const response = await trainer.agent.post(`${base}/review/submit`).type('form').set('Accept', 'text/html').send({ version: String(d.version) });
    expect(response.status).toBe(403);
    expect((await records.latestDraftRecord(courseId))?.submittedAt).toBeNull();
  });

  test('an admin reads the review but has no key and cannot comment', async () => {
    const page = await reviewPage(admin);
    expect(page.status).toBe(200);
    expect(page.text).toContain('You do not hold a key for this course.');
    expect(page.text).not.toContain('Add comment');
  });
});

describe('comments per lesson, threaded', () => {
  test('a comment, a reply, resolving and reopening; shown beside the lesson, each recorded in the audit log', async () => {
    const d = await draftNow();
    const added = await post(otherTrainer, `${base}/review/comments`, { version: String(d.version), lesson: 'first-steps/welcome', body: 'Could the picture be warmer?' });
    expect(added.status).toBe(303);
    const threadId = /#comment-([0-9a-f]{24})$/.exec(added.headers.location ?? '')?.[1] ?? '';
    expect(threadId).not.toBe('');
    const reply = await post(livedExperience, `${base}/review/comments`, { version: String(d.version), replyTo: threadId, body: 'Yes, I will find one.' });
    expect(reply.status).toBe(303);

    let page = await reviewPage(trainer);
    const beside = page.text.slice(page.text.indexOf('id="lesson-first-steps-welcome-comments"'), page.text.indexOf('id="lesson-first-steps-check"'));
    expect(beside).toContain('Could the picture be warmer?');
    expect(beside).toContain('Yes, I will find one.');
    expect(beside).toContain('Mark this comment resolved');

    expect((await post(trainer, `${base}/review/comments/${threadId}/resolve`, {})).status).toBe(303);
    page = await reviewPage(trainer);
    expect(page.text).toContain('Resolved by Tess Trainer');
    expect(page.text).toContain('Open this comment again');
    expect((await post(livedExperience, `${base}/review/comments/${threadId}/reopen`, {})).status).toBe(303);
    page = await reviewPage(trainer);
    expect(page.text).not.toContain('Resolved by Tess Trainer');

    for (const action of ['review.commented', 'review.replied', 'review.comment-resolved', 'review.comment-reopened']) {
      expect(await AuditEvent.countDocuments({ action, targetId: courseId })).toBe(1);
    }
  });

  test('an empty comment re-renders the page with 422 and the error beside its field', async () => {
    const d = await draftNow();
    const response = await post(trainer, `${base}/review/comments`, { version: String(d.version), lesson: 'first-steps/check', body: '   ' });
    expect(response.status).toBe(422);
    expect(response.text).toContain('There is a problem');
    expect(response.text).toContain('href="#comment-lesson-first-steps-check"');
    expect(response.text).toMatch(/id="comment-lesson-first-steps-check"[^>]*aria-invalid="true"/);
  });

  test('a comment on a lesson the draft does not have is refused', async () => {
    const d = await draftNow();
    const response = await post(trainer, `${base}/review/comments`, { version: String(d.version), lesson: 'first-steps/nowhere', body: 'Hello' });
    expect(response.status).toBe(422);
  });
});

describe('two-key publish', () => {
  test('a draft is approved only after it is submitted', async () => {
    const refused = await approve(trainer, 'trainer');
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('has not been submitted for review yet');
    const submitted = await submit(livedExperience);
    expect(submitted.status).toBe(303);
    expect(await AuditEvent.countDocuments({ action: 'review.submitted', targetId: courseId })).toBe(1);
    expect((await reviewPage(trainer)).text).toContain('Submitted for review by Robin Parent');
  });

  test('approvers approve only as what they are; one person never turns both keys', async () => {
    // A co-facilitator is not the trainer key; a trainer is not the lived-experience key.
    expect((await approve(livedExperience, 'trainer')).status).toBe(403);
    expect((await approve(trainer, 'lived-experience')).status).toBe(403);
    // A trainer who is not on the authoring team holds no key.
    expect((await approve(otherTrainer, 'trainer')).status).toBe(403);
    // A trainer put on the team as a lived-experience co-facilitator still holds no lived-experience key.
    const both = await t.signedInAgent({ roles: ['trainer', 'co-facilitator'], name: 'Bo Both' });
    await t.services.charter.acceptCharter(both.user, (await t.services.charter.currentCharter()).version);
    await records.addTeamMemberIfAbsent(courseId, { userId: both.user.id, role: 'co-facilitator', livedExperience: true }, null, new Date());
    expect((await approve(both, 'lived-experience')).status).toBe(403);
    expect((await approve(both, 'trainer')).status).toBe(403);
    const draft = await records.latestDraftRecord(courseId);
    expect(draft?.approvals).toEqual([]);
  });

  test('one approval is not enough', async () => {
    expect((await approve(trainer, 'trainer')).status).toBe(303);
    expect((await approve(trainer, 'trainer')).status).toBe(409);
    const page = await reviewPage(livedExperience);
    expect(page.text).toContain('An approval from a co-facilitator with lived experience on the authoring team.');
    expect(page.text).not.toContain('>Publish version');
    const refused = await publish(trainer);
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('co-facilitator with lived experience');
    expect(await publishedVersion()).toBe(1);
  });

  test('a change to the draft voids the approvals, and the page says which and why', async () => {
    const approvedDraft = await draftNow();
    expect((await approve(livedExperience, 'lived-experience')).status).toBe(303);
    expect((await reviewPage(trainer)).text).toContain('>Publish version');
    await changeDraft();
    const page = await reviewPage(trainer);
    expect(page.text.match(/No, void:<\/strong> The draft changed after this approval\./g)?.length).toBe(2);
    expect(page.text).toContain('An approval from a trainer on the authoring team.');
    // The old content was approved, but it is not what the draft holds now: publishing it is refused.
    const stale = await publish(trainer, approvedDraft);
    expect(stale.status).toBe(409);
    const current = await publish(trainer);
    expect(current.status).toBe(409);
    // Approving what one read before the change is refused too.
    expect((await approve(trainer, 'trainer', approvedDraft)).status).toBe(409);
    expect(await publishedVersion()).toBe(1);
  });

  test('both keys on the current draft publish it, and who did is recorded', async () => {
    expect((await approve(livedExperience, 'lived-experience')).status).toBe(303);
    expect((await approve(trainer, 'trainer')).status).toBe(303);
    const d = await draftNow();
    const published = await publish(livedExperience);
    expect(published.status).toBe(303);
    expect(await publishedVersion()).toBe(d.version);
    const event = await AuditEvent.findOne({ action: 'course.published', targetId: courseId }).lean<{ details: Record<string, unknown> }>();
    expect(event?.details).toMatchObject({ version: d.version, trainer: trainer.user.id, livedExperience: livedExperience.user.id, twoKeyPublish: true });
    // Learners see no note: a co-facilitator approved this version.
    const overview = await learner.agent.get('/courses/tiny-course');
    expect(overview.status).toBe(200);
    expect(overview.text).not.toContain('published without a co-facilitator');
  });
});

describe('relaxing two-key publish for one course', () => {
  test('only an admin changes the setting, and it is audited', async () => {
    const token = await t.csrfToken(trainer.agent);
    const refused = await trainer.agent.post(`${base}/review/two-key`).type('form').set('Accept', 'text/html').send({ _csrf: token, twoKeyPublish: 'off' });
    expect(refused.status).toBe(403);
    const page = await admin.agent.get(`${base}/review`);
    const changed = await admin.agent.post(`${base}/review/two-key`).type('form').send({ _csrf: csrfFrom(page.text), twoKeyPublish: 'off' });
    expect(changed.status).toBe(303);
    expect((await records.authoringSettings(courseId))?.twoKeyPublish).toBe(false);
    expect(await AuditEvent.countDocuments({ action: 'course.two-key-publish-relaxed', targetId: courseId, actorEmail: admin.user.email })).toBe(1);
  });

  test('a trainer’s approval then suffices, and the learner’s course page says so plainly', async () => {
    await changeDraft();
    expect((await submit(trainer)).status).toBe(303);
    expect((await approve(trainer, 'trainer')).status).toBe(303);
    const d = await draftNow();
    expect((await publish(trainer)).status).toBe(303);
    expect(await publishedVersion()).toBe(d.version);
    const overview = await learner.agent.get('/courses/tiny-course');
    expect(overview.text).toContain("This version was published without a co-facilitator's approval.");
    const history = await trainer.agent.get(`${base}/history`);
    expect(history.text).toContain("Published without a co-facilitator's approval");
  });

  test('restoring two keys needs both again', async () => {
    const page = await admin.agent.get(`${base}/review`);
    await admin.agent.post(`${base}/review/two-key`).type('form').send({ _csrf: csrfFrom(page.text), twoKeyPublish: 'on' });
    await changeDraft();
    await submit(trainer);
    expect((await approve(trainer, 'trainer')).status).toBe(303);
    expect((await publish(trainer)).status).toBe(409);
  });
});

describe('the publish check', () => {
  test('lists a picture without alt text and audio without captions or transcript, and blocks publishing until they exist', async () => {
    // A draft saved in the browser may lack them (the editor saves what a person wrote so far); this draft is
    // changed the way a save changes it: its content and its content hash.
    const d = await draftNow();
    const stored = await CourseVersion.findOne({ course: courseId, version: d.version }).lean<{ content: { modules: Array<{ lessons: Array<{ blocks: Array<Record<string, unknown>> }> }> } }>();
    const content = structuredClone(stored?.content);
    const blocks = content?.modules[0]?.lessons[0]?.blocks ?? [];
    const image = blocks.find((b) => b.kind === 'image');
    const audio = blocks.find((b) => b.kind === 'audio');
    if (!image || !audio) throw new Error('fixture blocks missing');
    const fixed = { alt: image.alt, captions: audio.captions, transcriptHtml: audio.transcriptHtml };
    image.alt = '';
    delete audio.captions;
    delete audio.transcriptHtml;
    const brokenHash = 'b'.repeat(64);
    await CourseVersion.updateOne({ course: courseId, version: d.version }, { $set: { content, contentHash: brokenHash } });

    await approve(livedExperience, 'lived-experience');
    await approve(trainer, 'trainer');
    // Someone who cannot edit (a trainer not on the team) is taken to the lesson on the review page.
    expect((await reviewPage(otherTrainer)).text).toContain(`href="${base}/review#lesson-first-steps-welcome"`);
    let page = await reviewPage(trainer);
    expect(page.text).toContain('2 things are missing');
    expect(page.text).toContain('The picture picture.png needs alt text that says what it shows.');
    expect(page.text).toContain('The audio clip &#34;A quiet clip&#34; needs captions or a transcript.');
    // The authoring team is taken to the lesson's editor.
    expect(page.text).toContain(`href="/author/tiny-course/v/${d.version}/m/first-steps/l/welcome"`);
    expect((await trainer.agent.get(`/author/tiny-course/v/${d.version}/m/first-steps/l/welcome`)).status).toBe(200);
    expect(page.text).not.toContain('>Publish version');
    const refused = await publish(trainer);
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('2 things are missing');
    expect(await publishedVersion()).not.toBe(d.version);

    image.alt = fixed.alt;
    audio.captions = fixed.captions;
    audio.transcriptHtml = fixed.transcriptHtml;
    await CourseVersion.updateOne({ course: courseId, version: d.version }, { $set: { content, contentHash: 'c'.repeat(64) } });
    page = await reviewPage(trainer);
    expect(page.text).toContain('Nothing is missing.');
    // The fix changed the draft, so the approvals are void: approve again, then publish.
    await approve(livedExperience, 'lived-experience');
    await approve(trainer, 'trainer');
    expect((await publish(trainer)).status).toBe(303);
    expect(await publishedVersion()).toBe(d.version);
  });
});

describe('the publish check on a draft edited in the browser', () => {
  test('a picture added without alt text is a problem in the source that blocks publishing until the alt text is written', async () => {
    const { version } = await t.services.authoring.startDraft(courseId, livedExperience.user.id);
    const added = await t.services.authoring.addBlock(courseId, version, 'first-steps', 'check', ':::image{src="media/picture.png"}\n:::', livedExperience.user.id);
    if (added.conflict) throw new Error('unexpected conflict');
    expect((await records.latestDraftRecord(courseId))?.sourceProblems.length).toBeGreaterThan(0);
    await submit(livedExperience);
    await approve(livedExperience, 'lived-experience');
    await approve(trainer, 'trainer');

    const page = await reviewPage(trainer);
    expect(page.text).toMatch(/01-first-steps\.md, line \d+: the :::image block needs alt=/);
    expect(page.text).toContain(`href="/author/tiny-course/v/${version}/m/first-steps"`);
    expect((await livedExperience.agent.get(`/author/tiny-course/v/${version}/m/first-steps`)).status).toBe(200);
    expect(page.text).toContain('the lessons below show it as it was last saved without problems');
    expect(page.text).not.toContain('>Publish version');
    expect((await publish(trainer)).status).toBe(409);
    expect(await publishedVersion()).not.toBe(version);

    const index = added.lesson.blocks.length - 1;
    const fixed = await t.services.authoring.replaceBlock(
      courseId, version, 'first-steps', 'check', index, ':::image{src="media/picture.png" alt="A green rectangle, the calm corner sign."}\n:::', livedExperience.user.id, added.lesson.hash,
    );
    expect(fixed.conflict).toBe(false);
    const after = await reviewPage(trainer);
    expect(after.text).toContain('Nothing is missing.');
    // The fix changed the draft: both keys again, then it publishes.
    expect(after.text).toContain('The draft changed after this approval.');
    await approve(livedExperience, 'lived-experience');
    await approve(trainer, 'trainer');
    expect((await publish(trainer)).status).toBe(303);
    expect(await publishedVersion()).toBe(version);
  });
});

describe('history and lesson differences', () => {
  test('the history lists every version with who approved and published it', async () => {
    const page = await trainer.agent.get(`${base}/history`);
    expect(page.status).toBe(200);
    const versions = await t.services.courses.listVersions(courseId);
    for (const v of versions) expect(page.text).toContain(`id="version-${v.version}"`);
    expect(page.text).toContain('Robin Parent as co-facilitator with lived experience');
    expect(page.text).toContain('Tess Trainer as trainer');
    expect(page.text).toMatch(/<dt>Published<\/dt><dd>Tess Trainer, /);
    expect(page.text).toContain('Alex (fixture contributor)');
  });

  test('two versions of a lesson compared word by word', async () => {
    const page = await trainer.agent.get(`${base}/history/lessons?lesson=first-steps%2Fwelcome&from=1&to=2`);
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<del><span class="visually-hidden">\[removed: <\/span>plain<span class="visually-hidden">\]<\/span><\/del>/);
    expect(page.text).toMatch(/<ins><span class="visually-hidden">\[added: <\/span>changed<span class="visually-hidden">\]<\/span><\/ins>/);
    const same = await trainer.agent.get(`${base}/history/lessons?lesson=first-steps%2Fcheck&from=1&to=2`);
    expect(same.text).toContain('This lesson is the same in both versions.');
    expect((await trainer.agent.get(`${base}/history/lessons?lesson=first-steps%2Fnowhere&from=1&to=2`)).status).toBe(404);
    expect((await trainer.agent.get(`${base}/history/lessons?from=1&to=99`)).status).toBe(404);
  });
});

describe('comments on a lesson the draft no longer has', () => {
  test('stay on the page, under their own heading', async () => {
    const { version } = await t.services.authoring.startDraft(courseId, trainer.user.id);
    await post(trainer, `${base}/review/comments`, { version: String(version), lesson: 'first-steps/check', body: 'Is this check too hard?' });
    await t.services.authoring.removeLesson(courseId, version, 'first-steps', 'check', trainer.user.id);
    const page = await reviewPage(livedExperience);
    const elsewhere = page.text.slice(page.text.indexOf('Comments on lessons no longer in this draft'));
    expect(elsewhere).toContain('Is this check too hard?');
  });
});

describe('the demo seed', () => {
  test('puts the demo trainer on the team as the trainer key and the demo co-facilitator as the lived-experience key, once', async () => {
    await t.seedDemoAccounts('demo-password-1');
    const deps = { users: t.services.users, courses: t.services.courses, records };
    expect(await seedDemoAuthoringTeam(deps, { courseSlug: 'tiny-course' })).toEqual({ added: 2 });
    expect(await seedDemoAuthoringTeam(deps, { courseSlug: 'tiny-course' })).toEqual({ added: 0 });
    const ids = await t.services.users.findUserIdsByEmails(['trainer@example.org', 'cofacilitator@example.org']);
    const team = (await records.authoringSettings(courseId))?.team ?? [];
    expect(team.filter((m) => m.userId === ids.get('trainer@example.org'))).toEqual([{ userId: ids.get('trainer@example.org'), role: 'trainer', livedExperience: false }]);
    expect(team.filter((m) => m.userId === ids.get('cofacilitator@example.org'))).toEqual([
      { userId: ids.get('cofacilitator@example.org'), role: 'co-facilitator', livedExperience: true },
    ]);
  });
});
