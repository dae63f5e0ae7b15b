/**
 * Benchmark of uploads (issue 13): a 1 GiB video uploaded through the app (POST /media/uploads, signed in as a
 * trainer, multipart with the CSRF token, into media.storeUpload and the disk storage under $DATA_DIR/media).
 * Targets: the app process's peak RSS grows by less than 100 MB during the upload, and the upload's throughput is
 * at least 0.4x a plain `fs` stream copy of the same file (createReadStream -> createWriteStream on the same disk),
 * measured in the same run, before and after the upload (the mean of the two is the baseline). `fs.copyFile`
 * (which the kernel may do without passing the bytes through Node) is reported too, for context.
 *
 * The app runs as `npm start` runs it: NODE_ENV=production, logging at "error", the embedded engine in a worker
 * thread, in this process; the client runs in a child process (so its memory and CPU are not counted as the
 * app's) and streams the file from disk. Peak RSS is read from /proc/self/status (VmHWM, reset just before the
 * upload) and from samples every 20 ms; the larger is reported.
 *
 * Run alone: `npx tsx bench/uploads.ts` (or `node dist/bench/uploads.js` after a build). Stops by itself.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { buildApp } from '../server/app';
import { hashPassword } from '../server/auth/passwords';
import { connectDatabase, disconnectDatabase } from '../server/db/connection';
import { startEmbeddedMongoThread } from '../server/db/embedded/thread';
import { Asset } from '../server/media/model';
import { ffmpegPath } from '../server/media/ffmpeg';
import { productionBenchServices } from './production-app';

const FILE_BYTES = 1024 * 1024 * 1024;
const PASSWORD = 'bench-password-long-enough';
const MB = 1024 * 1024;

export interface UploadBenchFigures {
  fileBytes: number;
  uploadSeconds: number;
  uploadMBps: number;
  streamCopyMBps: number;
  copyFileMBps: number;
  /** Upload throughput / stream copy throughput (target >= 0.4). */
  ratioToStreamCopy: number;
  rssBeforeMB: number;
  peakRssMB: number;
  /** Peak RSS during the upload minus RSS just before it (target < 100). */
  rssGrowthMB: number;
}

/**
 * A real MP4 of the given size: a second of H.264 made by the app's ffmpeg (index first), then a `free` box of
 * random bytes up to the size. The app reads it with ffmpeg at upload as a video that plays everywhere, so it is
 * stored as it is (no conversion) and the benchmark measures the upload path alone.
 */
async function makeVideoFile(file: string, bytes: number): Promise<void> {
  const ffmpeg = ffmpegPath();
  if (!ffmpeg) throw new Error('No ffmpeg binary (@ffmpeg-installer/ffmpeg) for this platform');
  const head = `${file}.head.mp4`;
  await new Promise<void>((resolve, reject) => {
    const child = spawn(ffmpeg, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10:duration=1',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', '-f', 'mp4', head], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited with ${String(code)}`))));
  });
  const headBytes = await readFile(head);
  await rm(head, { force: true });
  const padding = bytes - headBytes.length;
  const boxHeader = Buffer.alloc(8);
  boxHeader.writeUInt32BE(padding, 0);
  boxHeader.write('free', 4, 'latin1');
  const chunk = randomBytes(4 * MB);
  const handle = await open(file, 'w');
  try {
    await handle.write(Buffer.concat([headBytes, boxHeader]));
    for (let written = headBytes.length + 8; written < bytes; written += chunk.length) {
      await handle.write(chunk, 0, Math.min(chunk.length, bytes - written));
    }
  } finally {
    await handle.close();
  }
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function keepCookies(jar: Map<string, string>, response: Response): void {
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const index = pair?.indexOf('=') ?? -1;
    if (pair && index > 0) jar.set(pair.slice(0, index), pair.slice(index + 1));
  }
}

const cookieHeader = (jar: Map<string, string>): string => [...jar].map(([name, value]) => `${name}=${value}`).join('; ');

/** Signs in through the real form as a browser behind an HTTPS proxy; returns the cookies and the upload form's token. */
async function signIn(base: string, email: string): Promise<{ cookie: string; token: string }> {
  const jar = new Map<string, string>();
  const proxy = { 'X-Forwarded-Proto': 'https' };
  const form = await fetch(`${base}/sign-in`, { headers: proxy, redirect: 'manual' });
  keepCookies(jar, form);
  const signInToken = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  const response = await fetch(`${base}/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { ...proxy, Cookie: cookieHeader(jar), 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: signInToken, email, password: PASSWORD }).toString(),
  });
  if (response.status !== 303) throw new Error(`Sign-in failed with ${response.status}`);
  keepCookies(jar, response);
  const page = await fetch(`${base}/media/uploads`, { headers: { ...proxy, Cookie: cookieHeader(jar) }, redirect: 'manual' });
  keepCookies(jar, page);
  const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
  if (page.status !== 200 || !token) throw new Error(`The upload page answered ${page.status}`);
  return { cookie: cookieHeader(jar), token };
}

