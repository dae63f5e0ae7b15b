/**
 * The caption editor of a clip: cues edited in a plain form (rows added and taken out without JavaScript, times
 * checked, values kept on a refusal), saved as WebVTT through the media storage with whatever was typed kept as
 * text, an existing .vtt loaded for editing, and a transcript made from the captions. Only the clip's team may
 * open it. The service functions authoring uses (captionsOf) give the file's reference and hash.
 */
import { parseCaptions, parseTime, serialiseCaptions, transcriptFromCues } from '../../server/media/captions';
import { csrfFrom, startTestApp, type TestAgent, type TestApp } from '../support/app';
import { makeClip } from './support/clips';

let t: TestApp;
let author: TestAgent;
let clipId: string;

beforeAll(async () => {
  t = await startTestApp();
  ({ agent: author } = await t.signedInAgent({ roles: ['co-facilitator'] }));
  const token = csrfFrom((await author.get('/media/uploads').set('Accept', 'text/html')).text);
  const clip = await makeClip('mp3', 12);
  const response = await author.post('/media/uploads').set('Accept', 'application/json').field('_csrf', token).field('kind', 'audio').attach('file', clip.bytes, 'story.mp3');
  expect(response.status).toBe(201);
  clipId = response.body.asset.assetId as string;
});

afterAll(async () => {
  await t.stop();
});

describe('times, files and transcripts', () => {
  test('times read as people write them', () => {
    expect(parseTime('0:04.5')).toBe(4.5);
    expect(parseTime('1:02.250')).toBe(62.25);
    expect(parseTime('01:02:03.400')).toBeCloseTo(3723.4);
    expect(parseTime('62')).toBe(62);
    expect(parseTime('7,5')).toBe(7.5);
    for (const wrong of ['', 'soon', '1:75', '1:2:3:4', '-3', '1:60:00']) expect(parseTime(wrong)).toBeNull();
  });

  test('what is typed stays text: no markup, cue settings or cue boundaries', () => {
    const text = serialiseCaptions([
      { start: 5, end: 6, text: 'Second' },
      { start: 1, end: 2.5, text: '<script>alert(1)</script> & --> 00:00:09.000 align:start\n\nnew line' },
    ]);
    expect(text).toBe(
      'WEBVTT\n\n00:00:01.000 --> 00:00:02.500\n&lt;script&gt;alert(1)&lt;/script&gt; &amp; --&gt; 00:00:09.000 align:start\nnew line\n\n00:00:05.000 --> 00:00:06.000\nSecond\n',
    );
    const parsed = parseCaptions(text);
    expect(parsed.problems).toEqual([]);
    expect(parsed.cues).toEqual([
      { start: 1, end: 2.5, text: '<script>alert(1)</script> & --> 00:00:09.000 align:start\nnew line' },
      { start: 5, end: 6, text: 'Second' },
    ]);
  });

  test('a file with markup and voices reads as plain text', () => {
    const parsed = parseCaptions('WEBVTT\n\nintro\n00:01.000 --> 00:02.000 align:start\n<v Sam>Hello <b>there</b> &eacute;t&eacute;</v>\n');
    expect(parsed.cues).toEqual([{ start: 1, end: 2, text: 'Sam: Hello there été' }]);
  });

  test('a transcript joins the cues, a pause starts a paragraph, a carried-over line is said once', () => {
    expect(
      transcriptFromCues([
        { start: 0, end: 2, text: 'Hello, I am Sam.' },
        { start: 2, end: 4, text: 'Hello, I am Sam.\nThis is my story.' },
        { start: 9, end: 11, text: 'Later on,\nthings changed.' },
      ]),
    ).toBe('Hello, I am Sam. This is my story.\n\nLater on, things changed.');
  });
});

