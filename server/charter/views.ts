/**
 * View models for the charter pages: plain objects with exactly what each page shows, already formatted.
 */
import type { FormValues } from '../web/forms';
import type { CharterAcceptanceItem, CharterHistoryItem, CharterText } from './service';

const dateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

export function charterPage(current: CharterText, accepted: { version: number; acceptedAt: Date } | null, required: boolean, next: string) {
  const acceptedCurrent = accepted !== null && accepted.version >= current.version;
  return {
    title: 'Our co-production charter',
    version: current.version,
    html: current.html,
    publishedLabel: dateFormat.format(current.publishedAt),
    /** True when this person is asked to accept now. */
    required,
    /** Anyone who has not accepted this version may accept it; co-facilitators must. */
    canAccept: !acceptedCurrent,
    acceptedLabel: acceptedCurrent && accepted ? `You accepted version ${accepted.version} on ${dateFormat.format(accepted.acceptedAt)}.` : null,
    /** Shown to someone who accepted an earlier version: what changed since. */
    changeNote: accepted && !acceptedCurrent ? current.changeNote : '',
    previousVersion: accepted && !acceptedCurrent ? accepted.version : null,
    next,
  };
}

export function adminCharterPage(
  current: CharterText,
  history: CharterHistoryItem[],
  acceptances: CharterAcceptanceItem[],
  form: { values?: FormValues; errors?: Record<string, string>; problem?: string } = {},
) {
  const errors = form.errors ?? {};
  return {
    title: `${Object.keys(errors).length > 0 || form.problem ? 'Error: ' : ''}Co-production charter`,
    version: current.version,
    html: current.html,
    problem: form.problem ?? null,
    values: { text: current.text, changeNote: '', basedOn: String(current.version), ...form.values } as FormValues,
    errors,
    history: history.map((item) => ({
      version: item.version,
      href: `/admin/charter/versions/${item.version}`,
      published: dateFormat.format(item.publishedAt),
      by: item.publishedByName ?? 'Shipped with Coproduce',
      changeNote: item.changeNote || 'The first version',
    })),
    acceptances: acceptances.map((item) => ({
      name: item.name || item.email,
      email: item.email,
      version: item.version,
      accepted: dateFormat.format(item.acceptedAt),
    })),
  };
}

export function charterVersionPage(text: CharterText) {
  return {
    title: `Co-production charter, version ${text.version}`,
    version: text.version,
    html: text.html,
    published: dateFormat.format(text.publishedAt),
    by: text.publishedByName ?? 'Shipped with Coproduce',
    changeNote: text.changeNote || 'The first version',
  };
}