/** The client, in a child process: streams the file as one multipart upload and prints the answer and its time. */
const CLIENT = `
const http = require('node:http');
const fs = require('node:fs');
const { port, cookie, token, file, size, name } = JSON.parse(process.env.UPLOAD_BENCH);
const boundary = 'benchboundary' + Date.now();
const head = Buffer.from('--' + boundary + '\\r\\nContent-Disposition: form-data; name="_csrf"\\r\\n\\r\\n' + token + '\\r\\n' +
  '--' + boundary + '\\r\\nContent-Disposition: form-data; name="kind"\\r\\n\\r\\nvideo\\r\\n' +
  '--' + boundary + '\\r\\nContent-Disposition: form-data; name="file"; filename="' + name + '"\\r\\nContent-Type: video/mp4\\r\\n\\r\\n');
const tail = Buffer.from('\\r\\n--' + boundary + '--\\r\\n');
const started = process.hrtime.bigint();
const request = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/media/uploads', headers: {
  'content-type': 'multipart/form-data; boundary=' + boundary, 'content-length': String(head.length + size + tail.length),
  accept: 'application/json', cookie, 'x-forwarded-proto': 'https' } }, (response) => {
  let body = '';
  response.setEncoding('utf8');
  response.on('data', (chunk) => { body += chunk; });
  response.on('end', () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    process.stdout.write(JSON.stringify({ status: response.statusCode, body, seconds }));
  });
});
request.on('error', (error) => { console.error(error); process.exit(1); });
request.write(head);
const source = fs.createReadStream(file, { highWaterMark: 1024 * 1024 });
source.pipe(request, { end: false });
source.on('end', () => request.end(tail));
`;

function runClient(settings: Record<string, unknown>): Promise<{ status: number; body: string; seconds: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', CLIENT], { env: { ...process.env, UPLOAD_BENCH: JSON.stringify(settings) }, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (output += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`The upload client exited with ${code}`));
      else resolve(JSON.parse(output) as { status: number; body: string; seconds: number });
    });
  });
}

async function peakRssSinceReset(): Promise<number | null> {
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  return match ? Number(match[1]) * 1024 : null;
}

async function resetPeakRss(): Promise<void> {
  // Linux: writing 5 resets VmHWM to the current RSS. Elsewhere only the samples count.
  await writeFile('/proc/self/clear_refs', '5').catch(() => undefined);
}

const round = (value: number, places = 1): number => Math.round(value * 10 ** places) / 10 ** places;

