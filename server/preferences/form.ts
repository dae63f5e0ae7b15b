/**
 * The preferences form: what it offers, how a submitted form is read, and the view model of the page.
 * Checkboxes send `yes` when ticked and nothing when not, as browsers do without JavaScript.
 */
import { z } from 'zod';
import { TEXT_SIZES, THEMES, type Preferences } from '../people';
import { fieldErrors } from '../web/forms';

/** Each choice's label is drawn at the size it gives, so people can see which one they can read. */
export const TEXT_SIZE_OPTIONS: ReadonlyArray<{ value: Preferences['textSize']; text: string; labelClass: string }> = [
  { value: 'standard', text: 'Standard', labelClass: 'size-sample size-sample--standard' },
  { value: 'large', text: 'Large', labelClass: 'size-sample size-sample--large' },
  { value: 'larger', text: 'Larger', labelClass: 'size-sample size-sample--larger' },
  { value: 'largest', text: 'Largest', labelClass: 'size-sample size-sample--largest' },
];

export const THEME_OPTIONS: ReadonlyArray<{ value: Preferences['theme']; text: string; hint: string }> = [
  { value: 'standard', text: 'Standard', hint: 'Soft, calm colours. This is what most people see.' },
  {
    value: 'high-contrast',
    text: 'High contrast',
    hint: 'Black text on white, with strong outlines. Easier to see if colours look faint to you.',
  },
  {
    value: 'low-sensory',
    text: 'Low sensory',
    hint: 'Muted grey colours, no shadows, no pictures behind text and more space between things.',
  },
];

const ticked = z
  .union([z.literal('yes'), z.array(z.literal('yes'))], { error: 'Tick the box or leave it empty' })
  .optional()
  .transform((value) => value !== undefined);

const preferencesFormSchema = z.object({
  textSize: z.enum(TEXT_SIZES, { error: 'Choose a text size' }),
  theme: z.enum(THEMES, { error: 'Choose colours' }),
  reducedMotion: ticked,
  readableFont: ticked,
  captionsOff: ticked,
});

/** What the page shows in the form: the saved choices, or what was just sent when it needs correcting. */
export interface PreferencesFormValues {
  textSize?: string;
  theme?: string;
  reducedMotion: boolean;
  readableFont: boolean;
  captionsOff: boolean;
}

export type PreferencesFormResult =
  | { ok: true; preferences: Preferences }
  | { ok: false; errors: Record<string, string>; values: PreferencesFormValues };

/** Reads a submitted form. Never throws: a bad form comes back with a message per field. */
export function readPreferencesForm(body: unknown): PreferencesFormResult {
  const input = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const parsed = preferencesFormSchema.safeParse({
    textSize: input.textSize,
    theme: input.theme,
    reducedMotion: input.reducedMotion,
    readableFont: input.readableFont,
    captionsOff: input.captionsOff,
  });
  if (parsed.success) {
    return { ok: true, preferences: parsed.data };
  }
  // Keep what was sent where it is one of the offered choices; a value we do not offer cannot be shown as chosen.
  const keep = (value: unknown, allowed: readonly string[]): string | undefined =>
    typeof value === 'string' && allowed.includes(value) ? value : undefined;
  return {
    ok: false,
    errors: fieldErrors(parsed.error),
    values: {
      textSize: keep(input.textSize, TEXT_SIZES),
      theme: keep(input.theme, THEMES),
      reducedMotion: input.reducedMotion === 'yes',
      readableFont: input.readableFont === 'yes',
      captionsOff: input.captionsOff === 'yes',
    },
  };
}

export interface PreferencesPage {
  title: string;
  values: PreferencesFormValues;
  errors: Record<string, string>;
  textSizeOptions: typeof TEXT_SIZE_OPTIONS;
  themeOptions: typeof THEME_OPTIONS;
  /** Classes for the preview sample: the look that is saved now (script updates them as choices change). */
  previewClasses: string;
  signedIn: boolean;
}

export function preferencesPage(options: {
  saved: Preferences;
  values?: PreferencesFormValues;
  errors?: Record<string, string>;
  signedIn: boolean;
}): PreferencesPage {
  const { saved } = options;
  return {
    title: 'Preferences',
    values: options.values ?? { ...saved },
    errors: options.errors ?? {},
    textSizeOptions: TEXT_SIZE_OPTIONS,
    themeOptions: THEME_OPTIONS,
    previewClasses: [
      'preview',
      `theme-${saved.theme}`,
      `preview--text-${saved.textSize}`,
      saved.readableFont ? 'readable-font' : 'default-font',
    ].join(' '),
    signedIn: options.signedIn,
  };
}
