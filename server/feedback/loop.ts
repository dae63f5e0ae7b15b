/**
 * Closing the loop: a trainer opens a revision from new items (it becomes a draft of the course through the
 * authoring feature, the items planned into it); once that version is published, the trainer and co-facilitators
 * publish a "you said, we did" note answering items (changed ones, and ones not changed with the reason); the
 * learners whose feedback it answers find it on their dashboard and get one email each.
 *
 * Publishing a note writes, in an order a crash can be recovered from: the note (unique per revision) -> the items
 * it answers -> one delivery per learner (unique per note and learner) -> the note marked complete. The email job
 * first completes any note left incomplete, then sends each unsent delivery: claim (conditional update) -> send ->
 * mark sent. Only the process whose claim succeeds sends; a claim never marked sent is taken again after
 * CLAIM_TIMEOUT_MS (as for reminders, a process dying between sending and marking could send that one twice).
 */
import { Types } from 'mongoose';
import { Conflict, Forbidden, Invalid, NotFound } from '../errors';
import { isDuplicateKey } from '../db/mongo-errors';
import type { SignedInUser } from '../people';
import type { Board, BoardAccess, BoardItem } from './board';
import type { FeedbackDeps } from './deps';
import { answerLine, saidLine, versionLessonHref, modulePageHref } from './learner';
import { ChangeNote, FeedbackItem, NoteDelivery, Revision, type ChangeNoteRecord, type FeedbackItemRecord, type RevisionRecord } from './model';

export const CLAIM_TIMEOUT_MS = 10 * 60_000;
export const MAX_SUMMARY_LENGTH = 4000;

export interface RevisionView {
  id: string;
  version: number;
  /** draft until the version is published; then published (or archived, once a newer one is). */
  versionStatus: 'draft' | 'published' | 'archived' | 'missing';
  openedAt: Date;
  items: BoardItem[];
  note: { summary: string; publishedAt: Date; itemCount: number } | null;
  /** When the note can be written: the lessons that changed and the items it may answer. */
  noteForm: {
    lessons: Array<{ id: string; title: string }>;
    candidates: BoardItem[];
    team: Array<{ id: string; name: string }>;
  } | null;
}

export interface NoteInput {
  summary: string;
  itemIds: string[];
  /** `moduleKey/lessonKey` of the changed lessons to link. */
  lessonIds: string[];
  /** Team members who wrote it together with the person publishing. */
  coAuthorIds: string[];
}

function objectIds(ids: string[]): Types.ObjectId[] {
  return [...new Set(ids)].filter((id) => Types.ObjectId.isValid(id) && String(new Types.ObjectId(id)) === id).map((id) => new Types.ObjectId(id));
}

/** Who may be named as writing a note: the course's authoring team and the trainer who opened the revision. */
function noteAuthorsOf(access: BoardAccess, revision: RevisionRecord): string[] {
  return [...new Set([...access.team.map((member) => member.userId), String(revision.openedBy)])];
}

