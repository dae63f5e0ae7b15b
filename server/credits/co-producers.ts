/**
 * The co-producers a certificate names: every contributor to the course and its modules, each ONCE, with
 * everything they did. A person credited for artwork in one module and for a video in another is one person.
 * This is the content (front matter) part; real contributors' current choices are added by ./service.ts.
 */
import type { CourseVersionContent, CreditEntry } from '../courses/types';
import { contentPersonKey } from './resolve';

export interface CoProducer {
  displayName: string;
  /** Every kind of contribution, in the order first credited ("artwork, video"). */
  contribution: string;
  /** Every distinct role they were credited with, in the order first credited, joined by "; ". */
  role: string;
}

export function coProducers(content: Pick<CourseVersionContent, 'credits' | 'modules'>): CoProducer[] {
  const people = new Map<string, { displayName: string; contributions: string[]; roles: string[] }>();
  const all: CreditEntry[] = [...content.credits, ...content.modules.flatMap((module) => module.credits)];
  for (const credit of all) {
    const id = contentPersonKey(credit);
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
