/**
 * The co-producers a certificate names: every contributor to the course and its modules, each ONCE, with
 * everything they did. A person credited for artwork in one module and for a video in another is one person.
 */
import type { CourseVersionContent, CreditEntry } from '../courses/types';

export interface CoProducer {
  displayName: string;
  /** Every kind of contribution, in the order first credited ("artwork, video"). */
  contribution: string;
  /** Every distinct role they were credited with, in the order first credited, joined by "; ". */
  role: string;
}

/**
 * Who a credit names. Content files carry only the name as shown, so that name and how the person chose to be
 * shown identify them. Anonymous contributors all share one shown name, so each anonymous role stays apart:
 * two people who chose not to be named are never merged into one.
 */
function personOf(credit: CreditEntry): string {
  const base = `${credit.display}\u0000${credit.displayName}\u0000${credit.sample ? 'sample' : ''}`;
  return credit.display === 'anonymous' ? `${base}\u0000${credit.role}` : base;
}

export function coProducers(content: Pick<CourseVersionContent, 'credits' | 'modules'>): CoProducer[] {
  const people = new Map<string, { displayName: string; contributions: string[]; roles: string[] }>();
  for (const credit of [...content.credits, ...content.modules.flatMap((module) => module.credits)]) {
    const id = personOf(credit);
    const person = people.get(id) ?? { displayName: credit.displayName, contributions: [], roles: [] };
    if (!person.contributions.includes(credit.contribution)) person.contributions.push(credit.contribution);
    if (!person.roles.includes(credit.role)) person.roles.push(credit.role);
    people.set(id, person);
  }
  return [...people.values()].map((person) => ({
    displayName: person.displayName,
    contribution: person.contributions.join(', '),
    role: person.roles.join('; '),
  }));
}
