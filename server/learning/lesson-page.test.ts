/**
 * The lesson page template, rendered straight through EJS as Express would: captions start on unless the
 * person's preferences say otherwise, and the transcript is always there.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ejs from 'ejs';
import { DEFAULT_PREFERENCES, type Preferences } from '../people';
import type { LessonView } from './views';

const VIEWS = path.join(__dirname, '..', '..', 'views');

const lesson: LessonView = {
  courseTitle: 'A course',
  courseSlug: 'a-course',
  version: 1,
  moduleTitle: 'A module',
  moduleHref: '/courses/a-course/modules/m',
  title: 'A lesson with a video',
  position: 'Lesson 1 of 1',
  actionBase: '/learn/a-course/m/l',
  blocks: [
    {
      kind: 'video',
      id: 'block-1',
      title: 'Meeting Sam',
      src: '/media/0123456789abcdef01234567',
      mimeType: 'video/mp4',
      captionsSrc: '/media/76543210fedcba9876543210',
      transcriptHtml: '<p>Hello, I am Sam.</p>',
    },
  ],
  markDone: { needed: false, done: false },
  previous: null,
  next: null,
  outline: [{ title: 'A module', lessons: [{ title: 'A lesson with a video', href: '/learn/a-course/m/l', state: 'current', stateLabel: 'You are here' }] }],
  progress: { done: 0, total: 1 },
  certificateHref: null,
  courseComplete: false,
  newerVersion: null,
  moduleFeedbackHref: null,
};

function render(preferences: Preferences): string {
  const file = path.join(VIEWS, 'learning', 'lesson.ejs');
  return ejs.render(
    readFileSync(file, 'utf8'),
    { title: lesson.title, lesson, pageClass: 'main--wide', preferences, csrfToken: 'token', cspNonce: 'nonce', currentPath: lesson.actionBase },
    { filename: file, root: VIEWS },
  );
}

describe('the lesson page', () => {
  it('starts videos with their captions on', () => {
    const html = render({ ...DEFAULT_PREFERENCES });
    expect(html).toMatch(/<track kind="captions" src="\/media\/76543210fedcba9876543210"[^>]* default>/);
    expect(html).toContain('Hello, I am Sam.');
  });

  it('starts them with captions off for someone who asked for that, keeping the captions and transcript there', () => {
    const html = render({ ...DEFAULT_PREFERENCES, captionsOff: true });
    expect(html).toMatch(/<track kind="captions" src="\/media\/76543210fedcba9876543210"[^>]*label="English captions">/);
    expect(html).not.toMatch(/<track[^>]* default>/);
    expect(html).toContain('Hello, I am Sam.');
  });
});
