/**
 * Captions and transcripts of a clip, attached to a block of a draft: the meeting point of the media feature
 * (the clip, its captions as WebVTT: media.captions) and authoring (the draft's source: services.authoring).
 * Its own folder because authoring already uses media, so media cannot use authoring.
 *
 * attachCaptions puts the clip's saved .vtt into the draft's source.media (authoring.addUploadedMedia) and
 * sets the audio or video block's `captions` attribute to it; with `withTranscript` the block's transcript (its
 * text) becomes the transcript made from the captions, when it has none yet. The block is changed through
 * authoring.replaceBlock with the lesson's base hash, so an edit made meanwhile is a conflict, never overwritten.
 */
import { blockFields, blockSource } from '../authoring/block-source';
import type { AuthoringService, LessonSaveResult } from '../authoring/service';
import { Invalid } from '../errors';
import type { MediaService } from '../media/service';

export interface AttachCaptionsInput {
  courseId: string;
  version: number;
  moduleKey: string;
  lessonKey: string;
  /** The block's place in the lesson (0-based). */
  blockIndex: number;
  /** The clip whose saved captions are attached (media.captions.saveCues). */
  clipAssetId: string;
  byUserId: string;
  /** The lesson's hash when the person opened it (authoring's optimistic concurrency). */
  baseHash: string;
  withTranscript?: boolean;
}

export function createClipCaptions({ authoring, media }: { authoring: Pick<AuthoringService, 'getLesson' | 'addUploadedMedia' | 'replaceBlock'>; media: Pick<MediaService, 'captions'> }) {
  async function attachCaptions(input: AttachCaptionsInput): Promise<LessonSaveResult & { captionsPath?: string }> {
    const saved = await media.captions.captionsOf(input.clipAssetId);
    if (!saved) throw new Invalid({ captions: 'This clip has no captions yet. Write them first.' });
    const { lesson } = await authoring.getLesson(input.courseId, input.version, input.moduleKey, input.lessonKey, input.byUserId);
    const source = lesson.blocks[input.blockIndex];
    if (source === undefined) throw new Invalid({ block: 'This lesson has no such block (it may have been moved or removed).' });
    const fields = blockFields(source);
    if (fields.kind !== 'audio' && fields.kind !== 'video') throw new Invalid({ block: 'Captions go on an audio or video block.' });
    const { path } = await authoring.addUploadedMedia(
      input.courseId,
      input.version,
      {
        assetId: saved.captions.assetId,
        fileName: saved.captions.fileName,
        kind: 'captions',
        mimeType: saved.captions.mimeType,
        sizeBytes: saved.captions.sizeBytes,
        sha256: saved.captions.sha256,
        width: null,
        height: null,
        widths: [],
        conversion: null,
      },
      input.byUserId,
    );
    fields.captions = path;
    if (input.withTranscript && !fields.markdown.trim()) fields.markdown = saved.transcript;
    const result = await authoring.replaceBlock(input.courseId, input.version, input.moduleKey, input.lessonKey, input.blockIndex, blockSource(fields), input.byUserId, input.baseHash);
    return result.conflict ? result : { ...result, captionsPath: path };
  }

  return { attachCaptions };
}

export type ClipCaptions = ReturnType<typeof createClipCaptions>;
