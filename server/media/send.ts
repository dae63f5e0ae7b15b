/**
 * Sends a stored file to a page that has already decided the person may have it (a feature's own file route, such
 * as an answer to a call). The same headers as the media route: the checked type, nosniff, a sandbox policy, and
 * a download for anything a browser could run.
 */
import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { NotFound } from '../errors';
import type { MediaStorage } from './storage';

const SANDBOX = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox";
const playable = /^(image\/(png|jpeg|webp|gif)|audio\/(mpeg|mp4|ogg|wav|webm)|video\/(mp4|webm))$/;

export async function sendStoredFile(
  req: Request,
  res: Response,
  storage: MediaStorage,
  file: { storageKey: string; mimeType: string; sizeBytes: number; fileName: string; sha256: string },
): Promise<void> {
  const name = file.fileName.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100) || 'download';
  res.setHeader('Content-Type', file.mimeType);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', SANDBOX);
  res.setHeader('Content-Disposition', `${playable.test(file.mimeType) ? 'inline' : 'attachment'}; filename="${name}"`);
  res.setHeader('Cache-Control', 'private, no-cache');
  const local = await storage.localPath(file.storageKey);
  if (local) {
    // sendFile answers Range requests, which players use to seek.
    await new Promise<void>((resolve, reject) => {
      res.sendFile(local, { acceptRanges: true, cacheControl: false, lastModified: false, dotfiles: 'allow' }, (error) => {
        if (error && !res.headersSent) reject(error);
        else resolve();
      });
    });
    return;
  }
  const stream = await storage.openRead(file.storageKey);
  if (!stream) throw new NotFound('This file is not available.');
  res.setHeader('Content-Length', String(file.sizeBytes));
  await pipeline(stream, res).catch((error: unknown) => {
    if (!res.writableFinished && (error as { code?: string }).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw error;
  });
}
