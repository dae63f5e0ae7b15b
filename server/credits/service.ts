/**
 * Credit and consent for real contributors (see ./model.ts for the consent rule). Trainers on a course record
 * that someone contributed to a module; only that person chooses how they are credited, changes it, or withdraws
 * it. Learner pages, certificates and the public verify page resolve the current choice here when they render.
 * Made once by the composition root (../services.ts).
 */
import { Types } from 'mongoose';
import type { AuditService } from '../audit/service';
import { Course } from '../courses/model';
import type { CoursesService } from '../courses/service';
import type { ContributionKind, CourseVersionContent, CreditDisplay } from '../courses/types';
import { isDuplicateKey } from '../db/mongo-errors';
import { Forbidden, Invalid, NotFound } from '../errors';
import type { Role } from '../people';
import type { UsersService } from '../users/service';
import { coProducers, type CoProducer } from './co-producers';
import { Credit, type CreditRecord } from './model';
import { consentState, contentCreditLines, personCreditLine, shapedByLine, shownName, type ConsentState, type CreditLine } from './resolve';

export interface CreditActor {
  id: string;
  email?: string;
  roles: readonly Role[];
}

export interface NewContribution {
  courseId: string;
  moduleKey: string;
  /** The contributor's account, by its email address. */
  email: string;
  kinds: ContributionKind[];
  /** A suggestion of how they describe themselves; they can change it. */
  about: string;
}

export interface CreditChoiceInput {
  display: CreditDisplay;
  pseudonym: string;
  about: string;
}

/** A module's credits as learners see them now. */
export interface ModuleCredits {
  credits: CreditLine[];
  /** "Co-production: written with River (young autistic co-facilitator) and Priya (parent carer)." */
  shapedBy: string;
}

export interface VersionCredits {
  course: CreditLine[];
  modules: Map<string, ModuleCredits>;
}

/** One of a person's own credits, for "How I am credited". */
export interface OwnCredit {
  id: string;
  courseTitle: string;
  moduleTitle: string;
  kinds: ContributionKind[];
  about: string;
  display: CreditDisplay | null;
  pseudonym: string;
  state: ConsentState;
  /** What learners see now. */
  shownAs: string;
  consentGivenAt: Date | null;
  changedAt: Date | null;
  withdrawnAt: Date | null;
  /** The person's account name, for the choices' labels. */
  personName: string;
}

/** A credit as the course's trainers see it. */
export interface TeamCredit {
  id: string;
  moduleKey: string;
  personName: string;
  personEmail: string;
  kinds: ContributionKind[];
  state: ConsentState;
  shownAs: string;
}

export interface CreditsServiceDeps {
  users: Pick<UsersService, 'getPeopleByIds' | 'findUserIdsByEmails'>;
  courses: Pick<CoursesService, 'getCourseById' | 'getCourseVersion' | 'getPublishedVersion' | 'getLatestDraft' | 'courseTitlesByIds'>;
  audit: Pick<AuditService, 'recordAudit'>;
  now?: () => Date;
}

function objectId(id: string): Types.ObjectId | null {
  return Types.ObjectId.isValid(id) && /^[a-f0-9]{24}$/i.test(id) ? new Types.ObjectId(id) : null;
}

