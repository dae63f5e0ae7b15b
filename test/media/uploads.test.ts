/**
 * Uploads through the whole app (POST /media/uploads, trainers only): every refusal leaves no file and no record,
 * pictures are stored without any metadata (read back from storage), stored files answer Range requests with the
 * right bytes, and media answers can never run script on the app's origin.
 */
import { once } from 'node:events';
import { readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import sharp from 'sharp';
import { Asset } from '../../server/media/model';
import { csrfFrom, startTestApp, type TestAgent, type TestApp } from '../support/app';

const fixtureMedia = path.join(__dirname, '..', 'courses', 'fixtures', 'tiny-course', 'media');

let t: TestApp;
let trainer: TestAgent;
let token: string;
let mediaDir: string;
let incomingDir: string;

/** Every file under the media folder, the incoming folder included. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

async function snapshot(): Promise<{ files: string[]; records: number }> {
  return { files: (await filesUnder(mediaDir)).sort(), records: await Asset.countDocuments() };
}

async function waitFor(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function upload(kind: string, name: string, bytes: Buffer, accept = 'application/json') {
  return trainer.post('/media/uploads').set('Accept', accept).field('_csrf', token).field('kind', kind).attach('file', bytes, name);
}

/** A JPEG carrying a camera make and model, a GPS position and XMP: what a phone photo of a child carries. */
async function photoWithMetadata(): Promise<Buffer> {
  return sharp({ create: { width: 800, height: 600, channels: 3, background: { r: 200, g: 120, b: 40 } } })
    .jpeg()
    .withExif({
      IFD0: { Make: 'PhoneMaker', Model: 'Phone 12 Secret', Copyright: 'FamilyName' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 0/1' },
    })
    .withXmp('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>XmpCreatorName</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>')
    .toBuffer();
}

beforeAll(async () => {
  t = await startTestApp({ env: { UPLOAD_MAX_IMAGE_MB: '1', UPLOAD_MAX_AUDIO_MB: '2' } });
  mediaDir = path.join(t.config.dataDir, 'media');
  incomingDir = path.join(mediaDir, '.incoming');
  ({ agent: trainer } = await t.signedInAgent({ roles: ['trainer'] }));
  token = csrfFrom((await trainer.get('/media/uploads').set('Accept', 'text/html')).text);
});

afterAll(async () => {
  await t.stop();
});

describe('pictures', () => {
  test('are stored without EXIF, GPS, XMP or ICC, upright, with smaller copies for srcset', async () => {
    const original = await photoWithMetadata();
    const before = await sharp(original).metadata();
    // The fixture really carries what must go (otherwise this test could not fail).
    expect(before.exif).toBeDefined();
    expect(before.xmp).toBeDefined();
    expect(original.includes('PhoneMaker')).toBe(true);

    const response = await upload('image', 'IMG_0001.jpg', original);
    expect(response.status).toBe(201);
    const asset = response.body.asset as { assetId: string; mimeType: string; widths: number[]; srcset: string; url: string };
    expect(asset.mimeType).toBe('image/jpeg');
    expect(asset.widths).toEqual([320, 640, 800]);
    expect(asset.srcset).toBe(`${asset.url}?width=320 320w, ${asset.url}?width=640 640w, ${asset.url} 800w`);

    // The stored bytes, read back from storage.
    const record = await Asset.findById(asset.assetId).lean();
    const storedFile = await t.services.media.storage.localPath(record?.storageKey ?? '');
    const stored = await readFile(storedFile ?? '');
    const after = await sharp(stored).metadata();
    expect(after.exif).toBeUndefined();
    expect(after.xmp).toBeUndefined();
    expect(after.icc).toBeUndefined();
    expect(after.iptc).toBeUndefined();
    expect(after.comments).toBeUndefined();
    for (const secret of ['PhoneMaker', 'Phone 12 Secret', 'FamilyName', 'XmpCreatorName', 'Exif', 'http://ns.adobe.com/xap']) {
      expect(stored.includes(secret)).toBe(false);
    }
    expect([after.width, after.height]).toEqual([800, 600]);

    const small = await trainer.get(`${asset.url}?width=320`).buffer(true);
    expect(small.status).toBe(200);
    const smallMeta = await sharp(small.body as Buffer).metadata();
    expect(smallMeta.width).toBe(320);
    expect(smallMeta.exif).toBeUndefined();
    expect((await trainer.get(`${asset.url}?width=123`)).status).toBe(404);
  });

  test('the upload page shows what was stored, with its srcset', async () => {
    const response = await upload('image', 'garden.png', await readFile(path.join(fixtureMedia, 'picture.png')), 'text/html');
    expect(response.status).toBe(303);
    const page = await trainer.get(String(response.headers.location)).set('Accept', 'text/html');
    expect(page.status).toBe(200);
    expect(page.text).toContain('garden.png');
    expect(page.text).toMatch(/<img src="\/media\/[0-9a-f]{24}"/);
  });
});

describe('refusals leave no file and no record', () => {
  test('wrong bytes: a picture named as an audio clip', async () => {
    const before = await snapshot();
    const response = await upload('audio', 'song.mp3', await readFile(path.join(fixtureMedia, 'picture.png')));
    expect(response.status).toBe(422);
    expect(response.body.error.fields.file).toBe('"song.mp3" was not accepted: its content is image/png; here you can upload an audio clip (MP3, M4A, Ogg, WAV, WebM, FLAC, AMR or AAC).');
    expect(await snapshot()).toEqual(before);
  });

  test('a kind not allowed: a web page as a document, an SVG as a picture', async () => {
    const before = await snapshot();
    const page = await upload('document', 'notes.txt', Buffer.from('<html><body><script>alert(1)</script></body></html>'));
    expect(page.status).toBe(422);
    expect(page.body.error.fields.file).toMatch(/^"notes\.txt" was not accepted: it looks like a web page or script/);
    const svg = await upload('image', 'logo.svg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'));
    expect(svg.status).toBe(422);
    expect(svg.body.error.fields.file).toMatch(/^"logo\.svg" was not accepted: its content is image\/svg\+xml; here you can upload a picture/);
    expect(await snapshot()).toEqual(before);
  });

  test('too large for its kind (the limit from configuration), and the message says the limit', async () => {
    const before = await snapshot();
    const big = await sharp({ create: { width: 1200, height: 1200, channels: 3, background: { r: 0, g: 0, b: 0 }, noise: { type: 'gaussian', mean: 128, sigma: 60 } } }).png().toBuffer();
    expect(big.length).toBeGreaterThan(1024 * 1024);
    const response = await upload('image', 'huge.png', big);
    expect(response.status).toBe(422);
    expect(response.body.error.fields.file).toMatch(/^"huge\.png" was not accepted: it is larger than 1 MB, the most for a picture/);
    expect(await snapshot()).toEqual(before);
  });

  test('an empty file, and a damaged picture', async () => {
    const before = await snapshot();
    expect((await upload('document', 'empty.pdf', Buffer.alloc(0))).body.error.fields.file).toBe('"empty.pdf" was not accepted: the file is empty.');
    const png = await readFile(path.join(fixtureMedia, 'picture.png'));
    const damaged = Buffer.concat([png.subarray(0, 40), Buffer.alloc(200, 7)]);
    expect((await upload('image', 'broken.png', damaged)).body.error.fields.file).toMatch(/could not be read/);
    expect(await snapshot()).toEqual(before);
  });

  test('a refused upload on the page: the form again, 422, with the message naming the file', async () => {
    const response = await upload('image', 'clip.mp3', await readFile(path.join(fixtureMedia, 'clip.mp3')), 'text/html');
    expect(response.status).toBe(422);
    expect(response.text).toContain('&#34;clip.mp3&#34; was not accepted: its content is audio/mpeg');
    expect(response.text).toMatch(/<form class="form" method="post" action="\/media\/uploads"/);
  });

  test('without the form token nothing is stored', async () => {
    const before = await snapshot();
    const response = await trainer
      .post('/media/uploads')
      .set('Accept', 'application/json')
      .field('_csrf', 'forged')
      .field('kind', 'audio')
      .attach('file', await readFile(path.join(fixtureMedia, 'clip.mp3')), 'clip.mp3');
    expect(response.status).toBe(403);
    expect(await snapshot()).toEqual(before);
  });

  test('interrupted: the client hangs up part way', async () => {
    const before = await snapshot();
    const server = http.createServer(t.app);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const cookie = await cookieOf(trainer);
      const boundary = 'interruptedboundary';
      const request = http.request({
        host: '127.0.0.1',
        port: (server.address() as AddressInfo).port,
        method: 'POST',
        path: '/media/uploads',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, accept: 'application/json', cookie, 'content-length': String(10 * 1024 * 1024) },
      });
      request.on('error', () => undefined);
      const mp3 = await readFile(path.join(fixtureMedia, 'clip.mp3'));
      request.write(
        `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\naudio\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="long.mp3"\r\nContent-Type: audio/mpeg\r\n\r\n`,
      );
      request.write(mp3);
      request.write(Buffer.alloc(256 * 1024, 1));
      // The upload is under way: its temporary file exists.
      await waitFor(async () => (await filesUnder(incomingDir)).length > 0, 'the upload to start');
      request.destroy();
      await waitFor(async () => (await filesUnder(incomingDir)).length === 0, 'the temporary file to go');
      expect(await snapshot()).toEqual(before);
    } finally {
      server.close();
    }
  });

  test('a disk error while storing', async () => {
    const before = await snapshot();
    // The incoming folder cannot be made: a file is in its place.
    await rm(incomingDir, { recursive: true, force: true });
    await writeFile(incomingDir, 'in the way');
    try {
      const response = await upload('audio', 'clip.mp3', await readFile(path.join(fixtureMedia, 'clip.mp3')));
      expect(response.status).toBe(500);
      expect(await Asset.countDocuments()).toBe(before.records);
      expect((await snapshot()).files).toEqual([...before.files, incomingDir].sort());
    } finally {
      await rm(incomingDir, { force: true });
      await mkdir(incomingDir, { recursive: true });
    }
  });
});

