/**
 * The shapes every part of the app shares about people: roles, display preferences and the signed-in user
 * that `req.user` and `res.locals.currentUser` hold. Below the web layer and the features (like ./errors.ts),
 * with no database code, so views, `server/web/` and every feature can use it.
 */
import { z } from 'zod';

export const ROLES = ['learner', 'co-facilitator', 'trainer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Readonly<Record<Role, string>> = {
  learner: 'Learner',
  'co-facilitator': 'Co-facilitator',
  trainer: 'Trainer',
  admin: 'Admin',
};

export const TEXT_SIZES = ['standard', 'large', 'larger', 'largest'] as const;
export const THEMES = ['standard', 'high-contrast', 'low-sensory'] as const;

export interface Preferences {
  textSize: (typeof TEXT_SIZES)[number];
  theme: (typeof THEMES)[number];
  reducedMotion: boolean;
  readableFont: boolean;
  /** Videos and audio clips start with captions off (captions are on unless the person asks for this). */
  captionsOff: boolean;
}

export const DEFAULT_PREFERENCES: Readonly<Preferences> = Object.freeze({
  textSize: 'standard',
  theme: 'standard',
  reducedMotion: false,
  readableFont: false,
  captionsOff: false,
});

/** Validates stored or submitted preferences; anything missing falls back to the default. */
export const preferencesSchema = z.object({
  textSize: z.enum(TEXT_SIZES).catch(DEFAULT_PREFERENCES.textSize),
  theme: z.enum(THEMES).catch(DEFAULT_PREFERENCES.theme),
  reducedMotion: z.boolean().catch(DEFAULT_PREFERENCES.reducedMotion),
  readableFont: z.boolean().catch(DEFAULT_PREFERENCES.readableFont),
  captionsOff: z.boolean().catch(DEFAULT_PREFERENCES.captionsOff),
});

/** Reads preferences from anything (a stored document, a cookie value), never failing. */
export function normalisePreferences(value: unknown): Preferences {
  const parsed = preferencesSchema.safeParse(typeof value === 'object' && value !== null ? value : {});
  return parsed.success ? parsed.data : { ...DEFAULT_PREFERENCES };
}

/** What the app knows about the signed-in person on every request (`req.user`). Never the whole document. */
export interface SignedInUser {
  id: string;
  name: string;
  email: string;
  roles: Role[];
  preferences: Preferences;
}

export function hasAnyRole(user: Pick<SignedInUser, 'roles'> | undefined, roles: readonly Role[]): boolean {
  return user !== undefined && user.roles.some((role) => roles.includes(role));
}
