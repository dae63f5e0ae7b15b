import type { CreditEntry } from '../courses/types';
import { NOT_NAMED, NOT_NAMED_BY_CHOICE, consentState, contentCreditLines, personCreditLine, shapedByLine, type CreditChoice } from './resolve';

const given = new Date('2026-12-01T10:00:00Z');

function choice(partial: Partial<CreditChoice>): CreditChoice {
  return { kinds: ['co-author'], about: 'parent carer', display: 'full-name', pseudonym: '', consentGivenAt: given, withdrawnAt: null, ...partial };
}

describe('a real contributor is named only as they chose, while their consent stands', () => {
  it.each([
    ['full-name', 'Priya Shah'],
    ['first-name', 'Priya'],
    ['pseudonym', 'Sunny'],
    ['anonymous', NOT_NAMED_BY_CHOICE],
  ] as const)('shows %s as %s', (display, name) => {
    expect(personCreditLine(choice({ display, pseudonym: 'Sunny' }), 'Priya Shah').name).toBe(name);
  });

  it('names nobody before consent or after withdrawal, and hides their own words too', () => {
    const waiting = personCreditLine(choice({ consentGivenAt: null, display: null }), 'Priya Shah');
    const withdrawn = personCreditLine(choice({ withdrawnAt: new Date() }), 'Priya Shah');
    for (const line of [waiting, withdrawn]) expect(line).toMatchObject({ name: NOT_NAMED, role: '', named: false });
    expect(consentState(choice({ consentGivenAt: null, display: null }))).toBe('waiting');
    expect(consentState(choice({ withdrawnAt: new Date() }))).toBe('withdrawn');
  });

  it('lists every kind of contribution on one line', () => {
    expect(personCreditLine(choice({ kinds: ['co-author', 'artwork', 'review'] }), 'Priya Shah').contribution).toBe('Co-author, Artwork, Review');
  });
});

describe('content credits and the line on who shaped a module', () => {
  const sample = (displayName: string, contribution: CreditEntry['contribution'], role: string, display: CreditEntry['display'] = 'pseudonym'): CreditEntry => ({ displayName, display, contribution, role, sample: true });

  it('merges a sample contributor credited twice in one module', () => {
    const lines = contentCreditLines([sample('River', 'co-author', 'young autistic co-facilitator'), sample('River', 'video', 'young autistic co-facilitator')]);
    expect(lines).toEqual([{ name: 'River', role: 'young autistic co-facilitator', contribution: 'Co-author, Video', sample: true, named: true }]);
  });

  it('says who shaped it in plain words, per level', () => {
    const lines = contentCreditLines([sample('River', 'co-author', 'young autistic co-facilitator (invented sample contributor)'), sample('Priya', 'co-author', 'parent carer', 'first-name')]);
    expect(shapedByLine('co-production', lines)).toBe('Co-production: written with River (young autistic co-facilitator) and Priya (parent carer).');
    expect(shapedByLine('co-design', lines.slice(0, 1))).toBe('Co-design: planned and designed with River (young autistic co-facilitator).');
    expect(shapedByLine('consultation', lines)).toContain('the team asked River');
    expect(shapedByLine('informing', lines)).toContain('They did not shape it.');
    expect(shapedByLine('co-production', [])).toBe('Co-production: nobody is credited for this module yet.');
    const unnamed = personCreditLine(choice({ consentGivenAt: null, display: null }), 'X');
    expect(shapedByLine('co-production', [...lines, unnamed, unnamed])).toBe(
      'Co-production: written with River (young autistic co-facilitator), Priya (parent carer) and 2 people who are not named.',
    );
  });
});