async function cookieOf(agent: TestAgent): Promise<string> {
  // supertest's agent keeps its cookies in a jar; send them on a raw request.
  const jar = (agent as unknown as { jar: { getCookies(access: unknown): Array<{ toValueString(): string }> } }).jar;
  const { CookieAccessInfo } = await import('cookiejar');
  return jar
    .getCookies(CookieAccessInfo.All)
    .map((cookie) => cookie.toValueString())
    .join('; ');
}

describe('serving uploads', () => {
  test('Range answers the right bytes; answers carry nosniff and a sandbox policy', async () => {
    const mp3 = await readFile(path.join(fixtureMedia, 'clip.mp3'));
    const stored = await upload('audio', 'clip.mp3', mp3);
    expect(stored.status).toBe(201);
    const url = stored.body.asset.url as string;
    const part = await trainer.get(url).set('Range', 'bytes=100-1099').buffer(true);
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 100-1099/${mp3.length}`);
    expect(Buffer.compare(part.body as Buffer, mp3.subarray(100, 1100))).toBe(0);
    const tail = await trainer.get(url).set('Range', 'bytes=-50').buffer(true);
    expect(Buffer.compare(tail.body as Buffer, mp3.subarray(mp3.length - 50))).toBe(0);
    expect((await trainer.get(url).set('Range', `bytes=${mp3.length}-`)).status).toBe(416);
    expect(part.headers['x-content-type-options']).toBe('nosniff');
    expect(part.headers['content-security-policy']).toMatch(/default-src 'none'.*sandbox/);
  });

  test('an SVG is only ever a download', async () => {
    const svg = Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>');
    const stored = await upload('document', 'diagram.svg', svg);
    expect(stored.status).toBe(201);
    expect(stored.body.asset.mimeType).toBe('image/svg+xml');
    const response = await trainer.get(stored.body.asset.url as string).buffer(true);
    expect(response.headers['content-disposition']).toMatch(/^attachment/);
    expect(response.headers['content-security-policy']).toMatch(/sandbox/);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  test('only trainers may upload', async () => {
    const { agent: learner } = await t.signedInAgent({ roles: ['learner'] });
    const learnerToken = csrfFrom((await learner.get('/preferences')).text);
    const before = await snapshot();
    const response = await learner
      .post('/media/uploads')
      .set('Accept', 'application/json')
      .field('_csrf', learnerToken)
      .field('kind', 'audio')
      .attach('file', await readFile(path.join(fixtureMedia, 'clip.mp3')), 'clip.mp3');
    expect(response.status).toBe(403);
    expect(await snapshot()).toEqual(before);
  });
});