describe('the editor', () => {
  const editor = () => `/media/captions/${clipId}`;

  async function post(fields: Record<string, string | string[]>) {
    const token = csrfFrom((await author.get(editor()).set('Accept', 'text/html')).text);
    return author.post(editor()).set('Accept', 'text/html').type('form').send({ _csrf: token, ...fields });
  }

  test('starts with empty rows and the clip, which does not play by itself', async () => {
    const page = await author.get(editor()).set('Accept', 'text/html');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Captions for story.mp3');
    expect(page.text).toContain('Caption 3');
    expect(page.text).not.toContain('Caption 4');
    expect(page.text).toMatch(/<audio class="media-player" controls preload="metadata" src="\/media\//);
    expect(page.text).not.toMatch(/autoplay/);
  });

  test('adds and takes out rows without JavaScript, keeping what was typed', async () => {
    const added = await post({ start: ['0:01', ''], end: ['0:03', ''], text: ['One', ''], action: 'add' });
    expect(added.status).toBe(200);
    expect(added.text).toContain('Caption 3 was added at the end.');
    expect(added.text).toContain('>One</textarea>');
    const removed = await post({ start: ['0:01', '0:05'], end: ['0:03', '0:06'], text: ['One', 'Two'], action: 'remove-1' });
    expect(removed.text).toContain('Caption 1 was taken out.');
    expect(removed.text).not.toContain('>One</textarea>');
    expect(removed.text).toContain('>Two</textarea>');
  });

  test('refuses wrong times and missing text with 422, errors by each field and a summary, values kept', async () => {
    const response = await post({
      start: ['0:02', 'soon', '0:08', '0:50'],
      end: ['0:01', '0:05', '0:09', '0:51'],
      text: ['Backwards', 'No start', '', 'After the end'],
      action: 'save',
    });
    expect(response.status).toBe(422);
    expect(response.text).toContain('There is a problem');
    expect(response.text).toContain('href="#cue-1-end">Caption 1: the end must come after the start.');
    expect(response.text).toContain('href="#cue-2-start">Caption 2: write the start as minutes and seconds');
    expect(response.text).toContain('href="#cue-3-text">Caption 3: write what is said or heard.');
    expect(response.text).toContain('href="#cue-4-start">Caption 4: the clip is only 0:12.');
    expect(response.text).toContain('value="soon"');
    expect(response.text).toMatch(/id="cue-2-start"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="cue-2-start"/);
    expect(await t.services.media.captions.captionsOf(clipId)).toBeNull();
  });

  test('saves WebVTT through the media storage; the editor then shows the saved cues in order', async () => {
    const response = await post({
      start: ['0:05', '0:01', ''],
      end: ['0:07.5', '0:03', ''],
      text: ['Then <b>this</b> & that', 'First words', ''],
      action: 'save',
    });
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe(`/media/captions/${clipId}?saved=1`);
    const saved = await t.services.media.captions.captionsOf(clipId);
    expect(saved?.captions).toMatchObject({ mimeType: 'text/vtt', fileName: 'story.vtt' });
    expect(saved?.captions.sha256).toMatch(/^[0-9a-f]{64}$/);
    const file = await author.get(`/media/${saved?.captions.assetId}`);
    expect(file.headers['content-type']).toBe('text/vtt');
    expect(file.text).toBe('WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nFirst words\n\n00:00:05.000 --> 00:00:07.500\nThen &lt;b&gt;this&lt;/b&gt; &amp; that\n');
    const page = await author.get(`${editor()}?saved=1`).set('Accept', 'text/html');
    expect(page.text).toContain('The captions are saved.');
    expect(page.text.indexOf('First words')).toBeLessThan(page.text.indexOf('Then &lt;b&gt;this&lt;/b&gt; &amp; that'));
    expect(page.text).toContain('value="0:01.000"');
  });

  test('makes a transcript from the saved captions, on a page and as a text file', async () => {
    const page = await author.get(`${editor()}/transcript`).set('Accept', 'text/html');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<p>First words</p>');
    const download = await author.get(`${editor()}/transcript?download=1`);
    expect(download.headers['content-disposition']).toBe('attachment; filename="story-transcript.txt"');
    expect(download.text).toBe('First words\n\nThen <b>this</b> & that\n');
  });

  test('loads an existing .vtt for editing, through the upload form', async () => {
    const token = csrfFrom((await author.get(editor()).set('Accept', 'text/html')).text);
    const vtt = 'WEBVTT\n\n00:00:00.500 --> 00:00:02.000\nFrom a file\n\n00:00:02.000 --> 00:00:04.000\n<i>Second</i> one\n';
    const response = await author
      .post('/media/uploads')
      .set('Accept', 'text/html')
      .field('_csrf', token)
      .field('kind', 'captions')
      .field('then', `captions:${clipId}`)
      .attach('file', Buffer.from(vtt), 'old.vtt');
    expect(response.status).toBe(303);
    expect(response.headers.location).toMatch(new RegExp(`^/media/captions/${clipId}\\?from=[0-9a-f]{24}$`));
    const page = await author.get(response.headers.location as string).set('Accept', 'text/html');
    expect(page.text).toContain('Loaded 2 captions from the file.');
    expect(page.text).toContain('>From a file</textarea>');
    expect(page.text).toContain('>Second one</textarea>');
    expect(page.text).toContain('value="0:00.500"');
  });

  test('is not there for someone outside the clip’s team', async () => {
    const { agent: other } = await t.signedInAgent({ roles: ['co-facilitator'] });
    expect((await other.get(editor()).set('Accept', 'text/html')).status).toBe(404);
    expect((await other.get(`${editor()}/transcript`).set('Accept', 'text/html')).status).toBe(404);
    const { agent: learner } = await t.signedInAgent({ roles: ['learner'] });
    expect((await learner.get(editor()).set('Accept', 'text/html')).status).toBe(403);
  });

  test('refuses a save without the CSRF token', async () => {
    const response = await author.post(editor()).set('Accept', 'text/html').type('form').send({ start: '0:01', end: '0:02', text: 'x', action: 'save' });
    expect(response.status).toBe(403);
  });
});