export function createLoop(deps: FeedbackDeps, board: Board) {
  const { courses, users, audit, mailer, logger } = deps;
  const now = deps.now ?? (() => new Date());

  /** Opens a revision from new items: a draft of the course (authoring's startDraft), the items planned into it. */
  async function openRevision(viewer: SignedInUser, courseId: string, itemIds: string[], ip?: string): Promise<{ revisionId: string; version: number }> {
    const access = await board.accessTo(viewer, courseId);
    if (access.role !== 'trainer') throw new Forbidden('Only trainers open revisions.');
    const ids = objectIds(itemIds);
    const chosen = await FeedbackItem.find({ _id: { $in: ids }, course: new Types.ObjectId(access.course.id), status: 'new' }, { _id: 1 }).lean<Array<{ _id: Types.ObjectId }>>();
    if (chosen.length === 0 || chosen.length !== ids.length) throw new Invalid({ items: 'Choose one or more new pieces of feedback for the revision.' });
    if (!deps.drafts) throw new Conflict('Drafts cannot be opened here yet: course editing is not available in this installation.');
    const draft = await deps.drafts.startDraft(access.course.id, viewer.id);
    const course = new Types.ObjectId(access.course.id);
    // One revision per draft: opening a second revision onto the same draft adds the items to it.
    let revision = await Revision.findOneAndUpdate(
      { course, version: draft.version },
      { $setOnInsert: { openedBy: new Types.ObjectId(viewer.id), openedAt: now() }, $addToSet: { items: { $each: chosen.map((row) => row._id) } } },
      { upsert: true, returnDocument: 'after' },
    )
      .lean<RevisionRecord>()
      .catch(async (error: unknown) => {
        if (!isDuplicateKey(error)) throw error;
        return Revision.findOneAndUpdate({ course, version: draft.version }, { $addToSet: { items: { $each: chosen.map((row) => row._id) } } }, { returnDocument: 'after' }).lean<RevisionRecord>();
      });
    if (!revision) throw new Conflict();
    // Only items still new are planned (another trainer may have moved one meanwhile); the revision lists those.
    await FeedbackItem.updateMany(
      { _id: { $in: chosen.map((row) => row._id) }, status: 'new' },
      { $set: { status: 'planned', revision: revision._id, plannedVersion: draft.version } },
    );
    const planned = await FeedbackItem.find({ revision: revision._id }, { _id: 1 }).lean<Array<{ _id: Types.ObjectId }>>();
    revision = (await Revision.findOneAndUpdate({ _id: revision._id }, { $set: { items: planned.map((row) => row._id) } }, { returnDocument: 'after' }).lean<RevisionRecord>()) ?? revision;
    await audit.recordAudit({
      action: 'feedback.revision-opened',
      actor: { id: viewer.id, email: viewer.email },
      target: { type: 'course', id: access.course.id, label: access.course.title },
      details: { version: draft.version, items: planned.length },
      ip,
    });
    return { revisionId: String(revision._id), version: draft.version };
  }

  async function findRevision(access: BoardAccess, revisionId: string): Promise<RevisionRecord> {
    const [id] = objectIds([revisionId]);
    const revision = id ? await Revision.findOne({ _id: id, course: new Types.ObjectId(access.course.id) }).lean<RevisionRecord>() : null;
    if (!revision) throw new NotFound('There is no such revision.');
    return revision;
  }

  /** The version a revision started from: the newest published or archived version before its draft. */
  async function baseVersion(courseId: string, version: number): Promise<number | null> {
    for (let candidate = version - 1; candidate >= 1; candidate -= 1) {
      const found = await courses.getCourseVersion(courseId, candidate);
      if (found && found.status !== 'draft') return candidate;
    }
    return null;
  }

  async function revisionView(viewer: SignedInUser, courseId: string, revisionId: string): Promise<{ access: BoardAccess; revision: RevisionView }> {
    const access = await board.accessTo(viewer, courseId);
    const revision = await findRevision(access, revisionId);
    const content = await courses.getCourseVersion(access.course.id, revision.version);
    const versionStatus = content ? content.status : 'missing';
    const itemRows = await FeedbackItem.find({ _id: { $in: revision.items } }).sort({ moduleKey: 1, createdAt: 1 }).lean<FeedbackItemRecord[]>();
    const note = await ChangeNote.findOne({ revision: revision._id }).lean<ChangeNoteRecord>();
    let noteForm: RevisionView['noteForm'] = null;
    if (!note && content && versionStatus !== 'draft') {
      const base = await baseVersion(access.course.id, revision.version);
      const changes = base === null ? null : await courses.describeChanges(access.course.id, base, revision.version);
      const changed = [...(changes?.lessonsChanged ?? []), ...(changes?.lessonsAdded ?? [])];
      const lessons = changed.map((ref) => ({ id: `${ref.moduleKey}/${ref.lessonKey}`, title: `${ref.moduleTitle}: ${ref.lessonTitle}` }));
      // What it may answer: its own items, and other decided items of the course that no note has answered yet.
      const others = await FeedbackItem.find({
        course: new Types.ObjectId(access.course.id),
        answeredBy: null,
        status: { $in: ['actioned', 'declined'] },
        _id: { $nin: revision.items },
      })
        .sort({ moduleKey: 1, createdAt: 1 })
        .lean<FeedbackItemRecord[]>();
      const people = await users.getPeopleByIds(noteAuthorsOf(access, revision));
      noteForm = {
        lessons,
        candidates: await board.toBoardItems([...itemRows.filter((row) => !row.answeredBy), ...others], access.role),
        team: people.filter((person) => person.id !== viewer.id).map((person) => ({ id: person.id, name: person.name || person.email })),
      };
    }
    return {
      access,
      revision: {
        id: String(revision._id),
        version: revision.version,
        versionStatus,
        openedAt: revision.openedAt,
        items: await board.toBoardItems(itemRows, access.role),
        note: note ? { summary: note.summary, publishedAt: note.publishedAt, itemCount: note.items.length } : null,
        noteForm,
      },
    };
  }

  /** Marks what the note answers and makes one delivery per learner. Safe to run again (the email job does). */
  async function completeNote(note: ChangeNoteRecord): Promise<void> {
    const by = note.authors[0];
    await FeedbackItem.updateMany(
      { _id: { $in: note.items }, status: 'planned', answeredBy: null },
      { $set: { status: 'actioned', decision: { reason: `Changed in version ${note.version}.`, by, at: note.publishedAt } } },
    );
    await FeedbackItem.updateMany({ _id: { $in: note.items }, answeredBy: null }, { $set: { answeredBy: note._id, answeredAt: note.publishedAt } });
    const learners = await FeedbackItem.distinct('learner', { answeredBy: note._id });
    for (const learner of learners as Types.ObjectId[]) {
      try {
        await NoteDelivery.updateOne(
          { note: note._id, learner },
          { $setOnInsert: { course: note.course, createdAt: note.publishedAt, claimedAt: null, sentAt: null } },
          { upsert: true },
        );
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
    }
    await ChangeNote.updateOne({ _id: note._id }, { $set: { completedAt: now() } });
  }

  /**
   * Publishes the note of a revision whose version is published: the trainer or a co-facilitator of the team
   * writes it, naming who wrote it with them. Planned items it answers become changed; decided items keep their
   * decision (a "not changed" item is answered with its reason). Items still new cannot be answered.
   */
  async function publishNote(viewer: SignedInUser, courseId: string, revisionId: string, input: NoteInput, ip?: string): Promise<{ noteId: string; learners: number }> {
    const access = await board.accessTo(viewer, courseId);
    const revision = await findRevision(access, revisionId);
    const content = await courses.getCourseVersion(access.course.id, revision.version);
    if (!content || content.status === 'draft') throw new Conflict(`Version ${revision.version} is not published yet. Write the note once it is.`);
    const errors: Record<string, string> = {};
    const summary = input.summary.trim();
    if (summary === '') errors.summary = 'Write what changed, for the learners.';
    else if (summary.length > MAX_SUMMARY_LENGTH) errors.summary = `Keep it under ${MAX_SUMMARY_LENGTH} characters.`;
    const ids = objectIds(input.itemIds);
    const items = await FeedbackItem.find({ _id: { $in: ids }, course: new Types.ObjectId(access.course.id), answeredBy: null }).lean<FeedbackItemRecord[]>();
    const inRevision = new Set(revision.items.map(String));
    const answerable = items.filter((item) => item.status === 'actioned' || item.status === 'declined' || (item.status === 'planned' && inRevision.has(String(item._id))));
    if (ids.length === 0) errors.items = 'Choose the feedback this note answers.';
    else if (answerable.length !== ids.length) errors.items = 'Some chosen feedback cannot be answered: decide it first, or it is already answered.';
    const lessonRefs = input.lessonIds.flatMap((id) => {
      const [moduleKey, lessonKey] = id.split('/');
      const lesson = content.modules.find((module) => module.key === moduleKey)?.lessons.find((candidate) => candidate.key === lessonKey);
      return moduleKey && lessonKey && lesson ? [{ moduleKey, lessonKey, title: lesson.title }] : [];
    });
    if (lessonRefs.length !== input.lessonIds.length) errors.lessons = 'Some chosen lessons are not in this version.';
    if (Object.keys(errors).length > 0) throw new Invalid(errors);
    const team = new Set(noteAuthorsOf(access, revision));
    const authors = objectIds([viewer.id, ...input.coAuthorIds.filter((id) => team.has(id))]);
    let note: ChangeNoteRecord;
    try {
      const created = await ChangeNote.create({
        course: new Types.ObjectId(access.course.id),
        revision: revision._id,
        version: revision.version,
        summary,
        moduleKeys: [...new Set(answerable.map((item) => item.moduleKey))],
        lessons: lessonRefs,
        items: answerable.map((item) => item._id),
        authors,
        publishedAt: now(),
        completedAt: null,
      });
      note = created.toObject() as unknown as ChangeNoteRecord;
    } catch (error) {
      if (isDuplicateKey(error)) throw new Conflict('The note of this revision is already published.');
      throw error;
    }
    await completeNote(note);
    const learners = await NoteDelivery.countDocuments({ note: note._id });
    await audit.recordAudit({
      action: 'feedback.note-published',
      actor: { id: viewer.id, email: viewer.email },
      target: { type: 'course', id: access.course.id, label: access.course.title },
      details: { version: revision.version, items: answerable.length, learners },
      ip,
    });
    return { noteId: String(note._id), learners };
  }

  /** Claims one unsent delivery (not one of `skip`): true for exactly one process. */
  async function claimDelivery(at: Date, skip: Types.ObjectId[]) {
    return NoteDelivery.findOneAndUpdate(
      { _id: { $nin: skip }, sentAt: null, $or: [{ claimedAt: null }, { claimedAt: { $lt: new Date(at.getTime() - CLAIM_TIMEOUT_MS) } }] },
      { $set: { claimedAt: at } },
      { returnDocument: 'after' },
    ).lean<{ _id: Types.ObjectId; note: Types.ObjectId; learner: Types.ObjectId }>();
  }

  /**
   * The email job: completes notes a crash left incomplete, then sends every unsent delivery once. Returns how
   * many this run sent. A learner who is not active gets no email (the note still shows on their dashboard).
   */
  async function sendNoteEmails(): Promise<{ sent: number }> {
    for (const note of await ChangeNote.find({ completedAt: null }).lean<ChangeNoteRecord[]>()) await completeNote(note);
    let sent = 0;
    const done: Types.ObjectId[] = [];
    for (;;) {
      const at = now();
      const claim = await claimDelivery(at, done);
      if (!claim) break;
      done.push(claim._id);
      const note = await ChangeNote.findById(claim.note).lean<ChangeNoteRecord>();
      const [person] = await users.getPeopleByIds([String(claim.learner)]);
      const course = note ? await courses.getCourseById(String(note.course)) : null;
      if (!note || !course || !person || person.status !== 'active') {
        // Nothing to send to (gone, or not active): marked so it is not taken again.
        await NoteDelivery.updateOne({ _id: claim._id }, { $set: { sentAt: at } });
        continue;
      }
      const own = await FeedbackItem.find({ learner: claim.learner, answeredBy: note._id }).lean<FeedbackItemRecord[]>();
      const links = note.lessons.map((lesson) => `- ${lesson.title}: ${deps.baseUrl}${versionLessonHref(course.slug, note.version, lesson.moduleKey, lesson.lessonKey)}`);
      const text = [
        `Hello ${person.name || 'there'},`,
        '',
        `You gave feedback on "${course.title}". Here is what we did with it.`,
        '',
        note.summary,
        '',
        ...own.flatMap((item) => [saidLine(item), answerLine(item), '']),
        ...(links.length > 0 ? ['The changed lessons (you can read them even if you finished the course):', ...links, ''] : []),
        `The module page: ${deps.baseUrl}${modulePageHref(course.slug, own[0]?.moduleKey ?? note.moduleKeys[0] ?? '')}`,
        '',
        'Thank you for telling us.',
      ].join('\n');
      try {
        await mailer.send({ to: person.email, subject: `You said, we did: ${course.title}`, text });
      } catch (error) {
        // Give the claim back, so the next run tries again.
        await NoteDelivery.updateOne({ _id: claim._id, sentAt: null }, { $set: { claimedAt: null } });
        logger.warn({ err: error }, 'a "you said, we did" email could not be sent; the next run tries again');
        continue;
      }
      await NoteDelivery.updateOne({ _id: claim._id }, { $set: { sentAt: now() } });
      sent += 1;
    }
    return { sent };
  }

  return { openRevision, revisionView, publishNote, completeNote, sendNoteEmails };
}
