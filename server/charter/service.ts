/**
 * The co-production charter: versioned text edited by admins (each publish is a new version), accepted by
 * co-facilitators when they join an authoring team and again whenever a new version is published.
 * Made once by the composition root (../services.ts).
 */
import { Types } from 'mongoose';
import type { AuditService } from '../audit/service';
import { Course } from '../courses/model';
import { renderMarkdown } from '../courses/markdown';
import { isDuplicateKey } from '../db/mongo-errors';
import { Conflict, Forbidden, Invalid, NotFound } from '../errors';
import type { Role } from '../people';
import type { UsersService } from '../users/service';
import { CharterAcceptance, CharterVersion, type CharterAcceptanceRecord, type CharterVersionRecord } from './model';
import { SHIPPED_CHARTER_TEXT } from './shipped-text';

export interface CharterActor {
  id: string;
  email?: string;
  roles: readonly Role[];
}

export interface CharterText {
  version: number;
  text: string;
  /** The text as safe HTML. */
  html: string;
  changeNote: string;
  publishedAt: Date;
  publishedByName: string | null;
}

export interface CharterHistoryItem {
  version: number;
  changeNote: string;
  publishedAt: Date;
  publishedByName: string | null;
}

export interface CharterAcceptanceItem {
  name: string;
  email: string;
  version: number;
  acceptedAt: Date;
}

export interface CharterServiceDeps {
  audit: Pick<AuditService, 'recordAudit'>;
  users: Pick<UsersService, 'getPeopleByIds'>;
  now?: () => Date;
}

export const CHARTER_TEXT_MAX = 20_000;

function objectId(id: string): Types.ObjectId | null {
  return /^[a-f0-9]{24}$/i.test(id) ? new Types.ObjectId(id) : null;
}

