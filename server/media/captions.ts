/**
 * Captions for a clip, as cues (start, end, text) edited in a plain form, saved as WebVTT through the media
 * storage (the same checks as an uploaded captions file), and a transcript made from them.
 *
 * Reading a WebVTT file uses webvtt-parser (the W3C's webvtt.js, which follows the specification's parsing
 * rules). Writing is done here: the form's cues are plain text, so the file is just the header, each cue's
 * timings and its text with `&`, `<` and `>` escaped as the specification asks; nothing a person types can become
 * markup, a cue setting or a cue boundary.
 */
import { Readable } from 'node:stream';
import { Types } from 'mongoose';
import { Invalid, NotFound } from '../errors';
import { Asset, type AssetDoc } from './model';
import type { MediaStorage } from './storage';
import { checkWebVtt } from './validate';
import type { UploadedAsset, UploadInput } from './uploads';
import type { AssetRef } from './types';

// webvtt-parser ships no types: the little of its API used here.
interface VttNode {
  type: 'text' | 'object' | 'timestamp';
  value?: string;
  name?: string;
  children?: VttNode[];
}
interface VttCue {
  startTime: number;
  endTime: number;
  text: string;
  tree: { children: VttNode[] };
}
interface VttParser {
  parse(input: string, mode: 'metadata' | 'chapters'): { cues: VttCue[]; errors: Array<{ message: string; line: number }> };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { WebVTTParser } = require('webvtt-parser') as { WebVTTParser: new (entities?: Record<string, string>) => VttParser };
// All of HTML's named character references, so `&eacute;` and friends read as their characters.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const htmlEntities = require('webvtt-parser/html-entities.json') as Record<string, string>;

export interface Cue {
  /** Seconds. */
  start: number;
  end: number;
  /** Plain text; new lines allowed. */
  text: string;
}

/** A row of the form as typed (kept as typed when it is refused). */
export interface CueRow {
  start: string;
  end: string;
  text: string;
}

/** The most cues one form holds (the form's size limit on the server); a longer clip's captions are uploaded as a .vtt. */
export const MAX_CUES = 60;
export const MAX_CUE_TEXT = 500;

/** Seconds as the form shows them: m:ss.mmm, or h:mm:ss.mmm from an hour. */
export function formatTime(seconds: number): string {
  const totalMs = Math.round(seconds * 1000);
  const ms = totalMs % 1000;
  const totalSeconds = Math.floor(totalMs / 1000);
  const s = totalSeconds % 60;
  const m = Math.floor(totalSeconds / 60) % 60;
  const h = Math.floor(totalSeconds / 3600);
  const tail = `${String(s).padStart(2, '0')}.${String(ms).padStart(3, '0')}`;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${tail}` : `${m}:${tail}`;
}

/** A WebVTT timestamp (hh:mm:ss.ttt). */
function vttTime(seconds: number): string {
  const totalMs = Math.round(seconds * 1000);
  const ms = totalMs % 1000;
  const totalSeconds = Math.floor(totalMs / 1000);
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${pad(Math.floor(totalSeconds / 3600))}:${pad(Math.floor(totalSeconds / 60) % 60)}:${pad(totalSeconds % 60)}.${String(ms).padStart(3, '0')}`;
}

/** "1:02.5", "01:02:03.400", "62.5" or "62" in seconds; null when it is not a time. */
export function parseTime(value: string): number | null {
  const text = value.trim();
  const match = /^(?:(\d{1,2}):)?(?:(\d{1,3}):)?(\d{1,5}(?:[.,]\d{1,3})?)$/.exec(text);
  if (!match) return null;
  const [, first, second, rest] = match;
  const secondsPart = Number((rest ?? '').replace(',', '.'));
  let hours = 0;
  let minutes = 0;
  if (first !== undefined && second !== undefined) {
    hours = Number(first);
    minutes = Number(second);
  } else if (first !== undefined) {
    minutes = Number(first);
  }
  // With minutes given, seconds are under 60; with hours, minutes too.
  if ((first !== undefined && secondsPart >= 60) || (second !== undefined && minutes >= 60)) return null;
  return hours * 3600 + minutes * 60 + secondsPart;
}

/** A cue's text as plain text: the text of its nodes (voices as "Name: "), markup dropped. */
function plainText(nodes: VttNode[]): string {
  return nodes
    .map((node) => {
      if (node.type === 'text') return node.value ?? '';
      if (node.type === 'object') {
        const inner = plainText(node.children ?? []);
        // A voice span keeps its speaker's name in `value` (<v Sam>...</v>).
        return node.name === 'v' && node.value ? `${node.value}: ${inner}` : inner;
      }
      return '';
    })
    .join('');
}

/** The cues of a WebVTT file as plain text; problems per line when it does not parse. */
export function parseCaptions(text: string): { cues: Cue[]; problems: string[] } {
  const parsed = new WebVTTParser(htmlEntities).parse(text, 'metadata');
  return {
    cues: parsed.cues.map((cue) => ({ start: cue.startTime, end: cue.endTime, text: plainText(cue.tree.children).trim() })),
    problems: parsed.errors.map((error) => `line ${error.line}: ${error.message}`),
  };
}

function escapeCueText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Cues as a WebVTT file, in time order. Blank lines inside a cue's text would end the cue, so they are dropped;
 * with `>` escaped no text can hold `-->`.
 */
export function serialiseCaptions(cues: Cue[]): string {
  const ordered = [...cues].sort((a, b) => a.start - b.start || a.end - b.end);
  const blocks = ordered.map((cue) => {
    const lines = cue.text
      .replace(/\r\n?/g, '\n')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '')
      .map(escapeCueText);
    return `${vttTime(cue.start)} --> ${vttTime(cue.end)}\n${lines.join('\n')}`;
  });
  return `WEBVTT\n\n${blocks.join('\n\n')}\n`;
}

