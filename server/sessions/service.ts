/**
 * Ending sessions and telling every app process about it. A change that takes access away (turning an account
 * off, removing a role, a new password, signing out everywhere, signing out) is written first, then announced
 * here; each process's RevocationFeed (./feed.ts) reads the announcement within a poll interval and forgets what it
 * remembered, so its next read sees the change. (Announcing before the change is written could let a process read
 * and remember the old state again.) Made once by the composition root (../services.ts).
 */
import mongoose, { Types } from 'mongoose';
import { Revocation } from './model';

/** Where express-session's MongoDB store keeps sessions (../web/session.ts). */
const SESSIONS_COLLECTION = 'sessions';

/** What an announcement names: a person (everything remembered about them) or one session. */
export type RevocationNotice = { userId: string; sessionId?: undefined } | { sessionId: string; userId?: undefined };

export function createSessionsService() {
  /** Announces to every app process that what they remember about this person or session is out of date. */
  async function announceRevocation(notice: RevocationNotice): Promise<void> {
    // An upsert of a new _id, for $currentDate: the database's clock stamps the note, not this process's.
    await Revocation.updateOne(
      { _id: new Types.ObjectId() },
      { $set: notice.userId !== undefined ? { userId: notice.userId } : { sessionId: notice.sessionId }, $currentDate: { at: true } },
      { upsert: true },
    );
  }

  /**
   * Deletes a person's stored sessions (all of them, or all but `keep`, the session of the request that asked),
   * then announces it. Callers first raise the person's session version (../users/service.ts), which is what
   * refuses a session some process still remembers; deleting them means no idle session is left to come back.
   */
  async function deleteSessionsOf(userId: string, options: { keep?: string } = {}): Promise<void> {
    const filter: Record<string, unknown> = { 'session.passport.user': userId };
    if (options.keep) filter._id = { $ne: options.keep };
    await mongoose.connection.collection(SESSIONS_COLLECTION).deleteMany(filter);
    await announceRevocation({ userId });
  }

  return { announceRevocation, deleteSessionsOf };
}

export type SessionsService = ReturnType<typeof createSessionsService>;
