/**
 * Serving stored media.
 *   GET /media/:assetId   requireSignIn   the file, with Range support for audio and video
 * The type sent is the one checked against the file's content at import or upload, with nosniff, so a browser
 * never treats a stored file as a page. Anything that is not audio, video, a picture, captions or a PDF is sent
 * as a download. Files are content-addressed, so they can be cached for a long time.
 */
import path from 'node:path';
import express, { type Request, type Response } from 'express';
import type { Config } from '../config';
import { requireSignIn } from '../web/access';
import { NotFound } from '../web/errors';
import { findServableAsset } from './service';
import { LocalDiskStorage, type MediaStorage } from './storage';

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

/** The storage the app uses: files under $DATA_DIR/media (the import writes there too). */
export function mediaStorageFor(config: Pick<Config, 'dataDir'>): MediaStorage {
  return new LocalDiskStorage(path.join(config.dataDir, 'media'));
}

export function mediaRouter(options: { config: Pick<Config, 'dataDir'>; storage?: MediaStorage }): express.Router {
  const storage = options.storage ?? mediaStorageFor(options.config);
  const router = express.Router();

  router.get('/media/:assetId', requireSignIn, async (req: Request, res: Response) => {
    const asset = await findServableAsset(String(req.params.assetId));
    const file = asset ? await storage.localPath(asset.storageKey) : null;
    if (!asset || !file) throw new NotFound('This file is not available.');
    const inline = shownInPage.has(asset.mimeType);
    res.setHeader('Content-Type', asset.mimeType);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Disposition', `${inline ? 'inline' : 'attachment'}; filename="${headerFileName(asset.originalName)}"`);
    // Private: only signed-in people may fetch it, so shared caches must not keep it. Immutable: the bytes
    // under this id never change.
    res.setHeader('Cache-Control', 'private, max-age=31536000, immutable');
    res.setHeader('ETag', `"${asset.sha256}"`);
    await new Promise<void>((resolve, reject) => {
      res.sendFile(file, { acceptRanges: true, cacheControl: false, etag: false, lastModified: false, dotfiles: 'allow' }, (error) => {
        // A listener who skips ahead aborts the previous range request: nothing to report.
        if (error && !res.headersSent) reject(error);
        else resolve();
      });
    });
  });

  return router;
}
