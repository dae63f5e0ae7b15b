/**
 * The one way a stored file is sent, once the route has decided the person may have it (the media route, an answer
 * to a call, a receipt): the type checked at upload, nosniff, a sandbox policy so even a file opened on its own runs
 * nothing, inline only for what a page plays or shows (anything else downloads), and Range for players that seek,
 * from the disk (sendFile) or from GridFS alike.
 */
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { NotFound } from '../errors';
import type { ByteRange, MediaStorage } from './storage';

/** On media answers: no script, no plugin, no form, whatever the file is, even opened on its own. */
export const MEDIA_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox";

const shownInPage = new Set([
  'video/mp4',
  'video/webm',
  'audio/mpeg',
  'audio/mp4',
  'audio/ogg',
  'audio/wav',
  'image/png',
  'image/jpeg',
  'image/webp',
  'image/gif',
  'audio/webm',
  'text/vtt',
  // Played by most browsers; those that cannot get the converted copy, so these are sent inline to the team.
  'video/quicktime',
  'audio/flac',
]);

/** A file name safe inside a quoted header value. */
export function headerFileName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100);
  return safe || 'download';
}

/**
 * One `Range: bytes=a-b`, `a-` or `-n` (what media players send). Several ranges in one request are answered
 * with the whole file, which HTTP allows.
 */
export function parseByteRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match || (match[1] === '' && match[2] === '')) return null;
  let start: number;
  let end: number;
  if (match[1] === '') {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

/** Sends stored bytes that are not on this machine's disk (GridFS), with the same Range rules as sendFile. */
async function streamFromStorage(req: Request, res: Response, storage: MediaStorage, storageKey: string, size: number): Promise<void> {
  res.setHeader('Accept-Ranges', 'bytes');
  if (req.headers['if-none-match'] === res.getHeader('ETag')) {
    res.status(304).end();
    return;
  }
  const range = parseByteRange(req.headers.range, size);
  if (range === 'unsatisfiable') {
    res.status(416).setHeader('Content-Range', `bytes */${size}`).end();
    return;
  }
  const stream = await storage.openRead(storageKey, range ?? undefined);
  if (!stream) throw new NotFound('This file is not available.');
  if (range) {
    res.status(206).setHeader('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
    res.setHeader('Content-Length', String(range.end - range.start + 1));
  } else {
    res.setHeader('Content-Length', String(size));
  }
  if (req.method === 'HEAD') {
    stream.destroy();
    res.end();
    return;
  }
  // A listener who skips ahead closes the connection mid-stream: that is normal, not an error to report.
  await pipeline(stream, res).catch((error: unknown) => {
    if (!res.writableFinished && (error as { code?: string }).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw error;
  });
}

export interface SendOptions {
  /** Cache-Control: a content-addressed file may be kept long; a file behind a feature's own check should not. */
  cacheControl?: string;
  /** An ETag from the sha256 (content-addressed bytes never change under it). */
  etag?: boolean;
  /** Always a download, whatever the type (receipts). */
  download?: boolean;
}

export async function sendStoredFile(
  req: Request,
  res: Response,
  storage: MediaStorage,
  file: { storageKey: string; mimeType: string; sizeBytes: number; fileName: string; sha256: string },
  options: SendOptions = {},
): Promise<void> {
  const inline = !options.download && shownInPage.has(file.mimeType);
  res.setHeader('Content-Type', file.mimeType);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', MEDIA_CSP);
  res.setHeader('Content-Disposition', `${inline ? 'inline' : 'attachment'}; filename="${headerFileName(file.fileName)}"`);
  res.setHeader('Cache-Control', options.cacheControl ?? 'private, no-cache');
  if (options.etag) res.setHeader('ETag', `"${file.sha256}"`);
  const local = await storage.localPath(file.storageKey);
  if (local) {
    await new Promise<void>((resolve, reject) => {
      res.sendFile(local, { acceptRanges: true, cacheControl: false, etag: false, lastModified: false, dotfiles: 'allow' }, (error) => {
        // A listener who skips ahead aborts the previous range request: nothing to report.
        if (error && !res.headersSent) reject(error);
        else resolve();
      });
    });
    return;
  }
  await streamFromStorage(req, res, storage, file.storageKey, file.sizeBytes);
}