export function createCreditsService({ users, courses, audit, now = () => new Date() }: CreditsServiceDeps) {
  /**
   * Trainers on the course (its authoring team, as trainers) and admins may record contributions. Read straight
   * from `Course.authoringTeam`, the field the authoring contract shares (authoring-core owns its editing).
   */
  async function mayManageCredits(actor: CreditActor, courseId: string): Promise<boolean> {
    if (actor.roles.includes('admin')) return true;
    if (!actor.roles.includes('trainer')) return false;
    const course = objectId(courseId);
    const user = objectId(actor.id);
    if (!course || !user) return false;
    const found = await Course.exists({ _id: course, authoringTeam: { $elemMatch: { user, role: 'trainer' } } });
    return found !== null;
  }

  /** The version whose modules the team is working on: the newest draft, else the published one. */
  async function workingContent(courseId: string): Promise<CourseVersionContent | null> {
    return (await courses.getLatestDraft(courseId)) ?? (await courses.getPublishedVersion(courseId));
  }

  async function addContribution(actor: CreditActor, input: NewContribution): Promise<{ id: string }> {
    if (!(await mayManageCredits(actor, input.courseId))) throw new Forbidden('Only trainers on this course can add a contribution.');
    const content = await workingContent(input.courseId);
    if (!content) throw new NotFound('There is no course at this address.');
    const module = content.modules.find((candidate) => candidate.key === input.moduleKey);
    if (!module) throw new Invalid({ moduleKey: 'Choose a module of this course' });
    if (input.kinds.length === 0) throw new Invalid({ kinds: 'Choose at least one kind of contribution' });
    const ids = await users.findUserIdsByEmails([input.email]);
    const userId = [...ids.values()][0];
    if (!userId) throw new Invalid({ email: 'There is nobody with this email address here. Invite them first.' });
    const filter = { course: new Types.ObjectId(input.courseId), moduleKey: module.key, user: new Types.ObjectId(userId) };
    const update = {
      $addToSet: { kinds: { $each: input.kinds } },
      $setOnInsert: {
        about: input.about,
        display: null,
        pseudonym: '',
        consentGivenAt: null,
        changedAt: null,
        withdrawnAt: null,
        addedAt: now(),
        addedBy: objectId(actor.id),
      },
    };
    let result: { _id: Types.ObjectId } | null = null;
    for (let tries = 0; tries < 2 && !result; tries += 1) {
      try {
        result = await Credit.findOneAndUpdate(filter, update, { upsert: true, returnDocument: 'after', projection: { _id: 1 } }).lean<{ _id: Types.ObjectId }>();
      } catch (error) {
        // Two trainers adding the same person at once: the unique index lets one insert; the other updates.
        if (!isDuplicateKey(error) || tries > 0) throw error;
      }
    }
    if (!result) throw new Error('The contribution was not saved');
    const person = (await users.getPeopleByIds([userId]))[0];
    await audit.recordAudit({
      action: 'credit.contribution-added',
      actor: { id: actor.id, email: actor.email },
      target: { type: 'credit', id: result._id.toString(), label: person?.email },
      details: { courseId: input.courseId, module: module.key, kinds: input.kinds },
    });
    return { id: result._id.toString() };
  }

  async function moduleTitlesOf(courseIds: string[]): Promise<Map<string, Map<string, string>>> {
    const titles = new Map<string, Map<string, string>>();
    for (const courseId of new Set(courseIds)) {
      const content = await workingContent(courseId);
      titles.set(courseId, new Map((content?.modules ?? []).map((module) => [module.key, module.title])));
    }
    return titles;
  }

  function toOwnCredit(record: CreditRecord, personName: string, courseTitle: string, moduleTitle: string): OwnCredit {
    return {
      id: record._id.toString(),
      courseTitle,
      moduleTitle,
      kinds: record.kinds,
      about: record.about,
      display: record.display,
      pseudonym: record.pseudonym,
      state: consentState(record),
      shownAs: shownName(record, personName).name,
      consentGivenAt: record.consentGivenAt,
      changedAt: record.changedAt,
      withdrawnAt: record.withdrawnAt,
      personName,
    };
  }

  /** Every module a person contributed to, with how they are credited there now. */
  async function listOwnCredits(userId: string): Promise<OwnCredit[]> {
    const user = objectId(userId);
    if (!user) return [];
    const records = await Credit.find({ user }).sort({ addedAt: 1, _id: 1 }).lean<CreditRecord[]>();
    if (records.length === 0) return [];
    const courseIds = records.map((record) => record.course.toString());
    const [courseTitles, moduleTitles, people] = await Promise.all([courses.courseTitlesByIds(courseIds), moduleTitlesOf(courseIds), users.getPeopleByIds([userId])]);
    const personName = people[0]?.name ?? '';
    return records.map((record) => {
      const courseId = record.course.toString();
      return toOwnCredit(record, personName, courseTitles.get(courseId) ?? 'A course', moduleTitles.get(courseId)?.get(record.moduleKey) ?? record.moduleKey);
    });
  }

  /** One of the person's own credits; anyone else's is "not found", so ids cannot be probed. */
  async function getOwnCredit(userId: string, creditId: string): Promise<OwnCredit> {
    const found = (await listOwnCredits(userId)).find((credit) => credit.id === creditId);
    if (!found) throw new NotFound('There is no credit of yours at this address.');
    return found;
  }

  async function ownRecord(actor: CreditActor, creditId: string): Promise<CreditRecord> {
    const id = objectId(creditId);
    const user = objectId(actor.id);
    const record = id && user ? await Credit.findOne({ _id: id, user }).lean<CreditRecord>() : null;
    if (!record) throw new NotFound('There is no credit of yours at this address.');
    return record;
  }

  /** The person chooses (or changes) how they are credited; saving is their consent, dated now. */
  async function chooseCredit(actor: CreditActor, creditId: string, choice: CreditChoiceInput): Promise<OwnCredit> {
    const record = await ownRecord(actor, creditId);
    const pseudonym = choice.display === 'pseudonym' ? choice.pseudonym.trim() : '';
    if (choice.display === 'pseudonym' && !pseudonym) throw new Invalid({ pseudonym: 'Write the name you want to be shown' });
    const at = now();
    const firstConsent = consentState(record) !== 'given';
    const updated = await Credit.findOneAndUpdate(
      { _id: record._id, user: record.user },
      {
        $set: {
          display: choice.display,
          pseudonym,
          about: choice.about.trim(),
          changedAt: at,
          withdrawnAt: null,
          ...(firstConsent ? { consentGivenAt: at } : {}),
        },
      },
      { returnDocument: 'after' },
    ).lean<CreditRecord>();
    if (!updated) throw new NotFound('There is no credit of yours at this address.');
    await audit.recordAudit({
      action: firstConsent ? 'credit.consent-given' : 'credit.changed',
      actor: { id: actor.id, email: actor.email },
      target: { type: 'credit', id: record._id.toString(), label: actor.email },
      details: { courseId: record.course.toString(), module: record.moduleKey, display: choice.display },
    });
    return getOwnCredit(actor.id, creditId);
  }

  /** The person takes their consent back: from now on they are not named anywhere. */
  async function withdrawCredit(actor: CreditActor, creditId: string): Promise<OwnCredit> {
    const record = await ownRecord(actor, creditId);
    const at = now();
    const changed = await Credit.updateOne({ _id: record._id, user: record.user, withdrawnAt: null }, { $set: { withdrawnAt: at, changedAt: at } });
    if (changed.modifiedCount === 1) {
      await audit.recordAudit({
        action: 'credit.withdrawn',
        actor: { id: actor.id, email: actor.email },
        target: { type: 'credit', id: record._id.toString(), label: actor.email },
        details: { courseId: record.course.toString(), module: record.moduleKey },
      });
    }
    return getOwnCredit(actor.id, creditId);
  }

  async function namesOf(records: readonly CreditRecord[]): Promise<Map<string, { name: string; email: string }>> {
    const people = await users.getPeopleByIds([...new Set(records.map((record) => record.user.toString()))]);
    return new Map(people.map((person) => [person.id, { name: person.name, email: person.email }]));
  }

  async function recordsFor(courseId: string, moduleKeys: readonly string[]): Promise<CreditRecord[]> {
    const course = objectId(courseId);
    if (!course || moduleKeys.length === 0) return [];
    return Credit.find({ course, moduleKey: { $in: [...moduleKeys] } }).sort({ addedAt: 1, _id: 1 }).lean<CreditRecord[]>();
  }

  /**
   * A version's credits as learners see them NOW: per module, the content's sample contributors and the real
   * contributors' current choices, each person once with all their contributions, and the line on who shaped it.
   */
  async function creditsForVersion(courseId: string, content: Pick<CourseVersionContent, 'credits' | 'modules'>): Promise<VersionCredits> {
    const records = await recordsFor(courseId, content.modules.map((module) => module.key));
    const names = await namesOf(records);
    const modules = new Map<string, ModuleCredits>();
    for (const module of content.modules) {
      const people = records
        .filter((record) => record.moduleKey === module.key)
        .map((record) => personCreditLine(record, names.get(record.user.toString())?.name ?? ''));
      const credits = [...contentCreditLines(module.credits), ...people];
      modules.set(module.key, { credits, shapedBy: shapedByLine(module.coProductionLevel, credits) });
    }
    return { course: contentCreditLines(content.credits), modules };
  }

  /**
   * Everyone a certificate of this version names, resolved now: the content's co-producers and each real
   * contributor once with every contribution. A person shown under different names in different modules (say
   * a pseudonym in one, not named in another) stays apart, so a certificate never links the names they keep apart.
   */
  async function coProducersOf(courseId: string, version: number): Promise<CoProducer[]> {
    const content = await courses.getCourseVersion(courseId, version);
    if (!content) return [];
    const records = await recordsFor(courseId, content.modules.map((module) => module.key));
    const names = await namesOf(records);
    const people = new Map<string, { line: CreditLine; kinds: string[] }>();
    for (const record of records) {
      const line = personCreditLine(record, names.get(record.user.toString())?.name ?? '');
      const key = `${record.user.toString()}\u0000${line.name}\u0000${line.role}`;
      const person = people.get(key) ?? { line, kinds: [] };
      for (const kind of line.contribution.split(', ')) if (!person.kinds.includes(kind)) person.kinds.push(kind);
      people.set(key, person);
    }
    const real = [...people.values()].map(({ line, kinds }) => ({ displayName: line.name, contribution: kinds.join(', ').toLowerCase(), role: line.role }));
    return [...coProducers(content), ...real];
  }

  /** The contributions recorded on a course, for its trainers (who know who each person is). */
  async function listCourseCredits(actor: CreditActor, courseId: string): Promise<{ modules: Array<{ key: string; title: string; credits: TeamCredit[] }> }> {
    if (!(await mayManageCredits(actor, courseId))) throw new Forbidden('Only trainers on this course can see its contributions.');
    const content = await workingContent(courseId);
    if (!content) throw new NotFound('There is no course at this address.');
    const records = await recordsFor(courseId, content.modules.map((module) => module.key));
    const names = await namesOf(records);
    return {
      modules: content.modules.map((module) => ({
        key: module.key,
        title: module.title,
        credits: records
          .filter((record) => record.moduleKey === module.key)
          .map((record) => {
            const person = names.get(record.user.toString());
            return {
              id: record._id.toString(),
              moduleKey: record.moduleKey,
              personName: person?.name ?? '',
              personEmail: person?.email ?? '',
              kinds: record.kinds,
              state: consentState(record),
              shownAs: shownName(record, person?.name ?? '').name,
            };
          }),
      })),
    };
  }

  return {
    mayManageCredits,
    addContribution,
    listOwnCredits,
    getOwnCredit,
    chooseCredit,
    withdrawCredit,
    creditsForVersion,
    coProducersOf,
    listCourseCredits,
  };
}

export type CreditsService = ReturnType<typeof createCreditsService>;