export async function runUploadBench(log: (line: string) => void = (line) => console.log(line)): Promise<UploadBenchFigures> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'coproduce-bench-uploads-'));
  const dataDir = path.join(work, 'data');
  const source = path.join(work, 'source.mp4');
  const engine = await startEmbeddedMongoThread({ log: () => undefined });
  let server: Server | undefined;
  try {
    log(`Writing a ${FILE_BYTES / MB} MB file ...`);
    await makeVideoFile(source, FILE_BYTES);
    const warmup = path.join(work, 'warmup.mp4');
    await makeVideoFile(warmup, 8 * MB);
    await mkdir(dataDir, { recursive: true });

    await connectDatabase(engine.uri);
    const { config, logger, services } = productionBenchServices(dataDir);
    await services.users.createUser({ email: 'bench.trainer@example.org', name: 'Bench Trainer', roles: ['trainer'], status: 'active', passwordHash: await hashPassword(PASSWORD) });
    const app = buildApp({ config, logger, services });
    server = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    const port = (server.address() as AddressInfo).port;
    const { cookie, token } = await signIn(`http://127.0.0.1:${port}`, 'bench.trainer@example.org');

    const copyTarget = path.join(dataDir, 'copy.mp4');
    const streamCopy = async (): Promise<number> => {
      const seconds = await timed(() => pipeline(createReadStream(source), createWriteStream(copyTarget)));
      await rm(copyTarget, { force: true });
      return seconds;
    };
    const copyFileSeconds = await timed(() => copyFile(source, copyTarget));
    await rm(copyTarget, { force: true });
    const copyBefore = await streamCopy();

    // Warm up: the first upload loads what the route needs, as the first upload after a start would.
    const warm = await runClient({ port, cookie, token, file: warmup, size: (await stat(warmup)).size, name: 'warmup.mp4' });
    if (warm.status !== 201) throw new Error(`The warm-up upload answered ${warm.status}: ${warm.body}`);

    const rssBefore = process.memoryUsage.rss();
    await resetPeakRss();
    let sampledPeak = rssBefore;
    const sampler = setInterval(() => {
      sampledPeak = Math.max(sampledPeak, process.memoryUsage.rss());
    }, 20);
    let result: { status: number; body: string; seconds: number };
    try {
      result = await runClient({ port, cookie, token, file: source, size: FILE_BYTES, name: 'long-video.mp4' });
    } finally {
      clearInterval(sampler);
    }
    const peak = Math.max(sampledPeak, (await peakRssSinceReset()) ?? 0);
    if (result.status !== 201) throw new Error(`The upload answered ${result.status}: ${result.body}`);
    const asset = (JSON.parse(result.body) as { asset: { assetId: string; sizeBytes: number } }).asset;
    const record = await Asset.findById(asset.assetId).lean();
    const stored = await services.media.storage.localPath(record?.storageKey ?? '');
    if (!record || record.sizeBytes !== FILE_BYTES || !stored || (await stat(stored)).size !== FILE_BYTES) {
      throw new Error('The uploaded file was not stored whole');
    }
    await rm(stored, { force: true });

    const copyAfter = await streamCopy();
    const streamCopySeconds = (copyBefore + copyAfter) / 2;
    const figures: UploadBenchFigures = {
      fileBytes: FILE_BYTES,
      uploadSeconds: round(result.seconds, 2),
      uploadMBps: round(FILE_BYTES / MB / result.seconds),
      streamCopyMBps: round(FILE_BYTES / MB / streamCopySeconds),
      copyFileMBps: round(FILE_BYTES / MB / copyFileSeconds),
      ratioToStreamCopy: round(streamCopySeconds / result.seconds, 2),
      rssBeforeMB: round(rssBefore / MB),
      peakRssMB: round(peak / MB),
      rssGrowthMB: round((peak - rssBefore) / MB),
    };
    log(`Upload of ${FILE_BYTES / MB} MB through the app: ${figures.uploadSeconds} s, ${figures.uploadMBps} MB/s`);
    log(`fs stream copy of the same file: ${figures.streamCopyMBps} MB/s (before ${round(copyBefore, 2)} s, after ${round(copyAfter, 2)} s); fs.copyFile: ${figures.copyFileMBps} MB/s`);
    log(`Throughput ratio to the stream copy: ${figures.ratioToStreamCopy}x (target >= 0.4)`);
    log(`RSS before ${figures.rssBeforeMB} MB, peak during the upload ${figures.peakRssMB} MB: growth ${figures.rssGrowthMB} MB (target < 100)`);
    return figures;
  } finally {
    if (server) await new Promise<void>((resolve) => server?.close(() => resolve()));
    await disconnectDatabase().catch(() => undefined);
    await engine.stop();
    await rm(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runUploadBench().then(
    () => undefined,
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
