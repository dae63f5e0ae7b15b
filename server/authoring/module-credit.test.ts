import { parseModuleBody } from '../courses/blocks';
import { moduleFrontMatter, splitFrontMatter } from '../courses/front-matter';
import { withModuleCredit } from './module-text';

const moduleText = (credits: string) => `---\ntitle: A module\nsummary: About it.\ncoProductionLevel: co-design\n${credits}---\n\n## A lesson {#a-lesson}\n\nText.\n`;
const sam = { name: 'Sam Jones', display: 'first-name', contribution: 'lived-experience voice', role: 'parent carer: "my son"' };

function creditsOf(text: string) {
  const split = splitFrontMatter(text);
  const parsed = moduleFrontMatter.safeParse(split.data);
  if (!parsed.success) throw new Error(parsed.error.message);
  expect(parseModuleBody('m', split.bodyLines, split.bodyStartLine).problems).toEqual([]);
  return parsed.data.credits;
}

describe('crediting someone on a module', () => {
  test('adds an entry to an empty list, to a written list, and where there is none, keeping every other line', () => {
    for (const credits of ['credits: []\n', 'credits:\n  - name: River\n    display: pseudonym\n    contribution: co-author\n    role: young person\n', '']) {
      const text = withModuleCredit(moduleText(credits), sam);
      expect(text).not.toBeNull();
      const list = creditsOf(text ?? '');
      expect(list.at(-1)).toMatchObject({ name: 'Sam Jones', display: 'first-name', contribution: 'lived-experience voice', role: 'parent carer: "my son"' });
      expect(text).toContain('## A lesson {#a-lesson}\n\nText.');
    }
  });

  test('someone already credited by name is not listed twice; anonymous entries need no name', () => {
    const once = withModuleCredit(moduleText('credits: []\n'), sam) ?? '';
    expect(withModuleCredit(once, { ...sam, name: 'sam jones' })).toBeNull();
    const anonymous = withModuleCredit(once, { display: 'anonymous', contribution: 'artwork', role: 'young artist' }) ?? '';
    expect(creditsOf(anonymous)).toHaveLength(2);
  });
});
