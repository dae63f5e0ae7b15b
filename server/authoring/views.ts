/**
 * View models of the authoring pages: plain objects with what each page shows, already in words.
 */
import { LEVEL_LABELS, type CoProductionLevel } from '../courses/types';
import type { BlockView } from '../learning/views';
import type { ContentProblem } from '../courses/parse';
import { blockFields, blockKinds, type BlockKindName } from './block-source';
import type { AuthoringCourse, Draft, DraftLesson } from './service';

export const blockKindLabels: Readonly<Record<BlockKindName, string>> = {
  text: 'Text',
  image: 'Picture',
  audio: 'Audio clip',
  video: 'Video',
  file: 'File to download',
  check: 'Knowledge check',
  reflection: 'Reflection question',
  profile: 'One-page profile',
};

export const levelOptions = (Object.keys(LEVEL_LABELS) as CoProductionLevel[]).map((value) => ({ value, text: LEVEL_LABELS[value] }));

export function pathsOf(slug: string, found: Pick<DraftLesson, 'draft' | 'module' | 'lesson'>) {
  const course = `/author/${slug}`;
  const module = `${course}/v/${found.draft.version}/m/${found.module.key}`;
  return { course, module, lesson: `${module}/l/${found.lesson.key}` };
}

/** The draft's media files a block can use, by the kind of file. */
export function draftMediaOptions(draft: Pick<Draft, 'source'>) {
  const byType = (test: (mime: string) => boolean) =>
    draft.source.media.filter((m) => m.mimeType && test(m.mimeType)).map((m) => ({ value: m.path, text: m.path }));
  return {
    image: byType((mime) => mime.startsWith('image/')),
    audio: byType((mime) => mime.startsWith('audio/')),
    video: byType((mime) => mime.startsWith('video/')),
    captions: byType((mime) => mime === 'text/vtt'),
    file: byType((mime) => !mime.startsWith('image/') && !mime.startsWith('audio/') && !mime.startsWith('video/') && mime !== 'text/vtt'),
  };
}

/** One line to say what a block is, for the list of blocks beside the editor. */
function blockSummary(source: string): { kind: BlockKindName; label: string; summary: string } {
  const fields = blockFields(source);
  const first = (text: string): string => {
    const line = text.split('\n').find((l) => l.trim()) ?? '';
    return line.length > 90 ? `${line.slice(0, 87)}...` : line;
  };
  const summary =
    fields.kind === 'text' ? first(fields.markdown)
    : fields.kind === 'image' ? `${fields.src}: ${fields.alt || 'no alt text yet'}`
    : fields.kind === 'audio' || fields.kind === 'video' ? `${fields.title || fields.src}${fields.captions ? ', with captions' : ''}`
    : fields.kind === 'file' ? fields.label || fields.src
    : fields.kind === 'check' ? `${fields.title || 'Check what you know'}: ${fields.questions.length} question${fields.questions.length === 1 ? '' : 's'}`
    : fields.kind === 'reflection' ? first(fields.markdown)
    : `${fields.personName}`;
  return { kind: fields.kind, label: blockKindLabels[fields.kind], summary };
}

export function problemLine(problem: ContentProblem): string {
  return `${problem.file}${problem.line ? `, line ${problem.line}` : ''}: ${problem.message}`;
}

export function lessonPageView(input: {
  course: AuthoringCourse;
  found: DraftLesson;
  values: { title: string; text: string; baseHash: string };
  conflict: { title: string; text: string } | null;
  previewBlocks: BlockView[];
  previewProblems: ContentProblem[];
  previewIsUnsaved: boolean;
  notes: Array<{ id: string; text: string; about: string; byName: string; at: Date; version: number }>;
}) {
  const { course, found } = input;
  const paths = pathsOf(course.slug, found);
  const editable = found.draft.status === 'draft';
  return {
    title: `${found.lesson.title}: ${found.module.title}`,
    pageClass: 'main--wide',
    course: { title: course.title, href: paths.course },
    module: { title: found.module.title, href: paths.module },
    paths,
    editable,
    version: found.draft.version,
    values: input.values,
    conflict: input.conflict,
    lessonTitle: found.lesson.title,
    blocks: found.lesson.blocks.map((source, index) => ({ index, ...blockSummary(source), editHref: `${paths.lesson}/blocks/${index}/edit` })),
    blockKinds: blockKinds.map((kind) => ({ value: kind, text: blockKindLabels[kind] })),
    baseHash: found.lesson.hash,
    preview: { blocks: input.previewBlocks, problems: input.previewProblems.map(problemLine), unsaved: input.previewIsUnsaved },
    draftProblems: found.draft.problems.length,
    notes: input.notes.map((note) => ({ ...note, atLabel: note.at.toISOString().slice(0, 16).replace('T', ' ') })),
    uploadKinds: [
      { value: 'image', text: 'A picture or drawing' },
      { value: 'audio', text: 'An audio clip' },
      { value: 'video', text: 'A video' },
      { value: 'captions', text: 'Captions for a clip (WebVTT)' },
      { value: 'document', text: 'A document' },
    ],
    media: found.draft.source.media.map((m) => ({ path: m.path, usable: Boolean(m.mimeType) })),
  };
}
