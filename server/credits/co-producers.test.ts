import type { CreditEntry } from '../courses/types';
import { coProducers } from './co-producers';

function credit(partial: Partial<CreditEntry> & Pick<CreditEntry, 'displayName' | 'contribution' | 'role'>): CreditEntry {
  return { display: 'pseudonym', sample: true, ...partial };
}

function module(credits: CreditEntry[]) {
  return { key: 'm', title: 'M', summary: '', coProductionLevel: 'co-production' as const, credits, lessons: [] };
}

describe('coProducers', () => {
  it('names a contributor credited in several modules once, with every contribution and role', () => {
    const jessArt = credit({ displayName: 'Jess', contribution: 'artwork', role: 'autistic artist' });
    const jessVideo = credit({ displayName: 'Jess', contribution: 'video', role: 'autistic artist who made the video picture' });
    const river = credit({ displayName: 'River', contribution: 'co-author', role: 'young co-facilitator' });
    const result = coProducers({ credits: [river, jessArt], modules: [module([river, jessArt]), module([jessVideo, river])] });
    expect(result).toEqual([
      { displayName: 'River', contribution: 'co-author', role: 'young co-facilitator' },
      { displayName: 'Jess', contribution: 'artwork, video', role: 'autistic artist; autistic artist who made the video picture' },
    ]);
  });

  it('never merges two people who chose not to be named, nor a shown name used in two ways', () => {
    const first = credit({ displayName: 'A contributor who chose not to be named', display: 'anonymous', contribution: 'review', role: 'parent carer' });
    const second = credit({ displayName: 'A contributor who chose not to be named', display: 'anonymous', contribution: 'review', role: 'teacher' });
    const sam = credit({ displayName: 'Sam', display: 'first-name', contribution: 'co-author', role: 'parent carer' });
    const samPseudonym = credit({ displayName: 'Sam', display: 'pseudonym', contribution: 'artwork', role: 'young artist' });
    const result = coProducers({ credits: [], modules: [module([first, sam]), module([second, first, samPseudonym])] });
    expect(result.map((person) => `${person.displayName}: ${person.role}`)).toEqual([
      'A contributor who chose not to be named: parent carer',
      'Sam: parent carer',
      'A contributor who chose not to be named: teacher',
      'Sam: young artist',
    ]);
  });
});
