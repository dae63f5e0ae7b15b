import { parseAttributes, parseModuleBody, slugify } from './blocks';
import type { CheckBlock, ProfileBlock, ReflectionBlock } from './types';

function parse(body: string) {
  return parseModuleBody('intro', body.split('\n'), 10);
}

describe('module body syntax', () => {
  test('attributes take quoted, single-quoted, bare and flag forms, and report what they cannot read', () => {
    const { attributes } = parseAttributes(`{src="a b.mp4" title='Say "hi"' passMark=2 optional}`);
    expect(attributes.get('title')).toBe('Say "hi"');
    expect(attributes.get('src')).toBe('a b.mp4');
    expect(attributes.get('passMark')).toBe('2');
    expect(attributes.has('optional')).toBe(true);
    expect(parseAttributes('{src="a.mp4" src="b.mp4"}').problem).toMatch(/given twice/);
    expect(parseAttributes('{="x"}').problem).toMatch(/cannot read the attributes/);
  });

  test('lesson keys come from titles unless given, and block keys from kind and position unless given an id', () => {
    const { lessons, problems } = parse(
      ['## Getting started!', 'Text.', ':::reflection{id=first-thoughts optional}', 'Why?', ':::', '## Renamed later {#kept-key}', 'More.'].join('\n'),
    );
    expect(problems).toEqual([]);
    expect(lessons.map((l) => l.key)).toEqual(['getting-started', 'kept-key']);
    expect(lessons[0]?.blocks.map((b) => [b.key, b.required])).toEqual([
      ['intro/getting-started/text-1', false],
      ['intro/getting-started/first-thoughts', false],
    ]);
    expect((lessons[0]?.blocks[1] as ReflectionBlock).promptHtml).toBe('<p>Why?</p>');
    expect(slugify('Ça va? Émile & Zoë')).toBe('ca-va-emile-zoe');
  });

  test('a check has choose-one and tick-all questions with feedback per answer', () => {
    const { lessons, problems } = parse(
      ['## Quiz', ':::check{title="Quick check" passMark=1}', '? One?', '- [x] A :: yes', '- [ ] B :: no', '? All? {multiple}', '- [x] C :: yes', '- [X] D :: also yes', '- [ ] E :: no', ':::'].join('\n'),
    );
    expect(problems).toEqual([]);
    const check = lessons[0]?.blocks[0] as CheckBlock;
    expect(check).toMatchObject({ key: 'intro/quiz/check-1', required: true, title: 'Quick check', passMark: 1 });
    expect(check.questions.map((q) => [q.key, q.multiple, q.options.map((o) => `${o.key}${o.correct ? '+' : '-'}`).join(' ')])).toEqual([
      ['q1', false, 'a+ b-'],
      ['q2', true, 'a+ b+ c-'],
    ]);
    expect(check.questions[0]?.options[1]?.feedback).toBe('no');
  });

  test('a choose-one question with two right answers is a mistake the author is told about', () => {
    const { problems } = parse(['## Quiz', ':::check', '? One?', '- [x] A :: yes', '- [x] B :: yes', ':::'].join('\n'));
    expect(problems).toEqual([{ line: 12, message: expect.stringMatching(/more than one right answer: add \{multiple\}/) }]);
  });

  test('a one-page profile reads its three parts as lists', () => {
    const { lessons, problems } = parse(
      ['## About Sam', ':::profile{name="Sam"}', 'Written with Sam.', '', '### Communication', '- Uses signs', '### What I love doing', '- Lego', '### What everyone MUST know', '- Epilepsy plan in bag', ':::'].join('\n'),
    );
    expect(problems).toEqual([]);
    const profile = lessons[0]?.blocks[0] as ProfileBlock;
    expect(profile).toMatchObject({ personName: 'Sam', introHtml: '<p>Written with Sam.</p>', communication: ['Uses signs'], loves: ['Lego'], mustKnow: ['Epilepsy plan in bag'] });
  });

  test('a profile missing a part, text before the first lesson and a stray closing line are reported by line', () => {
    const { problems } = parse(['Intro without a lesson.', '## About Sam', ':::profile{name="Sam"}', '### Communication', '- Signs', ':::', ':::'].join('\n'));
    expect(problems).toEqual([
      { line: 10, message: expect.stringMatching(/start the module with a lesson title/) },
      { line: 16, message: expect.stringMatching(/closes nothing/) },
      { line: 12, message: expect.stringMatching(/### What I love doing, ### What everyone MUST know/) },
    ]);
  });

  test('### and ::: inside a fenced code sample are text, not structure', () => {
    const { lessons, problems } = parse(['## Syntax', '```', '## not a lesson', ':::check', '```'].join('\n'));
    expect(problems).toEqual([]);
    expect(lessons).toHaveLength(1);
    expect(lessons[0]?.blocks[0]).toMatchObject({ kind: 'text' });
  });
});
