/**
 * View models for the credit pages: "How I am credited" (the person's own) and a course's contributions (its
 * trainers). Plain objects with exactly what each page shows, already formatted.
 */
import type { FormValues } from '../web/forms';
import type { ConsentState } from './resolve';
import { CONTRIBUTION_LABELS, firstNameOf } from './resolve';
import { CONTRIBUTION_KINDS } from './model';
import type { OwnCredit, TeamCredit } from './service';

const dateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

function formatDate(date: Date | null): string {
  return date ? dateFormat.format(date) : '';
}

function kindsText(kinds: readonly string[]): string {
  return kinds.map((kind) => CONTRIBUTION_LABELS[kind as keyof typeof CONTRIBUTION_LABELS] ?? kind).join(', ');
}

/** The consent state in words, for the person and for trainers. */
export const STATE_WORDS: Readonly<Record<ConsentState, string>> = {
  waiting: 'Not chosen yet: not named',
  given: 'Chosen',
  withdrawn: 'Consent taken back: not named',
};

export function creditHref(id: string): string {
  return `/account/credits/${id}`;
}

export interface OwnCreditRow {
  href: string;
  courseTitle: string;
  moduleTitle: string;
  kinds: string;
  state: ConsentState;
  stateWords: string;
  shownAs: string;
}

export function ownCreditsPage(credits: OwnCredit[]) {
  return {
    title: 'How I am credited',
    credits: credits.map<OwnCreditRow>((credit) => ({
      href: creditHref(credit.id),
      courseTitle: credit.courseTitle,
      moduleTitle: credit.moduleTitle,
      kinds: kindsText(credit.kinds),
      state: credit.state,
      stateWords: STATE_WORDS[credit.state],
      shownAs: credit.shownAs,
    })),
  };
}

export function chooseCreditPage(credit: OwnCredit, form: { values?: FormValues; errors?: Record<string, string> } = {}) {
  const errors = form.errors ?? {};
  const firstName = firstNameOf(credit.personName);
  const status =
    credit.state === 'given'
      ? `You agreed on ${formatDate(credit.consentGivenAt)}.${credit.changedAt && credit.changedAt > (credit.consentGivenAt ?? credit.changedAt) ? ` You last changed it on ${formatDate(credit.changedAt)}.` : ''}`
      : credit.state === 'withdrawn'
        ? `You took back your consent on ${formatDate(credit.withdrawnAt)}. You are not named anywhere until you choose again.`
        : 'You have not chosen yet. Until you choose, you are not named anywhere.';
  return {
    title: `${Object.keys(errors).length > 0 ? 'Error: ' : ''}How I am credited: ${credit.moduleTitle}`,
    action: creditHref(credit.id),
    withdrawAction: `${creditHref(credit.id)}/withdraw`,
    courseTitle: credit.courseTitle,
    moduleTitle: credit.moduleTitle,
    kinds: kindsText(credit.kinds),
    state: credit.state,
    shownAs: credit.shownAs,
    status,
    displayOptions: [
      { value: 'full-name', text: `My full name: ${credit.personName}` },
      { value: 'first-name', text: `My first name only: ${firstName}` },
      { value: 'pseudonym', text: 'A different name that I choose', hint: 'Write it in the box below.' },
      { value: 'anonymous', text: 'Do not show my name', hint: 'People see "A contributor who chose not to be named".' },
    ],
    values: {
      display: credit.display ?? '',
      pseudonym: credit.pseudonym,
      about: credit.about,
      ...form.values,
    } as FormValues,
    errors,
  };
}

export interface TeamModuleView {
  key: string;
  title: string;
  credits: Array<{ personName: string; personEmail: string; kinds: string; stateWords: string; shownAs: string }>;
}

export function courseCreditsPage(
  course: { title: string; slug: string },
  modules: Array<{ key: string; title: string; credits: TeamCredit[] }>,
  form: { values?: FormValues; errors?: Record<string, string> } = {},
) {
  const errors = form.errors ?? {};
  return {
    title: `${Object.keys(errors).length > 0 ? 'Error: ' : ''}Contributors: ${course.title}`,
    courseTitle: course.title,
    courseHref: `/manage/courses/${course.slug}`,
    action: `/manage/credits/${course.slug}`,
    modules: modules.map<TeamModuleView>((module) => ({
      key: module.key,
      title: module.title,
      credits: module.credits.map((credit) => ({
        personName: credit.personName,
        personEmail: credit.personEmail,
        kinds: kindsText(credit.kinds),
        stateWords: STATE_WORDS[credit.state],
        shownAs: credit.shownAs,
      })),
    })),
    moduleOptions: [{ value: '', text: 'Choose a module' }, ...modules.map((module) => ({ value: module.key, text: module.title }))],
    kindOptions: CONTRIBUTION_KINDS.map((kind) => ({ value: kind, text: CONTRIBUTION_LABELS[kind] })),
    values: { kinds: [], ...form.values } as FormValues,
    errors,
  };
}
