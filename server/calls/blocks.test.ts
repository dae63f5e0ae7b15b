import { answerBlockSource, creditedName } from './blocks';

const credit = { display: 'pseudonym' as const, name: 'River', role: 'young autistic co-facilitator' };

describe('an answer as a block', () => {
  test('writing is quoted line by line, so its own ## and ::: lines stay text, and ends with the chosen credit', () => {
    const block = answerBlockSource({ form: 'writing', text: 'First line\n## Not a lesson\n:::image{src="x"}\n:::', credit }, null, {});
    const lines = block.source.trimEnd().split('\n');
    expect(lines.every((line) => line.startsWith('>'))).toBe(true);
    expect(block.source).toContain('> \\## Not a lesson');
    expect(lines.at(-1)).toBe('> River, young autistic co-facilitator');
    expect(block.credit).toEqual({ name: 'River', display: 'pseudonym', contribution: 'lived-experience voice', role: 'young autistic co-facilitator' });
  });

  test('a picture becomes an image block with the alt text, a double quote made safe, and the caption escaped', () => {
    const block = answerBlockSource({ form: 'picture', text: '::: my drawing', credit }, { mimeType: 'image/png', path: 'media/drawing.png' }, { alt: 'A "calm" corner' });
    expect(block.source.split('\n')[0]).toBe(':::image{src="media/drawing.png" alt="A \u201dcalm\u201d corner"}');
    expect(block.source).toContain('\\::: my drawing');
    expect(block.source.trimEnd().endsWith(':::')).toBe(true);
    expect(block.credit.contribution).toBe('artwork');
  });

  test('a recording becomes an audio or video block with its transcript, or an empty one the publish check will name', () => {
    const audio = answerBlockSource({ form: 'recording', text: '', credit }, { mimeType: 'audio/mpeg', path: 'media/voice.mp3' }, { transcript: 'Hello.' });
    expect(audio.source).toBe(':::audio{src="media/voice.mp3" title="In their own words: River"}\nHello.\n:::\n');
    const video = answerBlockSource({ form: 'recording', text: '', credit }, { mimeType: 'video/mp4', path: 'media/clip.mp4' }, { title: 'Our morning' });
    expect(video.source).toBe(':::video{src="media/clip.mp4" title="Our morning"}\n:::\n');
  });

  test('names follow the choice: first name only, or not named at all', () => {
    expect(creditedName({ display: 'first-name', name: 'Priya Natarajan' })).toBe('Priya');
    expect(creditedName({ display: 'anonymous', name: 'Priya Natarajan' })).toBe('A contributor who chose not to be named');
    const anonymous = answerBlockSource({ form: 'writing', text: 'x', credit: { display: 'anonymous', name: '', role: '' } }, null, {});
    expect(anonymous.credit).toEqual({ display: 'anonymous', contribution: 'lived-experience voice', role: 'answered a call for contributions' });
  });
});
