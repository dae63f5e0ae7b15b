/**
 * The media job on the durable scheduler (server/jobs/scheduler.ts):
 *   media.convert   one per asset ({ assetId }): makes the playable copy of an audio or video upload
 *                   (./conversion.ts); safe to run twice, and never converts one asset in two runs at once.
 */
import type { JobScheduler } from '../jobs/scheduler';
import { CONVERT_JOB, type MediaConversion } from './conversion';

export function defineMediaJobs(scheduler: Pick<JobScheduler, 'define'>, conversion: Pick<MediaConversion, 'convertAsset'>): void {
  scheduler.define(CONVERT_JOB, async (data, run) => {
    const assetId = typeof data === 'object' && data !== null && 'assetId' in data ? String((data as { assetId: unknown }).assetId) : '';
    await conversion.convertAsset(assetId, run);
  });
}
