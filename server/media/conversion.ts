/**
 * Playable copies of audio and video that browsers cannot all play (a phone's HEVC .mov, FLAC, AMR, MKV...),
 * made by ffmpeg (./ffmpeg.ts) in a durable background job on the app's job scheduler (server/jobs/scheduler.ts):
 *
 *  - An upload is read by ffmpeg as it arrives (inspectUpload); one that needs a copy is recorded with
 *    `playback.status: 'queued'`, and one job per asset is put on the scheduler (unique on the asset id).
 *  - The job claims the asset (queued -> converting, with this run's id and a heartbeat), converts, and stores
 *    the copy beside the original (`playback.storageKey`); progress (ffmpeg's out_time against the duration) is
 *    written on the asset as it goes, with the heartbeat, for the upload page to show.
 *  - Two processes never convert one asset at once: the claim is one atomic update, taken over only when the
 *    holder's heartbeat has been silent for `staleAfterMs` (a process that died). A stopping process gives its
 *    conversions back (converting -> queued); `resumeConversions` at start puts a job back for every queued
 *    conversion and every stale one, so a restart finishes what was interrupted.
 *  - A failure is recorded with a plain message for the team; the original stays either way.
 * Files go through a temporary folder by path (ffmpeg streams them); temporaries are removed in every case.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Types } from 'mongoose';
import type { Logger } from 'pino';
import { Asset, type AssetDoc, type AssetPlayback } from './model';
import { convertMedia, FfmpegError, planPlayable, probeMedia, type MediaProbe } from './ffmpeg';
import { hashFile, type MediaStorage } from './storage';

export const CONVERT_JOB = 'media.convert';

/** What the conversion needs of the job scheduler (server/jobs/scheduler.ts JobScheduler). */
export interface ConversionJobs {
  nowOnce(name: string, data: Record<string, unknown>, unique: Record<string, unknown>): Promise<void>;
}

/** What the job run lets the handler do: keep its lock while a long conversion runs. */
export interface ConversionRun {
  touch(): Promise<void>;
}

export interface MediaConversionDeps {
  storage: MediaStorage;
  /** Temporary files (inside the disk storage's root, so storing the copy is a rename). */
  incomingDir: string;
  /** The ffmpeg binary (./ffmpeg.ts ffmpegPath()); null: nothing is read or converted. */
  ffmpeg: string | null;
  /** The app's job scheduler; without one, conversions wait as queued until a process with one resumes them. */
  jobs?: ConversionJobs;
  logger?: Logger;
  /** A claim whose heartbeat is older than this is taken over (ms). */
  staleAfterMs?: number;
  /** The longest one conversion may take (ms). */
  timeoutMs?: number;
}

/** What an upload's reading found: the playback to record, or why it is not media at all. */
export type UploadInspection =
  | { playback: Pick<AssetPlayback, 'status' | 'targetMimeType' | 'durationSeconds' | 'progress'> | null; durationSeconds: number | null }
  | { problem: string };

/** What the upload page shows about a conversion. */
export interface ConversionState {
  status: AssetPlayback['status'];
  /** Whole per cent, 0 to 100. */
  percent: number;
  targetMimeType: string;
  failure: string | null;
}

const FAILURE_MESSAGE =
  'This clip could not be changed into a form every browser can play. The original file is kept. You could save it in another format (for example MP4 or M4A) and upload it again.';

