/**
 * Checks that a media file is what its name says, by its content and not its extension: a renamed HTML page
 * or script must never be stored as "video.mp4". Used by the content import and by uploads.
 */
import { lstat, open } from 'node:fs/promises';
import path from 'node:path';

export type MediaPurpose = 'video' | 'audio' | 'image' | 'captions' | 'file';

interface FileRule {
  mimeType: string;
  /** Extensions file-type may report for this content; null for text formats it cannot detect. */
  detected: string[] | null;
}

/** Allowed extensions per purpose. SVG and HTML are absent on purpose: both can carry script. */
const rules: Record<MediaPurpose, Record<string, FileRule>> = {
  video: {
    mp4: { mimeType: 'video/mp4', detected: ['mp4', 'm4v'] },
    webm: { mimeType: 'video/webm', detected: ['webm'] },
  },
  audio: {
    mp3: { mimeType: 'audio/mpeg', detected: ['mp3'] },
    m4a: { mimeType: 'audio/mp4', detected: ['m4a', 'mp4'] },
    ogg: { mimeType: 'audio/ogg', detected: ['ogg', 'oga', 'opus'] },
    wav: { mimeType: 'audio/wav', detected: ['wav'] },
    // WebM/Opus: what a browser's recorder makes, and one of the forms every current browser plays.
    webm: { mimeType: 'audio/webm', detected: ['webm'] },
  },
  image: {
    png: { mimeType: 'image/png', detected: ['png'] },
    jpg: { mimeType: 'image/jpeg', detected: ['jpg'] },
    jpeg: { mimeType: 'image/jpeg', detected: ['jpg'] },
    webp: { mimeType: 'image/webp', detected: ['webp'] },
    gif: { mimeType: 'image/gif', detected: ['gif'] },
  },
  captions: {
    vtt: { mimeType: 'text/vtt', detected: null },
  },
  file: {
    pdf: { mimeType: 'application/pdf', detected: ['pdf'] },
    docx: { mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', detected: ['docx', 'zip'] },
    xlsx: { mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', detected: ['xlsx', 'zip'] },
    pptx: { mimeType: 'application/vnd.openxmlformats-officedocument.presentationml.presentation', detected: ['pptx', 'zip'] },
    odt: { mimeType: 'application/vnd.oasis.opendocument.text', detected: ['odt', 'zip'] },
    txt: { mimeType: 'text/plain; charset=utf-8', detected: null },
    csv: { mimeType: 'text/csv; charset=utf-8', detected: null },
  },
};

/** Largest file accepted per purpose, in bytes. */
export const sizeLimits: Record<MediaPurpose, number> = {
  video: 80 * 1024 * 1024,
  audio: 20 * 1024 * 1024,
  image: 5 * 1024 * 1024,
  captions: 512 * 1024,
  file: 20 * 1024 * 1024,
};

export function allowedExtensions(purpose: MediaPurpose): string[] {
  return Object.keys(rules[purpose]);
}

/** The type a file of this extension is stored with when it passes the check for this purpose; null if not allowed. */
export function expectedMimeType(purpose: MediaPurpose, extension: string): string | null {
  return rules[purpose][extension.toLowerCase()]?.mimeType ?? null;
}

/** The purposes a file of this extension may serve (webm: video or audio). */
export function purposesOfExtension(extension: string): MediaPurpose[] {
  return (Object.keys(rules) as MediaPurpose[]).filter((purpose) => rules[purpose][extension.toLowerCase()] !== undefined);
}

/** A purpose in words ("an image file"), for messages. */
export function describePurpose(purpose: MediaPurpose): string {
  return purposeWords[purpose];
}

export type MediaCheck = { ok: true; mimeType: string; sizeBytes: number } | { ok: false; problem: string; line?: number };

// file-type@16 is CommonJS (the later versions are ESM only); its types come with the package.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fileType = require('file-type') as typeof import('file-type');

const purposeWords: Record<MediaPurpose, string> = {
  video: 'a video file',
  audio: 'an audio file',
  image: 'an image file',
  captions: 'a captions file',
  file: 'a download',
};

function megabytes(bytes: number): string {
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;
}

/** Reads at most `limit` bytes; text formats are small (the size limit was checked first). */
async function readStart(filePath: string, limit: number): Promise<Buffer> {
  const handle = await open(filePath, 'r');
  try {
    const buffer = Buffer.alloc(limit);
    const { bytesRead } = await handle.read(buffer, 0, limit, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function checkPlainText(bytes: Buffer): string | null {
  if (bytes.includes(0)) return 'it contains binary data, not text';
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (text.includes('\uFFFD')) return 'it is not UTF-8 text';
  if (/<\s*(script|html|svg|iframe)\b/i.test(text)) return 'it looks like a web page or script, not plain text';
  return null;
}

const timing = /^((?:\d{2,}:)?[0-5]\d:[0-5]\d\.\d{3})\s+-->\s+((?:\d{2,}:)?[0-5]\d:[0-5]\d\.\d{3})(\s.*)?$/;

function seconds(stamp: string): number {
  const parts = stamp.split(':').map(Number);
  return parts.reduce((total, part) => total * 60 + part, 0);
}

/** The subset of WebVTT a caption file needs: the header, then cues with valid, ordered timings and text. */
export function checkWebVtt(text: string): { problem: string; line?: number } | null {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  if (!/^WEBVTT([ \t].*)?$/.test(lines[0] ?? '')) return { problem: 'a captions file must start with the line WEBVTT', line: 1 };
  let cues = 0;
  for (let i = 1; i < lines.length; i += 1) {
    const line = lines[i] ?? '';
    if (!line.includes('-->')) continue;
    const match = timing.exec(line.trim());
    if (!match) return { problem: 'this cue timing is not in the form 00:00.000 --> 00:02.500', line: i + 1 };
    const start = seconds(match[1] ?? '');
    const end = seconds(match[2] ?? '');
    if (!(end > start)) return { problem: 'this cue ends before it starts', line: i + 1 };
    if (!(lines[i + 1] ?? '').trim()) return { problem: 'this cue has no text', line: i + 1 };
    cues += 1;
  }
  if (cues === 0) return { problem: 'the captions file has no cues' };
  return null;
}

/** Checks a file for a purpose: allowed extension, size limit, and content that matches the extension. */
export async function checkMediaFile(filePath: string, purpose: MediaPurpose): Promise<MediaCheck> {
  const extension = path.extname(filePath).slice(1).toLowerCase();
  const rule = rules[purpose][extension];
  if (!rule) {
    return { ok: false, problem: `${purposeWords[purpose]} must be one of: ${allowedExtensions(purpose).map((e) => `.${e}`).join(', ')}` };
  }
  let size: number;
  try {
    // lstat: a symbolic link could point anywhere on the machine; the file itself must be in the course folder.
    const info = await lstat(filePath);
    if (info.isSymbolicLink()) return { ok: false, problem: 'this is a link to another file; put the file itself here' };
    if (!info.isFile()) return { ok: false, problem: 'this is not a file' };
    size = info.size;
  } catch {
    return { ok: false, problem: 'the file does not exist' };
  }
  if (size === 0) return { ok: false, problem: 'the file is empty' };
  if (size > sizeLimits[purpose]) {
    return { ok: false, problem: `the file is ${megabytes(size)}; ${purposeWords[purpose]} can be at most ${megabytes(sizeLimits[purpose])}` };
  }
  const detected = await fileType.fromFile(filePath);
  if (rule.detected === null) {
    if (detected) return { ok: false, problem: `its content is ${detected.ext}, not .${extension}` };
    const bytes = await readStart(filePath, size);
    const textProblem = checkPlainText(bytes);
    if (textProblem) return { ok: false, problem: textProblem };
    if (purpose === 'captions') {
      const vttProblem = checkWebVtt(bytes.toString('utf8'));
      if (vttProblem) return { ok: false, ...vttProblem };
    }
  } else if (!detected || !rule.detected.includes(detected.ext)) {
    return { ok: false, problem: `its content is ${detected ? detected.ext : 'not recognised'}, not .${extension}` };
  }
  return { ok: true, mimeType: rule.mimeType, sizeBytes: size };
}
