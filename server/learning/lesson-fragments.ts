/**
 * The lesson page's parts that look the same every time they are drawn, rendered once and kept: each block that
 * looks the same to every learner (text, media, image, file, profile) and the course outline, which depends only
 * on the lesson and on which lessons are done. Rendering them again on every request was the larger part of the
 * lesson page's own rendering (bench/lesson.ts); the page stays byte for byte what the templates draw
 * (test/learning/lesson-fragments.test.ts).
 *
 * Only published versions are kept (the courses service keeps them frozen in memory: a version number of a
 * course never changes its content once published), so a key names the course, the version and the lesson.
 * A draft (a preview) is drawn afresh every time. When templates may change while the app runs (`npm run dev`,
 * TEMPLATE_CACHE=false) nothing is kept either.
 *
 * The cache is an instance owned by the composition root (server/services.ts createCaches), bounded by the size of
 * what it holds.
 */
import { LRUCache } from 'lru-cache';
import type { PublishedVersion } from '../courses/service';
import type { LessonRef } from './progress';
import type { BlockView, LessonView, RenderedBlockView } from './views';

/** At most this many characters of HTML (about 8 MB as UTF-16): every lesson of many courses, in two caption settings. */
const MAX_CHARACTERS = 4_000_000;

export interface LessonFragmentCache {
  get(key: string): string | RenderedBlockView | undefined;
  set(key: string, value: string | RenderedBlockView): void;
}

export function createLessonFragmentCache(): LessonFragmentCache {
  const cache = new LRUCache<string, string | RenderedBlockView>({
    maxSize: MAX_CHARACTERS,
    sizeCalculation: (value) => Math.max(1, typeof value === 'string' ? value.length : value.html.length),
  });
  return {
    get: (key) => cache.get(key),
    set: (key, value) => {
      cache.set(key, value);
    },
  };
}

/** Renders one template with these locals (the app's view engine and its template cache: `app.render`). */
export type RenderView = (view: string, locals: Record<string, unknown>) => Promise<string>;

export interface FragmentSource {
  content: PublishedVersion;
  lesson: LessonRef;
}

/**
 * The lesson's view with its outline and shared blocks already rendered, from the cache or rendered now and kept.
 * `captionsOff` is the one preference a shared block shows (a video's captions track is on by default or not).
 */
export async function withRenderedFragments(
  view: LessonView,
  source: FragmentSource,
  options: { cache: LessonFragmentCache; render: RenderView; captionsOff: boolean },
): Promise<LessonView> {
  const { content, lesson } = source;
  // Drafts are not frozen (the courses service freezes only the versions it keeps): they may change under a key.
  if (content.status === 'draft' || !Object.isFrozen(content)) return view;
  const { cache, render } = options;
  const base = `${content.courseId}:${content.version}:${lesson.id}`;

  const states = view.outline.map((module) => module.lessons.map((item) => item.state[0]).join('')).join('|');
  const outlineKey = `${base}:outline:${view.progress.done}/${view.progress.total}:${states}`;
  let outlineHtml = cache.get(outlineKey);
  if (typeof outlineHtml !== 'string') {
    outlineHtml = await render('learning/lesson-outline', { lesson: view });
    cache.set(outlineKey, outlineHtml);
  }

  const preferences = { captionsOff: options.captionsOff };
  const blocks: BlockView[] = [];
  for (const [index, block] of view.blocks.entries()) {
    if (block.kind === 'check' || block.kind === 'reflection' || block.kind === 'rendered') {
      blocks.push(block);
      continue;
    }
    const key = `${base}:block:${index}:${options.captionsOff ? 'captions-off' : 'captions-on'}`;
    let rendered = cache.get(key);
    if (rendered === undefined || typeof rendered === 'string') {
      rendered = Object.freeze({ kind: 'rendered', html: await render('learning/lesson-block', { block, preferences }) } as const);
      cache.set(key, rendered);
    }
    blocks.push(rendered);
  }
  return { ...view, outlineHtml, blocks };
}
