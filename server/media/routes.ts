/**
 * Serving stored media.
 *   GET /media/:assetId   requireSignIn   the file, with Range support for audio and video
 * The type sent is the one checked against the file's content at import or upload, with nosniff, so a browser
 * never treats a stored file as a page. Anything that is not audio, video, a picture, captions or a PDF is sent
 * as a download. Files are content-addressed, so they can be cached for a long time.
 */
import { pipeline } from 'node:stream/promises';
import express, { type Request, type Response } from 'express';
import { requireSignIn } from '../web/access';
import { NotFound } from '../errors';
import type { Services } from '../services';
import type { ByteRange, MediaStorage } from './storage';

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
  'text/vtt',
  'application/pdf',
]);

/** A file name safe inside a quoted header value. */
function headerFileName(name: string): string {
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

export function mediaRouter({ media }: Pick<Services, 'media'>): express.Router {
  const router = express.Router();

  router.get('/:assetId', requireSignIn, async (req: Request, res: Response) => {
    const asset = await media.findServableAsset(String(req.params.assetId));
    if (!asset) throw new NotFound('This file is not available.');
    const file = await media.storage.localPath(asset.storageKey);
    const inline = shownInPage.has(asset.mimeType);
    res.setHeader('Content-Type', asset.mimeType);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Disposition', `${inline ? 'inline' : 'attachment'}; filename="${headerFileName(asset.originalName)}"`);
    // Private: only signed-in people may fetch it, so shared caches must not keep it. Immutable: the bytes
    // under this id never change.
    res.setHeader('Cache-Control', 'private, max-age=31536000, immutable');
    res.setHeader('ETag', `"${asset.sha256}"`);
    if (file) {
      await new Promise<void>((resolve, reject) => {
        res.sendFile(file, { acceptRanges: true, cacheControl: false, etag: false, lastModified: false, dotfiles: 'allow' }, (error) => {
          // A listener who skips ahead aborts the previous range request: nothing to report.
          if (error && !res.headersSent) reject(error);
          else resolve();
        });
      });
      return;
    }
    await streamFromStorage(req, res, media.storage, asset.storageKey, asset.sizeBytes);
  });

  return router;
}