export function createMediaConversion({ storage, incomingDir, ffmpeg, jobs, logger, staleAfterMs = 2 * 60_000, timeoutMs = 6 * 60 * 60_000 }: MediaConversionDeps) {
  /** The conversions running in this process, so stop() can give them back and wait for them. */
  const running = new Map<string, AbortController>();
  const runs = new Set<Promise<void>>();
  let stopping = false;

  /**
   * Reads an uploaded audio or video file (still in the incoming folder): refused if ffmpeg finds no stream of
   * its kind; otherwise whether a playable copy is needed.
   */
  async function inspectUpload(file: string, kind: 'audio' | 'video', mimeType: string): Promise<UploadInspection> {
    if (!ffmpeg) return { playback: null, durationSeconds: null };
    let probe: MediaProbe | null;
    try {
      probe = await probeMedia(ffmpeg, file);
    } catch (error) {
      logger?.error({ err: error }, 'reading an upload with ffmpeg failed');
      return { playback: null, durationSeconds: null };
    }
    const has = kind === 'video' ? probe?.videoCodec : probe?.audioCodec;
    if (!probe || !has) return { problem: `it could not be read as ${kind === 'video' ? 'a video' : 'an audio clip'}; it may be damaged` };
    const plan = planPlayable(kind, mimeType, probe);
    if (!plan.convert) return { playback: null, durationSeconds: probe.durationSeconds };
    return {
      playback: { status: 'queued', targetMimeType: plan.targetMimeType, durationSeconds: probe.durationSeconds, progress: 0 },
      durationSeconds: probe.durationSeconds,
    };
  }

  /** Puts the asset's conversion job on the scheduler (one per asset; asking again runs it again if it is done). */
  async function requestConversion(assetId: string): Promise<void> {
    if (!jobs) return;
    await jobs.nowOnce(CONVERT_JOB, { assetId }, { 'data.assetId': assetId });
  }

  /** Claims the conversion for one run: queued, or converting by a run whose heartbeat went silent. */
  async function claim(assetId: string, runId: string): Promise<AssetDoc | null> {
    const now = new Date();
    return Asset.findOneAndUpdate(
      {
        _id: new Types.ObjectId(assetId),
        status: 'ready',
        $or: [{ 'playback.status': 'queued' }, { 'playback.status': 'converting', 'playback.heartbeatAt': { $lt: new Date(now.getTime() - staleAfterMs) } }],
      },
      { $set: { 'playback.status': 'converting', 'playback.claimedBy': runId, 'playback.heartbeatAt': now, 'playback.progress': 0, 'playback.failure': null } },
      { returnDocument: 'after' },
    ).lean<AssetDoc>();
  }

  /** Removes stored bytes unless some record still refers to them. */
  async function releaseStored(storageKey: string): Promise<void> {
    const used = await Asset.exists({ $or: [{ storageKey }, { 'variants.storageKey': storageKey }, { 'playback.storageKey': storageKey }] });
    if (!used) await storage.remove(storageKey);
  }

  /** The job: converts one asset if it still needs it and no live run holds it. Failures are recorded, not thrown. */
  async function convertAsset(assetId: string, run?: ConversionRun): Promise<void> {
    const done = convertOnce(assetId, run);
    runs.add(done);
    try {
      await done;
    } finally {
      runs.delete(done);
    }
  }

  async function convertOnce(assetId: string, run?: ConversionRun): Promise<void> {
    if (!Types.ObjectId.isValid(assetId) || stopping) return;
    const runId = `${process.pid}-${randomUUID()}`;
    const asset = await claim(assetId, runId);
    if (!asset?.playback) return;
    const mine = { _id: asset._id, 'playback.claimedBy': runId };
    const controller = new AbortController();
    running.set(runId, controller);
    const temporaries: string[] = [];
    let lastWrite = 0;
    let writing: Promise<unknown> = Promise.resolve();
    /** Progress and heartbeat, at most every half second; a lost claim stops the run. */
    const beat = (progress: number | null, force = false): void => {
      const now = Date.now();
      if (!force && now - lastWrite < 500) return;
      lastWrite = now;
      const set: Record<string, unknown> = { 'playback.heartbeatAt': new Date(now) };
      if (progress !== null) set['playback.progress'] = Math.min(0.99, Math.max(0, progress));
      writing = writing
        .then(() => Asset.updateOne(mine, { $set: set }))
        .then((result) => {
          if (result.matchedCount === 0) controller.abort();
        })
        .then(() => run?.touch())
        .catch((error: unknown) => logger?.warn({ err: error, assetId }, 'could not record conversion progress'));
    };
    const heartbeat = setInterval(() => beat(null, true), Math.max(50, Math.floor(staleAfterMs / 4)));
    try {
      await mkdir(incomingDir, { recursive: true });
      let input = await storage.localPath(asset.storageKey);
      if (!input) {
        // Not on this disk (GridFS): copied out to a temporary file, streamed, since ffmpeg seeks in its input.
        const stream = await storage.openRead(asset.storageKey);
        if (!stream) throw new FfmpegError('The original file is missing from storage', '');
        input = path.join(incomingDir, `${randomUUID()}.source.part`);
        temporaries.push(input);
        await pipeline(stream, createWriteStream(input, { flags: 'wx' }));
      }
      const output = path.join(incomingDir, `${randomUUID()}.playable.part`);
      temporaries.push(output);
      if (!ffmpeg) throw new FfmpegError('No ffmpeg binary for this platform', '');
      const probe = await probeMedia(ffmpeg, input, controller.signal);
      const kind = asset.kind === 'video' ? 'video' : 'audio';
      const plan = probe ? planPlayable(kind, asset.mimeType, probe) : null;
      if (!plan || !plan.convert) throw new FfmpegError('ffmpeg could not read the stored file', '');
      const duration = probe?.durationSeconds ?? asset.playback.durationSeconds;
      await convertMedia(ffmpeg, input, output, plan.args, {
        signal: controller.signal,
        timeoutMs,
        onTime: (seconds) => beat(duration ? seconds / duration : null),
      });
      clearInterval(heartbeat);
      await writing;
      const stored = await storage.adoptFile(output, await hashFile(output));
      const done = await Asset.updateOne(mine, {
        $set: {
          'playback.status': 'ready',
          'playback.progress': 1,
          'playback.storageKey': stored.storageKey,
          'playback.sha256': stored.sha256,
          'playback.sizeBytes': stored.sizeBytes,
          'playback.targetMimeType': plan.targetMimeType,
          'playback.finishedAt': new Date(),
          'playback.claimedBy': null,
          'playback.heartbeatAt': new Date(),
        },
      });
      // Discarded (or taken over) meanwhile: the copy is nobody's.
      if (done.matchedCount === 0) await releaseStored(stored.storageKey);
      else logger?.info({ assetId, sizeBytes: stored.sizeBytes }, 'media converted');
    } catch (error) {
      clearInterval(heartbeat);
      await writing;
      if (error instanceof FfmpegError && error.aborted) {
        // Stopping (or the claim was lost): give it back for the next run, unless someone else holds it.
        await Asset.updateOne(mine, { $set: { 'playback.status': 'queued', 'playback.claimedBy': null, 'playback.heartbeatAt': null } });
        return;
      }
      logger?.error({ err: error, assetId, detail: error instanceof FfmpegError ? error.detail.slice(-2000) : undefined }, 'media conversion failed');
      await Asset.updateOne(mine, {
        $set: { 'playback.status': 'failed', 'playback.failure': FAILURE_MESSAGE, 'playback.claimedBy': null, 'playback.finishedAt': new Date() },
      });
    } finally {
      clearInterval(heartbeat);
      running.delete(runId);
      await Promise.all(temporaries.map((file) => rm(file, { force: true })));
    }
  }

  /**
   * At start: a job again for every conversion waiting (queued) or held by a run that went silent (a process
   * that died). Returns how many were asked for.
   */
  async function resumeConversions(): Promise<number> {
    const stale = new Date(Date.now() - staleAfterMs);
    const rows = await Asset.find(
      { status: 'ready', $or: [{ 'playback.status': 'queued' }, { 'playback.status': 'converting', 'playback.heartbeatAt': { $lt: stale } }] },
      '_id',
    ).lean<{ _id: Types.ObjectId }[]>();
    for (const row of rows) await requestConversion(row._id.toString());
    return rows.length;
  }

  /** Stops this process's conversions and gives them back (they resume at the next start or in another process). */
  async function stop(): Promise<void> {
    stopping = true;
    for (const controller of running.values()) controller.abort();
    // Each run settles once it has given its asset back.
    await Promise.allSettled([...runs]);
  }

  /** The state of an asset's conversion, for the upload page; null when it needs none. */
  function stateOf(playback: AssetPlayback | null | undefined): ConversionState | null {
    if (!playback) return null;
    return {
      status: playback.status,
      percent: playback.status === 'ready' ? 100 : Math.floor((playback.progress ?? 0) * 100),
      targetMimeType: playback.targetMimeType,
      failure: playback.status === 'failed' ? (playback.failure ?? FAILURE_MESSAGE) : null,
    };
  }

  return { inspectUpload, requestConversion, convertAsset, resumeConversions, stop, stateOf };
}

export type MediaConversion = ReturnType<typeof createMediaConversion>;
