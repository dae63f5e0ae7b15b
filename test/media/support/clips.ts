/**
 * Small audio and video files made for a test by the ffmpeg binary the app ships with (@ffmpeg-installer), so
 * no media file is committed: a test tone and a test picture, in the forms phones and recorders make.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ffmpegPath } from '../../../server/media/ffmpeg';

const run = promisify(execFile);

export type ClipForm = 'hevc-mov' | 'flac' | 'amr' | 'h264-mp4' | 'mp3' | 'h264-mkv';

const recipes: Record<ClipForm, (seconds: number) => { args: string[]; file: string }> = {
  // An iPhone's video: HEVC (tagged hvc1, as phones do) with AAC, in a QuickTime .mov.
  'hevc-mov': (seconds) => ({
    file: 'clip.mov',
    args: [
      '-f', 'lavfi', '-i', `testsrc=size=320x240:rate=25:duration=${seconds}`,
      '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`,
      '-c:v', 'libx265', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-tag:v', 'hvc1', '-x265-params', 'log-level=error',
      '-c:a', 'aac', '-shortest', '-f', 'mov',
    ],
  }),
  'h264-mkv': (seconds) => ({
    file: 'clip.mkv',
    args: [
      '-f', 'lavfi', '-i', `testsrc=size=160x120:rate=10:duration=${seconds}`,
      '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`,
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', '-f', 'matroska',
    ],
  }),
  'h264-mp4': (seconds) => ({
    file: 'clip.mp4',
    args: [
      '-f', 'lavfi', '-i', `testsrc=size=160x120:rate=10:duration=${seconds}`,
      '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`,
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', '-movflags', '+faststart', '-f', 'mp4',
    ],
  }),
  flac: (seconds) => ({ file: 'clip.flac', args: ['-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`, '-c:a', 'flac', '-f', 'flac'] }),
  amr: (seconds) => ({
    file: 'clip.amr',
    args: ['-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}:sample_rate=8000`, '-ac', '1', '-ar', '8000', '-c:a', 'libopencore_amrnb', '-b:a', '12.2k', '-f', 'amr'],
  }),
  mp3: (seconds) => ({ file: 'clip.mp3', args: ['-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`, '-c:a', 'libmp3lame', '-f', 'mp3'] }),
};

/** The ffmpeg binary; the tests that need it fail clearly without it. */
export function testFfmpeg(): string {
  const binary = ffmpegPath();
  if (!binary) throw new Error('No ffmpeg binary: @ffmpeg-installer/ffmpeg has no package for this platform');
  return binary;
}

/** Makes a clip of `seconds` in one of the forms; returns its bytes and a usual file name. */
export async function makeClip(form: ClipForm, seconds = 2): Promise<{ bytes: Buffer; name: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'coproduce-clip-'));
  try {
    const recipe = recipes[form](seconds);
    const output = path.join(dir, recipe.file);
    await run(testFfmpeg(), ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...recipe.args, output]);
    return { bytes: await readFile(output), name: recipe.file };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What ffmpeg reads in a file's bytes: "Video: h264", "Audio: aac"... (the lines of `ffmpeg -i`). */
export async function describeClip(bytes: Buffer, name = 'clip'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'coproduce-clip-'));
  try {
    const file = path.join(dir, name);
    await writeFile(file, bytes);
    const result = await run(testFfmpeg(), ['-hide_banner', '-nostdin', '-i', file]).catch((error: { stderr?: string }) => ({ stderr: error.stderr ?? '' }));
    return result.stderr;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
