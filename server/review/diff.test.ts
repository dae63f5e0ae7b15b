import { compareLessonTexts, htmlToLines, lessonText } from './diff';

describe('lesson differences', () => {
  test('sanitised HTML becomes readable lines', () => {
    expect(htmlToLines('<p>One &amp; two</p><ul><li>A</li><li>B</li></ul>')).toEqual(['One & two', '- A', '- B']);
  });

  test('a changed line is compared word by word; added and removed lines are counted', () => {
    const before = lessonText({ key: 'l', title: 'T', blocks: [{ kind: 'text', key: 'a', required: false, html: '<p>Some plain text.</p><p>Gone.</p>' }] });
    const after = lessonText({ key: 'l', title: 'T', blocks: [{ kind: 'text', key: 'a', required: false, html: '<p>Some clearer text.</p>' }] });
    const diff = compareLessonTexts(before, after);
    expect(diff.unchanged).toBe(false);
    const changed = diff.rows.find((row) => row.kind === 'changed');
    expect(changed && changed.kind === 'changed' ? changed.pieces.filter((p) => p.kind !== 'same').map((p) => `${p.kind}:${p.text}`) : []).toEqual(['removed:plain', 'added:clearer']);
    expect(diff.rows).toContainEqual({ kind: 'removed', text: 'Gone.' });
  });

  test('far-away unchanged lines are shortened; equal texts are unchanged', () => {
    const lines = Array.from({ length: 20 }, (_, i) => `line ${i}`);
    const diff = compareLessonTexts(`${lines.join('\n')}\n`, `${[...lines.slice(0, 19), 'last'].join('\n')}\n`, 2);
    expect(diff.rows[0]).toEqual({ kind: 'skipped', count: 17 });
    expect(compareLessonTexts('a\n', 'a\n').unchanged).toBe(true);
  });
});