/**
 * The form's rows as cues: blank rows are left out; each time must read as a time, end after start, within the
 * clip when its length is known; text is needed and not too long. Errors are keyed by the field's id.
 */
export function cuesFromRows(rows: CueRow[], durationSeconds: number | null): { cues: Cue[]; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const cues: Cue[] = [];
  rows.forEach((row, index) => {
    const n = index + 1;
    if (row.start.trim() === '' && row.end.trim() === '' && row.text.trim() === '') return;
    const start = parseTime(row.start);
    const end = parseTime(row.end);
    if (start === null) errors[`cue-${n}-start`] = `Caption ${n}: write the start as minutes and seconds, like 0:04.500.`;
    if (end === null) errors[`cue-${n}-end`] = `Caption ${n}: write the end as minutes and seconds, like 0:07.000.`;
    if (start !== null && end !== null && end <= start) errors[`cue-${n}-end`] = `Caption ${n}: the end must come after the start.`;
    if (start !== null && durationSeconds !== null && start >= durationSeconds + 0.5) {
      errors[`cue-${n}-start`] = `Caption ${n}: the clip is only ${formatTime(durationSeconds)} long.`;
    }
    const text = row.text.trim();
    if (text === '') errors[`cue-${n}-text`] = `Caption ${n}: write what is said or heard.`;
    else if (text.length > MAX_CUE_TEXT) errors[`cue-${n}-text`] = `Caption ${n}: keep it under ${MAX_CUE_TEXT} characters (split it into two captions).`;
    if (start !== null && end !== null && end > start && text !== '' && text.length <= MAX_CUE_TEXT) cues.push({ start, end, text });
  });
  return { cues, errors };
}

/**
 * A transcript from captions: the cues' text in order, a new paragraph after a pause of two seconds or more, and
 * a repeated line (captions often carry a line over to the next cue) said once.
 */
export function transcriptFromCues(cues: Cue[]): string {
  const paragraphs: string[][] = [];
  let lastEnd = -Infinity;
  let lastLine = '';
  for (const cue of [...cues].sort((a, b) => a.start - b.start)) {
    if (paragraphs.length === 0 || cue.start - lastEnd >= 2) paragraphs.push([]);
    const lines = cue.text.split('\n').map((line) => line.trim()).filter(Boolean);
    for (const line of lines) {
      if (line === lastLine) continue;
      paragraphs[paragraphs.length - 1]?.push(line);
      lastLine = line;
    }
    lastEnd = Math.max(lastEnd, cue.end);
  }
  return paragraphs
    .filter((paragraph) => paragraph.length > 0)
    .map((paragraph) => paragraph.join(' '))
    .join('\n\n');
}

