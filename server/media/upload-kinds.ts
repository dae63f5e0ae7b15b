/**
 * What each kind of upload may be, decided from the file's first bytes (file-type), never from its name or the
 * type a browser sends. An allow-list per kind of block: a photograph block takes pictures, a clip takes audio,
 * and so on. HTML is never accepted; SVG (which can carry script) only as a document, always sent as a download.
 */
import type { UploadKind } from '../config';

// file-type@16 is CommonJS (the later versions are ESM only); its types come with the package.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fileType = require('file-type') as typeof import('file-type');

/** Enough of a file's start for file-type to recognise office documents inside their ZIP. */
export const SNIFF_BYTES = 64 * 1024;

/** Detected type -> the type the file is stored and served with, per kind. */
const allowed: Record<UploadKind, Record<string, string>> = {
  image: { 'image/jpeg': 'image/jpeg', 'image/png': 'image/png', 'image/webp': 'image/webp', 'image/gif': 'image/gif' },
  audio: {
    'audio/mpeg': 'audio/mpeg',
    'audio/mp4': 'audio/mp4',
    'audio/x-m4a': 'audio/mp4',
    'audio/ogg': 'audio/ogg',
    'audio/opus': 'audio/ogg',
    'audio/vnd.wave': 'audio/wav',
    'audio/wav': 'audio/wav',
    // What a browser's MediaRecorder makes: file-type names every WebM video/webm.
    'video/webm': 'audio/webm',
    'audio/webm': 'audio/webm',
    // Kept as they come and given a playable copy (./conversion.ts): what phones and recorders make.
    'audio/x-flac': 'audio/flac',
    'audio/amr': 'audio/amr',
    'audio/aac': 'audio/aac',
    'audio/aiff': 'audio/aiff',
    'video/3gpp': 'audio/3gpp',
    'video/x-matroska': 'audio/x-matroska',
    'video/quicktime': 'audio/quicktime',
  },
  video: {
    'video/mp4': 'video/mp4',
    'video/x-m4v': 'video/mp4',
    'video/webm': 'video/webm',
    'video/quicktime': 'video/quicktime',
    // Given a playable copy (./conversion.ts).
    'video/x-matroska': 'video/x-matroska',
    'video/3gpp': 'video/3gpp',
    'video/3gpp2': 'video/3gpp2',
    'video/vnd.avi': 'video/x-msvideo',
    'video/mpeg': 'video/mpeg',
    'video/ogg': 'video/ogg',
  },
  document: {
    'application/pdf': 'application/pdf',
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    'application/vnd.openxmlformats-officedocument.presentationml.presentation':
      'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    'application/vnd.oasis.opendocument.text': 'application/vnd.oasis.opendocument.text',
    'text/plain': 'text/plain; charset=utf-8',
    'image/svg+xml': 'image/svg+xml',
  },
  captions: { 'text/vtt': 'text/vtt' },
  receipt: { 'image/jpeg': 'image/jpeg', 'image/png': 'image/png', 'image/webp': 'image/webp', 'application/pdf': 'application/pdf' },
};

const kindWords: Record<UploadKind, string> = {
  image: 'a picture (JPEG, PNG, WebP or GIF)',
  audio: 'an audio clip (MP3, M4A, Ogg, WAV, WebM, FLAC, AMR or AAC)',
  video: 'a video (MP4, WebM, MOV, MKV, 3GP, AVI or MPEG)',
  document: 'a document (PDF, Word, Excel, PowerPoint, OpenDocument, plain text or SVG)',
  captions: 'a WebVTT captions file',
  receipt: 'a photo of a receipt (JPEG, PNG or WebP) or a PDF',
};

export function describeKind(kind: UploadKind): string {
  return kindWords[kind];
}

/** Types whose content is text: checked whole after the upload (they are small). */
export function isTextType(mimeType: string): boolean {
  return mimeType.startsWith('text/') || mimeType === 'image/svg+xml';
}

/** `complete` is false for the first bytes of a longer stream, which may end inside a character. */
function looksLikeText(head: Buffer, complete: boolean): boolean {
  if (head.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: !complete });
    return true;
  } catch {
    return false;
  }
}

const svgStart = /^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE\s+svg[^>]*>\s*)?<svg[\s>]/i;

/** The type of a file from its first bytes, or undefined when it is nothing we recognise. */
export async function detectType(head: Buffer, complete: boolean): Promise<string | undefined> {
  const detected = await fileType.fromBuffer(head);
  // XML is text: told apart below (an SVG, or plain text).
  if (detected && detected.mime !== 'application/xml') return detected.mime;
  if (!looksLikeText(head, complete)) return undefined;
  const text = head.toString('utf8').replace(/^\uFEFF/, '');
  if (/^WEBVTT([ \t\r\n]|$)/.test(text)) return 'text/vtt';
  if (svgStart.test(text)) return 'image/svg+xml';
  return 'text/plain';
}

/** The stored type for a detected one, or a plain reason the file is refused. */
export function acceptType(kind: UploadKind, detected: string | undefined): { mimeType: string } | { problem: string } {
  const mimeType = detected ? allowed[kind][detected] : undefined;
  if (mimeType) return { mimeType };
  const what = detected ? `its content is ${detected}` : 'its content is not a type we recognise';
  return { problem: `${what}; here you can upload ${kindWords[kind]}` };
}

/** Plain text that is really a web page or script is refused (a download is opened by other programs too). */
export function textProblem(text: string): string | null {
  if (/<\s*(script|html|iframe|body|object|embed)\b/i.test(text)) return 'it looks like a web page or script, not plain text';
  return null;
}
