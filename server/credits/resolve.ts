/**
 * How credits read on a page, from the current choices: pure rules, no I/O (unit tests beside).
 *   - a real contributor (a Credit) is named only as they chose, and only while their consent stands;
 *   - the same person appears once per module with every kind of contribution;
 *   - sample contributors from content front matter (no account) are shown as the content says, merged the same way;
 *   - a module's co-production level comes with one plain line on who shaped it.
 */
import type { CoProductionLevel, ContributionKind, CreditDisplay, CreditEntry } from '../courses/types';
import { LEVEL_LABELS } from '../courses/types';

export const CONTRIBUTION_LABELS: Readonly<Record<ContributionKind, string>> = {
  'co-author': 'Co-author',
  'lived-experience voice': 'Lived experience voice',
  artwork: 'Artwork',
  video: 'Video',
  review: 'Review',
};

export const DISPLAY_LABELS: Readonly<Record<CreditDisplay, string>> = {
  'full-name': 'Full name',
  'first-name': 'First name',
  pseudonym: 'A different name (pseudonym)',
  anonymous: 'Not named',
};

/** Shown for a person who chose not to be named (the words shipped content uses too). */
export const NOT_NAMED_BY_CHOICE = 'A contributor who chose not to be named';
/** Shown while a person has not yet chosen, or after they withdrew consent: nothing about them but the work. */
export const NOT_NAMED = 'A contributor who is not named';

/** One line of a credits list, as a learner sees it. */
export interface CreditLine {
  name: string;
  /** Who they are, in their own words; empty when they are not named. */
  role: string;
  /** Every kind of contribution, joined ("Co-author, Artwork"). */
  contribution: string;
  sample: boolean;
  /** False for anyone not shown by name (by choice, before consent, after withdrawal). */
  named: boolean;
}

export type ConsentState = 'waiting' | 'given' | 'withdrawn';

export interface CreditChoice {
  kinds: ContributionKind[];
  about: string;
  display: CreditDisplay | null;
  pseudonym: string;
  consentGivenAt: Date | null;
  withdrawnAt: Date | null;
}

export function consentState(credit: Pick<CreditChoice, 'consentGivenAt' | 'withdrawnAt' | 'display'>): ConsentState {
  if (credit.withdrawnAt) return 'withdrawn';
  return credit.consentGivenAt && credit.display ? 'given' : 'waiting';
}

/** The first word of a name ("Priya Shah" -> "Priya"). */
export function firstNameOf(name: string): string {
  return name.trim().split(/\s+/)[0] ?? '';
}

/** The name a credit shows now, from the person's current name and choice. */
export function shownName(credit: Pick<CreditChoice, 'display' | 'pseudonym' | 'consentGivenAt' | 'withdrawnAt'>, personName: string): { name: string; named: boolean } {
  if (consentState(credit) !== 'given') return { name: NOT_NAMED, named: false };
  switch (credit.display) {
    case 'full-name':
      return { name: personName.trim(), named: true };
    case 'first-name':
      return { name: firstNameOf(personName), named: true };
    case 'pseudonym':
      return { name: credit.pseudonym.trim(), named: true };
    default:
      return { name: NOT_NAMED_BY_CHOICE, named: false };
  }
}

function contributionText(kinds: readonly ContributionKind[]): string {
  return kinds.map((kind) => CONTRIBUTION_LABELS[kind] ?? kind).join(', ');
}

/** A real contributor's line. Their own words about who they are show only once they have consented. */
export function personCreditLine(credit: CreditChoice, personName: string): CreditLine {
  const { name, named } = shownName(credit, personName);
  return {
    name,
    role: consentState(credit) === 'given' ? credit.about.trim() : '',
    contribution: contributionText(credit.kinds),
    sample: false,
    named,
  };
}

/**
 * Who a content credit names. Content files carry only the name as shown, so that name and how the person chose
 * to be shown identify them. Anonymous contributors all share one shown name, so each anonymous role stays apart:
 * two people who chose not to be named are never merged into one.
 */
export function contentPersonKey(credit: CreditEntry): string {
  const base = `${credit.display}\u0000${credit.displayName}\u0000${credit.sample ? 'sample' : ''}`;
  return credit.display === 'anonymous' ? `${base}\u0000${credit.role}` : base;
}

/** Content (front matter) credits, each person once with all their contributions and roles. */
export function contentCreditLines(credits: readonly CreditEntry[]): CreditLine[] {
  const people = new Map<string, { first: CreditEntry; kinds: ContributionKind[]; roles: string[] }>();
  for (const credit of credits) {
    const key = contentPersonKey(credit);
    const person = people.get(key) ?? { first: credit, kinds: [], roles: [] };
    if (!person.kinds.includes(credit.contribution)) person.kinds.push(credit.contribution);
    if (!person.roles.includes(credit.role)) person.roles.push(credit.role);
    people.set(key, person);
  }
  return [...people.values()].map(({ first, kinds, roles }) => ({
    name: first.displayName,
    role: roles.join('; '),
    contribution: contributionText(kinds),
    // Shipped content already says "invented sample contributor" in the role; say it once, not twice.
    sample: first.sample && !/sample/i.test(roles.join(' ')),
    named: first.display !== 'anonymous',
  }));
}

/** "A", "A and B", "A, B and C". */
export function listInWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** A role without the sample marker the shipped content adds, for use inside brackets. */
function plainRole(role: string): string {
  return role.replace(/\s*\((?:an? )?(?:invented )?sample[^)]*\)\s*/gi, ' ').replace(/\s*;\s*/g, '; ').trim();
}

function unnamedWords(count: number): string {
  return count === 1 ? 'one person who is not named' : `${count} people who are not named`;
}

/**
 * The plain-language line on how a module was made and who shaped it, e.g.
 * "Co-production: written with River (young autistic co-facilitator) and Priya (parent carer)."
 */
export function shapedByLine(level: CoProductionLevel, lines: readonly CreditLine[]): string {
  const named = lines.filter((line) => line.named).map((line) => (plainRole(line.role) ? `${line.name} (${plainRole(line.role)})` : line.name));
  const unnamed = lines.length - named.length;
  const people = [...named, ...(unnamed > 0 ? [unnamedWords(unnamed)] : [])];
  const label = LEVEL_LABELS[level];
  if (people.length === 0) return `${label}: nobody is credited for this module yet.`;
  const who = listInWords(people);
  switch (level) {
    case 'co-production':
      return `${label}: written with ${who}.`;
    case 'co-design':
      return `${label}: planned and designed with ${who}.`;
    case 'consultation':
      return `${label}: the team asked ${who} for their views and used them.`;
    default:
      return `${label}: the team told ${who} about this module. They did not shape it.`;
  }
}
