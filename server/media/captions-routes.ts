/**
 * The caption editor of a clip (mounted on the media router, before GET /media/:assetId):
 *   GET  /media/captions/:clipId              requireRole('trainer', 'co-facilitator')   the cues in a plain form
 *                                             (`?from=<captions asset>` loads an uploaded .vtt instead)
 *   POST /media/captions/:clipId              same guard   _csrf, start/end/text per row, action: save | add |
 *                                             remove-N (works without JavaScript: add and remove re-show the form)
 *   GET  /media/captions/:clipId/transcript   same guard   the transcript made from the saved captions
 *                                             (`?download=1` as a .txt file)
 * Only the clip's team (its uploader, trainers and admins, the authoring team of a course using it) may open
 * them: anyone else gets 404.
 */
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { NotFound } from '../errors';
import type { Services } from '../services';
import { currentUser, requireRole } from '../web/access';
import { cuesFromRows, formatTime, MAX_CUES, type Cue, type CueRow } from './captions';
import { mediaUrl } from './types';

const many = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]));

const captionsForm = z.object({
  start: many,
  end: many,
  text: many,
  action: z.string().optional().default('save'),
});

const EMPTY_ROWS = 3;

function rowsOf(cues: Cue[]): CueRow[] {
  return cues.map((cue) => ({ start: formatTime(cue.start), end: formatTime(cue.end), text: cue.text }));
}

function emptyRow(): CueRow {
  return { start: '', end: '', text: '' };
}

export function captionsRouter({ media }: Pick<Services, 'media'>): express.Router {
  const router = express.Router();
  const authors = requireRole('trainer', 'co-facilitator');

  async function clipFor(req: Request) {
    const clip = await media.findClipForTeam(String(req.params.clipId), currentUser(req));
    if (!clip) throw new NotFound('This clip is not available.');
    return clip;
  }

  type Clip = Awaited<ReturnType<typeof clipFor>>;

  function render(res: Response, status: number, clip: Clip, page: { rows: CueRow[]; errors?: Record<string, string>; notice?: string; hasSaved: boolean }) {
    res.status(status).render('media/captions', {
      clip: { ...clip, url: mediaUrl(clip.assetId), duration: clip.durationSeconds === null ? null : formatTime(clip.durationSeconds) },
      rows: page.rows,
      errors: page.errors ?? {},
      notice: page.notice ?? null,
      hasSaved: page.hasSaved,
      maxCues: MAX_CUES,
    });
  }

  router.get('/:clipId', authors, async (req: Request, res: Response) => {
    const clip = await clipFor(req);
    const saved = await media.captions.captionsOf(clip.assetId);
    const from = typeof req.query.from === 'string' ? req.query.from : '';
    if (from) {
      // A .vtt the person uploaded (or may fetch as the team): its cues, to edit and then save as this clip's.
      const file = await media.findServableFor(from, currentUser(req));
      const loaded = file && file.access === 'team' ? await media.captions.cuesOfFile(from) : null;
      if (!loaded) throw new NotFound('That captions file is not available.');
      const rows = rowsOf(loaded.cues).slice(0, MAX_CUES);
      const notice =
        loaded.cues.length > MAX_CUES
          ? `The file has ${loaded.cues.length} captions; the first ${MAX_CUES} are shown. Save them, or keep the file as it is.`
          : `Loaded ${loaded.cues.length} caption${loaded.cues.length === 1 ? '' : 's'} from the file. Check them, then save.`;
      render(res, 200, clip, { rows: rows.length ? rows : [emptyRow()], notice, hasSaved: saved !== null });
      return;
    }
    const rows = saved ? rowsOf(saved.cues).slice(0, MAX_CUES) : [];
    while (rows.length < EMPTY_ROWS && !saved) rows.push(emptyRow());
    render(res, 200, clip, { rows, notice: req.query.saved === '1' ? 'The captions are saved.' : undefined, hasSaved: saved !== null });
  });

  router.post('/:clipId', authors, async (req: Request, res: Response) => {
    const clip = await clipFor(req);
    const form = captionsForm.parse(req.body ?? {});
    const count = Math.max(form.start.length, form.end.length, form.text.length);
    const rows: CueRow[] = Array.from({ length: count }, (_unused, index) => ({
      start: form.start[index] ?? '',
      end: form.end[index] ?? '',
      text: form.text[index] ?? '',
    }));
    const hasSaved = (await media.captions.captionsOf(clip.assetId)) !== null;
    const remove = /^remove-(\d+)$/.exec(form.action);
    if (remove) {
      rows.splice(Number(remove[1]) - 1, 1);
      render(res, 200, clip, { rows: rows.length ? rows : [emptyRow()], notice: `Caption ${remove[1]} was taken out. Save to keep the change.`, hasSaved });
      return;
    }
    if (form.action === 'add') {
      if (rows.length >= MAX_CUES) {
        render(res, 422, clip, { rows, errors: { [`cue-${rows.length}-text`]: `One form holds ${MAX_CUES} captions. For a longer clip, upload a .vtt file.` }, hasSaved });
        return;
      }
      // The new row starts where the last one ended, which is usually right.
      const last = rows[rows.length - 1];
      rows.push({ ...emptyRow(), start: last?.end ?? '' });
      render(res, 200, clip, { rows, notice: `Caption ${rows.length} was added at the end.`, hasSaved });
      return;
    }
    const { cues, errors } = cuesFromRows(rows.slice(0, MAX_CUES), clip.durationSeconds);
    if (Object.keys(errors).length === 0 && cues.length === 0) errors['cue-1-text'] = 'Write at least one caption before saving.';
    if (Object.keys(errors).length > 0) {
      render(res, 422, clip, { rows: rows.length ? rows : [emptyRow()], errors, hasSaved });
      return;
    }
    await media.captions.saveCues(clip.assetId, cues, currentUser(req).id);
    res.redirect(303, `/media/captions/${encodeURIComponent(clip.assetId)}?saved=1`);
  });

  router.get('/:clipId/transcript', authors, async (req: Request, res: Response) => {
    const clip = await clipFor(req);
    const saved = await media.captions.captionsOf(clip.assetId);
    if (req.query.download === '1') {
      if (!saved) throw new NotFound('This clip has no captions yet.');
      const name = clip.fileName.replace(/\.[A-Za-z0-9]{1,5}$/, '').replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'clip';
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.setHeader('Content-Disposition', `attachment; filename="${name}-transcript.txt"`);
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.send(`${saved.transcript}\n`);
      return;
    }
    res.render('media/transcript', {
      clip,
      paragraphs: saved ? saved.transcript.split('\n\n') : [],
      hasCaptions: saved !== null,
    });
  });

  return router;
}
