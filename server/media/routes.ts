/**
 * Serving and uploading media.
 *   GET  /media/uploads    requireRole('trainer', 'co-facilitator')   a form to upload (or record) a file of a
 *                                                   kind, and what was just uploaded with its conversion's progress
 *   POST /media/uploads    requireRole('trainer', 'co-facilitator')   multipart: _csrf, kind, then file;
 *                                                   media.storeUpload (JSON 201 with the asset, or 303 back to the form)
 *   GET  /media/uploads/:assetId/conversion   requireRole('trainer', 'co-facilitator')   JSON: how the playable
 *                                                   copy of one's own upload is going (the page polls it)
 *   GET /media/:assetId   requireSignIn   the file, with Range support for audio and video; `?width=` a smaller
 *                                         copy of a picture (see srcset); the playable copy of a converted clip,
 *                                         `?original=1` its original (the team only). Who may fetch what:
 *                                         media.findServableFor (draft media only to the uploader, the course's
 *                                         authoring team, trainers and admins); anyone else gets 404.
 * The type sent is the one checked against the file's content at import or upload, with nosniff, so a browser
 * never treats a stored file as a page. Anything that is not audio, video, a picture, captions or a PDF is sent
 * as a download, and every media answer carries a sandbox Content-Security-Policy, so even a file opened
 * directly can run no script on the app's origin. Files are content-addressed, so they can be cached for a long time.
 */
import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
import { z } from 'zod';
import type { UploadKind } from '../config';
import { currentUser, requireRole, requireSignIn } from '../web/access';
import { wantsJson } from '../web/errors';
import type { WebTools } from '../web/feature-context';
import { storageThrough } from '../web/upload';
import { Invalid, NotFound } from '../errors';
import type { Services } from '../services';
import type { UploadedAsset } from './service';
import { describeKind } from './upload-kinds';
import { mediaSrcset, mediaUrl } from './types';
import { captionsRouter } from './captions-routes';
import { sendStoredFile } from './send';

/** A converted clip is named as what it now is (clip.mov -> clip.mp4). */
function servedName(originalName: string, servedType: string, originalType: string): string {
  if (servedType === originalType) return originalName;
  const extension = servedType === 'audio/mp4' ? '.m4a' : '.mp4';
  return originalName.replace(/\.[A-Za-z0-9]{1,5}$/, '') + extension;
}

// Receipts are uploaded only through paid involvement (server/involvement/), never from this form.
const MEDIA_KINDS = ['image', 'audio', 'video', 'document', 'captions'] as const satisfies readonly UploadKind[];
const uploadKind = z.enum(MEDIA_KINDS);

const kindOptions = MEDIA_KINDS.map((kind) => ({ value: kind, text: describeKind(kind) }));

function assetJson(asset: UploadedAsset) {
  return { ...asset, url: mediaUrl(asset.assetId), srcset: mediaSrcset(asset.assetId, asset.widths) };
}

