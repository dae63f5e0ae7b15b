/**
 * ffmpeg, from the npm package @ffmpeg-installer/ffmpeg (its platform package, e.g. @ffmpeg-installer/linux-x64,
 * ships a static ffmpeg binary: nothing is downloaded at install or run time). It reads what an audio or video
 * file holds and converts what browsers cannot all play into H.264/AAC MP4 (video) or AAC in MP4 (audio).
 *
 * No ffprobe ships with that package, so reading a file is `ffmpeg -i file` with no output: ffmpeg then describes
 * the input on stderr (its container, duration and streams) and exits. The lines it prints for that are stable
 * across ffmpeg versions ("Input #0, <formats>", "Duration: HH:MM:SS.cc", "Stream #0:N...: Video: <codec>").
 *
 * Files are read and written by path (ffmpeg streams them itself, never whole in memory). Every run has a
 * time limit and is killed when its AbortSignal fires.
 */
import { spawn } from 'node:child_process';

export interface MediaProbe {
  /** ffmpeg's demuxer names, e.g. "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "flac". */
  formatName: string;
  durationSeconds: number | null;
  /** Codec of the first video stream that is a moving picture (cover art is not), or null. */
  videoCodec: string | null;
  /** Codec of the first audio stream, or null. */
  audioCodec: string | null;
}

/** The ffmpeg binary of the installed platform package; null on a platform it has none for. */
export function ffmpegPath(): string | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const installer = require('@ffmpeg-installer/ffmpeg') as { path: string };
    return installer.path;
  } catch {
    return null;
  }
}

/** A run of ffmpeg that did not succeed; `detail` is the end of what it printed, for the log. */
export class FfmpegError extends Error {
  constructor(
    message: string,
    readonly detail: string,
    readonly aborted = false,
  ) {
    super(message);
    this.name = 'FfmpegError';
  }
}

/** Keeps the last `limit` characters of a stream of text (ffmpeg's stderr can be long on a long file). */
class TextTail {
  private text = '';
  constructor(private readonly limit: number) {}
  push(chunk: string): void {
    this.text += chunk;
    if (this.text.length > this.limit * 2) this.text = this.text.slice(-this.limit);
  }
  toString(): string {
    return this.text.slice(-this.limit);
  }
}

/** "HH:MM:SS.cc" (or with microseconds) in seconds; null for N/A. */
export function parseClock(value: string): number | null {
  const match = /^(-?)(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(value.trim());
  if (!match) return null;
  const seconds = Number(match[2]) * 3600 + Number(match[3]) * 60 + Number(match[4]);
  return match[1] ? -seconds : seconds;
}

/** What `ffmpeg -i file` says about the file (exported for tests of odd files). */
export function parseProbe(stderr: string): MediaProbe | null {
  const input = /^Input #0, (.+?), from /m.exec(stderr);
  if (!input?.[1]) return null;
  const duration = /^\s*Duration: ([^,]+),/m.exec(stderr);
  let videoCodec: string | null = null;
  let audioCodec: string | null = null;
  for (const line of stderr.split('\n')) {
    const stream = /^\s*Stream #0:\d+.*?: (Video|Audio): ([a-z0-9_]+)/i.exec(line);
    if (!stream?.[2]) continue;
    if (stream[1] === 'Video' && videoCodec === null && !/\(attached pic\)/.test(line)) videoCodec = stream[2].toLowerCase();
    if (stream[1] === 'Audio' && audioCodec === null) audioCodec = stream[2].toLowerCase();
  }
  const durationSeconds = duration?.[1] ? parseClock(duration[1]) : null;
  return { formatName: input[1], durationSeconds: durationSeconds !== null && durationSeconds > 0 ? durationSeconds : null, videoCodec, audioCodec };
}

interface RunOptions {
  signal?: AbortSignal;
  timeoutMs: number;
  /** Receives ffmpeg's `-progress` lines (key=value) from stdout. */
  onProgressLine?: (key: string, value: string) => void;
}

function runFfmpeg(binary: string, args: string[], options: RunOptions): Promise<{ code: number | null; stderr: string; aborted: boolean; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr = new TextTail(16_000);
    let aborted = false;
    let timedOut = false;
    const kill = (): void => {
      child.kill('SIGKILL');
    };
    const onAbort = (): void => {
      aborted = true;
      kill();
    };
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, options.timeoutMs);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => stderr.push(chunk));
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (!options.onProgressLine) return;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const split = line.indexOf('=');
        if (split > 0) options.onProgressLine(line.slice(0, split).trim(), line.slice(split + 1).trim());
      }
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ code, stderr: stderr.toString(), aborted, timedOut });
    });
  });
}