export function createCharterService({ audit, users, now = () => new Date() }: CharterServiceDeps) {
  async function namesById(ids: Array<Types.ObjectId | null>): Promise<Map<string, string>> {
    const wanted = [...new Set(ids.filter((id): id is Types.ObjectId => id !== null).map((id) => id.toString()))];
    const people = await users.getPeopleByIds(wanted);
    return new Map(people.map((person) => [person.id, person.name || person.email]));
  }

  async function toText(record: CharterVersionRecord): Promise<CharterText> {
    const names = await namesById([record.publishedBy]);
    return {
      version: record.version,
      text: record.text,
      html: renderMarkdown(record.text),
      changeNote: record.changeNote,
      publishedAt: record.publishedAt,
      publishedByName: record.publishedBy ? (names.get(record.publishedBy.toString()) ?? null) : null,
    };
  }

  async function latestRecord(): Promise<CharterVersionRecord | null> {
    return CharterVersion.findOne({}).sort({ version: -1 }).lean<CharterVersionRecord>();
  }

  /**
   * The charter in force: the newest version. On a database that has none yet, the shipped text is stored as
   * version 1 first (once: the unique index on the number makes a second attempt a harmless duplicate), so every
   * acceptance names a version that exists.
   */
  async function currentRecord(): Promise<CharterVersionRecord> {
    const latest = await latestRecord();
    if (latest) return latest;
    try {
      await CharterVersion.create({ version: 1, text: SHIPPED_CHARTER_TEXT, changeNote: '', publishedAt: now(), publishedBy: null });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    const stored = await latestRecord();
    if (!stored) throw new Error('The charter could not be stored');
    return stored;
  }

  async function currentCharter(): Promise<CharterText> {
    return toText(await currentRecord());
  }

  async function getCharterVersion(version: number): Promise<CharterText> {
    await currentRecord();
    const record = Number.isInteger(version) ? await CharterVersion.findOne({ version }).lean<CharterVersionRecord>() : null;
    if (!record) throw new NotFound('There is no version of the charter with this number.');
    return toText(record);
  }

  async function listCharterVersions(): Promise<CharterHistoryItem[]> {
    await currentRecord();
    const records = await CharterVersion.find({}, { text: 0 }).sort({ version: -1 }).lean<CharterVersionRecord[]>();
    const names = await namesById(records.map((record) => record.publishedBy));
    return records.map((record) => ({
      version: record.version,
      changeNote: record.changeNote,
      publishedAt: record.publishedAt,
      publishedByName: record.publishedBy ? (names.get(record.publishedBy.toString()) ?? null) : null,
    }));
  }

  /**
   * An admin publishes a new version. `basedOn` is the version their edit started from: when someone else
   * published in between, this is refused (their text is kept in the form) rather than silently replacing it.
   */
  async function publishCharter(actor: CharterActor, input: { text: string; changeNote: string; basedOn: number }): Promise<CharterText> {
    if (!actor.roles.includes('admin')) throw new Forbidden('Only admins can change the charter.');
    const text = input.text.trim();
    const changeNote = input.changeNote.trim();
    const errors: Record<string, string> = {};
    if (!text) errors.text = 'Write the charter text';
    if (!changeNote) errors.changeNote = 'Say in a few words what changed, so people know what to read';
    if (Object.keys(errors).length > 0) throw new Invalid(errors);
    const current = await currentRecord();
    if (current.version !== input.basedOn) {
      throw new Conflict(`Someone published version ${current.version} while you were editing. Your text is below: compare it with the new version before you publish.`);
    }
    if (text === current.text) throw new Invalid({ text: 'The text is the same as the current version. Change it before you publish.' });
    const version = current.version + 1;
    let created: CharterVersionRecord;
    try {
      created = (await CharterVersion.create({ version, text, changeNote, publishedAt: now(), publishedBy: objectId(actor.id) })).toObject() as CharterVersionRecord;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      throw new Conflict('Someone published a new version at the same moment. Your text is below: compare it with the new version before you publish.');
    }
    await audit.recordAudit({
      action: 'charter.published',
      actor: { id: actor.id, email: actor.email },
      target: { type: 'charter', id: String(version), label: `Charter version ${version}` },
      details: { version, changeNote },
    });
    return toText(created);
  }

  /** The newest version this person accepted, if any. */
  async function acceptanceOf(userId: string): Promise<{ version: number; acceptedAt: Date } | null> {
    const user = objectId(userId);
    if (!user) return null;
    const found = await CharterAcceptance.findOne({ user }).sort({ version: -1 }).lean<CharterAcceptanceRecord>();
    return found ? { version: found.version, acceptedAt: found.acceptedAt } : null;
  }

  /** The person accepts the version they read, which must be the current one. */
  async function acceptCharter(actor: CharterActor, version: number): Promise<void> {
    const current = await currentRecord();
    if (version !== current.version) throw new Conflict('A newer version of the charter has been published. Please read it before you accept.');
    const user = objectId(actor.id);
    if (!user) throw new Forbidden();
    const result = await CharterAcceptance.updateOne(
      { user, version },
      { $setOnInsert: { user, version, acceptedAt: now() } },
      { upsert: true },
    ).catch((error: unknown) => {
      // Two clicks at once: the unique index keeps one acceptance, which is what was asked.
      if (isDuplicateKey(error)) return { upsertedCount: 0 };
      throw error;
    });
    if (result.upsertedCount === 1) {
      await audit.recordAudit({
        action: 'charter.accepted',
        actor: { id: actor.id, email: actor.email },
        target: { type: 'charter', id: String(version), label: `Charter version ${version}` },
        details: { version },
      });
    }
  }

  /**
   * Co-facilitators accept the charter: anyone with the co-facilitator role, and anyone on a course's authoring
   * team as a co-facilitator (read from `Course.authoringTeam`, the field the authoring contract shares).
   */
  async function isCoFacilitator(actor: CharterActor): Promise<boolean> {
    if (actor.roles.includes('co-facilitator')) return true;
    const user = objectId(actor.id);
    if (!user) return false;
    return (await Course.exists({ authoringTeam: { $elemMatch: { user, role: 'co-facilitator' } } })) !== null;
  }

  /** True when this person must accept the current charter before authoring (never joined, or a new version). */
  async function mustAcceptCharter(actor: CharterActor): Promise<boolean> {
    if (!(await isCoFacilitator(actor))) return false;
    const [current, accepted] = await Promise.all([currentRecord(), acceptanceOf(actor.id)]);
    return !accepted || accepted.version < current.version;
  }

  /** Recent acceptances, newest first, for the admin page. */
  async function listAcceptances(limit = 50): Promise<CharterAcceptanceItem[]> {
    const records = await CharterAcceptance.find({}).sort({ acceptedAt: -1, _id: -1 }).limit(limit).lean<CharterAcceptanceRecord[]>();
    const people = await users.getPeopleByIds([...new Set(records.map((record) => record.user.toString()))]);
    const byId = new Map(people.map((person) => [person.id, person]));
    return records.map((record) => {
      const person = byId.get(record.user.toString());
      return { name: person?.name ?? '', email: person?.email ?? '', version: record.version, acceptedAt: record.acceptedAt };
    });
  }

  return {
    currentCharter,
    getCharterVersion,
    listCharterVersions,
    publishCharter,
    acceptanceOf,
    acceptCharter,
    isCoFacilitator,
    mustAcceptCharter,
    listAcceptances,
  };
}

export type CharterService = ReturnType<typeof createCharterService>;