export function mediaRouter({ media }: Pick<Services, 'media'>, web: Pick<WebTools, 'upload'>): express.Router {
  const router = express.Router();
  const authors = requireRole('trainer', 'co-facilitator');

  /** What each request stored, for its handler (Multer keeps only a file's id). */
  const stored = new WeakMap<Request, UploadedAsset>();
  const upload = web.upload.single('file', {
    accept: [],
    // The media service refuses a file over its kind's limit; this is Multer's outer bound, a little above all.
    maxFileBytes: () => Math.max(...Object.values(media.uploadLimits)) + 1024 * 1024,
    storageChecksContent: true,
    storage: storageThrough(
      async (req, file) => {
        // The kind field comes before the file in the form, so it is parsed by now (like _csrf).
        const kind = uploadKind.safeParse((req.body as Record<string, unknown> | undefined)?.kind);
        if (!kind.success) throw new Invalid({ kind: 'Choose what kind of file this is.' });
        const asset = await media.storeUpload({
          stream: file.stream,
          originalName: file.originalname,
          kind: kind.data,
          uploadedBy: currentUser(req).id,
          field: file.fieldname,
        });
        stored.set(req, asset);
        return { id: asset.assetId, mimetype: asset.mimeType, size: asset.sizeBytes };
      },
      (_req, id) => media.discardUpload(id),
    ),
  });

  const renderUploads = async (res: Response, status: number, page: { kind?: string; errors?: Record<string, string>; uploaded?: UploadedAsset | null }) => {
    res.status(status).render('media/uploads', {
      kindOptions,
      limits: media.uploadLimits,
      values: { kind: page.kind ?? 'image' },
      errors: page.errors ?? {},
      uploaded: page.uploaded ? assetJson(page.uploaded) : null,
    });
  };

  router.get('/uploads', authors, async (req: Request, res: Response) => {
    const uploadedId = typeof req.query.uploaded === 'string' ? req.query.uploaded : '';
    const uploaded = uploadedId ? await media.findUpload(uploadedId, currentUser(req).id) : null;
    await renderUploads(res, 200, { uploaded });
  });

  /** A refused upload re-shows the form (HTML) with the message naming the file; JSON goes to the error handler. */
  const uploadRefused: ErrorRequestHandler = (error: unknown, req, res, next) => {
    if (!(error instanceof Invalid) || wantsJson(req)) {
      next(error);
      return;
    }
    const kind = uploadKind.safeParse((req.body as Record<string, unknown> | undefined)?.kind);
    renderUploads(res, 422, { kind: kind.success ? kind.data : undefined, errors: error.fields }).catch(next);
  };

  router.post(
    '/uploads',
    authors,
    ...upload,
    async (req: Request, res: Response) => {
      const asset = stored.get(req);
      if (!req.file || !asset) throw new Invalid({ file: 'Choose a file to upload.' });
      if (wantsJson(req)) {
        res.status(201).json({ asset: assetJson(asset) });
        return;
      }
      // A .vtt sent from a clip's caption editor goes back there, loaded for editing.
      const then = /^captions:([0-9a-f]{24})$/.exec(String((req.body as Record<string, unknown> | undefined)?.then ?? ''));
      if (then?.[1] && asset.kind === 'captions') {
        res.redirect(303, `/media/captions/${then[1]}?from=${encodeURIComponent(asset.assetId)}`);
        return;
      }
      res.redirect(303, `/media/uploads?uploaded=${encodeURIComponent(asset.assetId)}`);
    },
    uploadRefused,
  );

  router.use('/captions', captionsRouter({ media }));

  router.get('/uploads/:assetId/conversion', authors, async (req: Request, res: Response) => {
    const found = await media.conversionOf(String(req.params.assetId), currentUser(req));
    if (!found) throw new NotFound('This file is not available.');
    res.setHeader('Cache-Control', 'no-store');
    res.json(found);
  });

  router.get('/:assetId', requireSignIn, async (req: Request, res: Response) => {
    const found = await media.findServableFor(String(req.params.assetId), currentUser(req), { original: req.query.original === '1' });
    if (!found) throw new NotFound('This file is not available.');
    // A smaller copy of a picture: the same record, other bytes.
    const width = typeof req.query.width === 'string' ? Number(req.query.width) : undefined;
    const variant = width === undefined ? undefined : found.asset.variants.find((candidate) => candidate.width === width);
    if (width !== undefined && !variant) throw new NotFound('This file is not available in that size.');
    const asset = variant
      ? { ...variant, mimeType: found.mimeType, originalName: found.asset.originalName }
      : { storageKey: found.storageKey, sha256: found.sha256, sizeBytes: found.sizeBytes, mimeType: found.mimeType, originalName: servedName(found.asset.originalName, found.mimeType, found.asset.mimeType) };
    // Private: only signed-in people may fetch it, so shared caches must not keep it. Immutable: the bytes
    // under this id never change.
    await sendStoredFile(req, res, media.storage, { ...asset, fileName: asset.originalName }, { cacheControl: 'private, max-age=31536000, immutable', etag: true });
  });

  return router;
}