/** Reads a file's container, duration and streams; null when ffmpeg finds no media in it. */
export async function probeMedia(binary: string, file: string, signal?: AbortSignal): Promise<MediaProbe | null> {
  // With no output ffmpeg exits 1 after describing the input ("At least one output file must be specified").
  const result = await runFfmpeg(binary, ['-hide_banner', '-nostdin', '-i', file], { signal, timeoutMs: 30_000 });
  if (result.aborted) throw new FfmpegError('Reading the file was stopped', result.stderr, true);
  return parseProbe(result.stderr);
}

export type PlayablePlan = { convert: false } | { convert: true; targetMimeType: 'video/mp4' | 'audio/mp4'; args: string[] };

const browserVideo: Record<string, { video: string[]; audio: string[] }> = {
  // The stored type decides the container, not ffmpeg's demuxer name (which is the same for MP4 and MOV).
  'video/mp4': { video: ['h264'], audio: ['aac', 'mp3'] },
  'video/webm': { video: ['vp8', 'vp9', 'av1'], audio: ['opus', 'vorbis'] },
};

const browserAudio: Record<string, string[]> = {
  'audio/mpeg': ['mp3'],
  'audio/mp4': ['aac', 'mp3'],
  'audio/ogg': ['opus', 'vorbis'],
  'audio/webm': ['opus', 'vorbis'],
  'audio/wav': ['pcm_s16le', 'pcm_u8', 'pcm_f32le'],
};

/** No metadata in the copy (a phone's video carries where it was taken), and the index first so it starts at once. */
const commonOutput = ['-map_metadata', '-1', '-map_chapters', '-1', '-movflags', '+faststart', '-f', 'mp4'];

/**
 * Whether an upload of `mimeType` (its stored type, from its bytes) needs a playable copy, and ffmpeg's arguments
 * for it (between the input and the output). H.264 in MP4 with AAC, and AAC in MP4, play in every current browser.
 * A video whose streams are already H.264 and AAC but whose container is not MP4 (a .mov, an .mkv) is copied
 * into MP4 without re-encoding.
 */
export function planPlayable(kind: 'audio' | 'video', mimeType: string, probe: MediaProbe): PlayablePlan {
  if (kind === 'video' && probe.videoCodec) {
    const allowed = browserVideo[mimeType];
    const audioOk = !probe.audioCodec || (allowed?.audio.includes(probe.audioCodec) ?? false);
    if (allowed?.video.includes(probe.videoCodec) && audioOk) return { convert: false };
    const copyVideo = probe.videoCodec === 'h264';
    const copyAudio = probe.audioCodec === 'aac';
    return {
      convert: true,
      targetMimeType: 'video/mp4',
      args: [
        '-map', '0:v:0', '-map', '0:a:0?', '-sn', '-dn',
        ...(copyVideo
          ? ['-c:v', 'copy']
          : ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p', '-vf', 'scale=trunc(iw/2)*2:trunc(ih/2)*2']),
        ...(copyAudio ? ['-c:a', 'copy'] : ['-c:a', 'aac', '-b:a', '128k']),
        ...commonOutput,
      ],
    };
  }
  const allowedAudio = browserAudio[mimeType];
  if (kind === 'audio' && probe.audioCodec && allowedAudio?.includes(probe.audioCodec)) return { convert: false };
  return {
    convert: true,
    targetMimeType: 'audio/mp4',
    args: ['-map', '0:a:0', '-vn', '-sn', '-dn', ...(probe.audioCodec === 'aac' ? ['-c:a', 'copy'] : ['-c:a', 'aac', '-b:a', '128k']), ...commonOutput],
  };
}

export interface ConvertOptions {
  signal?: AbortSignal;
  timeoutMs: number;
  /** Seconds of output written so far (ffmpeg's out_time), as it goes. */
  onTime?: (seconds: number) => void;
}

/** Converts `input` to `output` with the plan's arguments; rejects with FfmpegError when ffmpeg fails. */
export async function convertMedia(binary: string, input: string, output: string, args: string[], options: ConvertOptions): Promise<void> {
  const result = await runFfmpeg(
    binary,
    ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-progress', 'pipe:1', '-y', '-i', input, ...args, output],
    {
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      onProgressLine: (key, value) => {
        // out_time is the time= of ffmpeg's status line, as key=value.
        if (key !== 'out_time') return;
        const seconds = parseClock(value);
        if (seconds !== null && seconds >= 0) options.onTime?.(seconds);
      },
    },
  );
  if (result.aborted) throw new FfmpegError('The conversion was stopped', result.stderr, true);
  if (result.timedOut) throw new FfmpegError('The conversion took too long', result.stderr);
  if (result.code !== 0) throw new FfmpegError(`ffmpeg exited with ${String(result.code)}`, result.stderr);
}
