/**
 * The logical session cache MongoDB keeps in memory: every command that carries an `lsid` marks its session as
 * used; endSessions forgets them; `$listLocalSessions` lists them as a standalone 7.0 does without access control.
 */
import { createHash } from 'node:crypto';
import { Binary } from 'bson';
import { EngineError, ErrorCodes } from '../errors';
import { isPlainObject, type Doc } from '../bson/values';

/** Without access control every session belongs to the empty user, whose uid is SHA-256 of the empty string. */
const ANONYMOUS_UID = new Binary(createHash('sha256').update('').digest(), 0);
const TIMEOUT_MS = 30 * 60 * 1000;

interface SessionRecord {
  id: Binary;
  lastUse: Date;
}

function keyOf(lsid: unknown): string | undefined {
  if (!isPlainObject(lsid) || !(lsid.id instanceof Binary)) return undefined;
  return Buffer.from(lsid.id.buffer).toString('hex');
}

export class LocalSessions {
  private readonly sessions = new Map<string, SessionRecord>();

  touch(lsid: unknown, now = new Date()): void {
    const key = keyOf(lsid);
    if (key === undefined) return;
    this.sessions.set(key, { id: (lsid as { id: Binary }).id, lastUse: now });
  }

  end(lsids: unknown): void {
    if (!Array.isArray(lsids)) return;
    for (const lsid of lsids) {
      const key = keyOf(lsid);
      if (key !== undefined) this.sessions.delete(key);
    }
  }

  /** The `$listLocalSessions` stage's documents for its specification. */
  list(spec: unknown, now = Date.now()): Doc[] {
    if (!isPlainObject(spec)) throw new EngineError(ErrorCodes.TypeMismatch, '$listLocalSessions options must be specified in an object');
    for (const key of Object.keys(spec)) {
      if (key !== 'allUsers' && key !== 'users') throw new EngineError(40415, `BSON field '$listSessions.${key}' is an unknown field.`);
    }
    if (spec.allUsers === true && spec.users !== undefined) {
      throw new EngineError(ErrorCodes.BadValue, 'Cannot specify an explicit list of users in allUsers mode');
    }
    // Users only exist with access control; the engine has none, so a named user owns no session.
    if (Array.isArray(spec.users) && spec.users.length > 0) return [];
    const out: Doc[] = [];
    for (const [key, s] of this.sessions) {
      if (now - s.lastUse.getTime() > TIMEOUT_MS) {
        this.sessions.delete(key);
        continue;
      }
      out.push({ _id: { id: s.id, uid: ANONYMOUS_UID }, lastUse: s.lastUse });
    }
    return out;
  }
}