export interface CaptionsDeps {
  storage: MediaStorage;
  storeUpload: (input: UploadInput) => Promise<UploadedAsset>;
}

/** What authoring needs to attach captions to a block: the file's reference, its bytes' hash, and the transcript. */
export interface ClipCaptions {
  captions: AssetRef & { sha256: string };
  cues: Cue[];
  transcript: string;
}

export function createCaptions({ storage, storeUpload }: CaptionsDeps) {
  async function readText(storageKey: string): Promise<string> {
    const stream = await storage.openRead(storageKey);
    if (!stream) throw new NotFound('The captions file is missing.');
    const chunks: Buffer[] = [];
    // Captions files are small (UPLOAD_MAX_CAPTIONS_MB, 1 MB by default).
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  /** The clip's current captions (as cues), or null when it has none. */
  async function captionsOf(clipId: string): Promise<ClipCaptions | null> {
    if (!Types.ObjectId.isValid(clipId)) return null;
    const clip = await Asset.findById(clipId, 'captions').lean<Pick<AssetDoc, 'captions'>>();
    if (!clip?.captions) return null;
    const file = await Asset.findOne({ _id: clip.captions, status: 'ready' }).lean<AssetDoc>();
    if (!file) return null;
    const { cues } = parseCaptions(await readText(file.storageKey));
    return {
      captions: { assetId: file._id.toString(), fileName: file.originalName, mimeType: file.mimeType, sizeBytes: file.sizeBytes, sha256: file.sha256 },
      cues,
      transcript: transcriptFromCues(cues),
    };
  }

  /**
   * Saves cues as the clip's captions: a new WebVTT file through the media storage (checked as an upload of
   * captions is), then the clip points to it. Earlier files stay (a published version may still use one).
   */
  async function saveCues(clipId: string, cues: Cue[], byUserId: string): Promise<ClipCaptions> {
    if (!Types.ObjectId.isValid(clipId)) throw new NotFound('There is no such clip.');
    const clip = await Asset.findOne({ _id: clipId, status: 'ready' }, 'originalName kind').lean<Pick<AssetDoc, 'originalName' | 'kind'>>();
    if (!clip || (clip.kind !== 'audio' && clip.kind !== 'video' && clip.kind !== null && clip.kind !== undefined)) throw new NotFound('There is no such clip.');
    if (cues.length === 0) throw new Invalid({ 'cue-1-start': 'Write at least one caption before saving.' });
    const text = serialiseCaptions(cues);
    // The file is checked before it is stored, as an uploaded one would be (and again by storeUpload).
    const problem = checkWebVtt(text);
    const parsed = parseCaptions(text);
    if (problem || parsed.problems.length > 0) throw new Error(`Captions made from the form did not check: ${problem?.problem ?? parsed.problems.join('; ')}`);
    const baseName = clip.originalName.replace(/\.[A-Za-z0-9]{1,5}$/, '') || 'clip';
    const stored = await storeUpload({ stream: Readable.from([Buffer.from(text, 'utf8')]), originalName: `${baseName}.vtt`, kind: 'captions', uploadedBy: byUserId, field: 'cue-1-text' });
    await Asset.updateOne({ _id: clipId }, { $set: { captions: new Types.ObjectId(stored.assetId) } });
    return {
      captions: { assetId: stored.assetId, fileName: stored.fileName, mimeType: stored.mimeType, sizeBytes: stored.sizeBytes, sha256: stored.sha256 },
      cues: parsed.cues,
      transcript: transcriptFromCues(parsed.cues),
    };
  }

  /** Reads an existing WebVTT file (an asset of kind captions) into cues, for editing. */
  async function cuesOfFile(captionsAssetId: string): Promise<{ cues: Cue[]; problems: string[] } | null> {
    if (!Types.ObjectId.isValid(captionsAssetId)) return null;
    const file = await Asset.findOne({ _id: captionsAssetId, status: 'ready', mimeType: 'text/vtt' }).lean<AssetDoc>();
    if (!file) return null;
    return parseCaptions(await readText(file.storageKey));
  }

  return { captionsOf, saveCues, cuesOfFile };
}

export type Captions = ReturnType<typeof createCaptions>;
