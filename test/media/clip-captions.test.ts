/**
 * A recorded or uploaded clip into a draft's lesson, with its captions and transcript, through the services
 * authoring pages use: a converted clip goes in as its playable copy (the block names its MP4/M4A type), the
 * saved captions become the block's captions file in the draft's source, the transcript its text; a stale base is
 * a conflict, never an overwrite; the draft's media go to the team and not to learners.
 */
import path from 'node:path';
import { PROJECT_ROOT } from '../../server/project-root';
import type { MediaBlock } from '../../server/courses/types';
import { Conflict } from '../../server/errors';
import { csrfFrom, startTestApp, type TestAgent, type TestApp, type TestUser } from '../support/app';
import { makeClip } from './support/clips';

let t: TestApp;
let courseId: string;
let version: number;
let author: { agent: TestAgent; user: TestUser };
let clipId: string;
let moduleKey: string;
const lessonKey = 'welcome';

beforeAll(async () => {
  t = await startTestApp({ jobs: { processEveryMs: 100, lockLifetimeMs: 2_000 } });
  await t.services.courseImport.importCourses({ dir: path.join(PROJECT_ROOT, 'test', 'courses', 'fixtures') });
  courseId = (await t.services.courses.getCourseBySlug('tiny-course'))?.id ?? '';
  const trainer = await t.createUser({ roles: ['trainer'] });
  author = await t.signedInAgent({ roles: ['co-facilitator'] });
  await t.services.authoring.addTeamMember({ id: trainer.id, email: trainer.email, roles: trainer.roles }, courseId, {
    email: author.user.email,
    role: 'co-facilitator',
    livedExperience: true,
  });
  ({ version } = await t.services.authoring.startDraft(courseId, author.user.id));
  moduleKey = (await t.services.authoring.getDraft(courseId, version, author.user.id)).modules[0]?.key ?? '';

  const token = csrfFrom((await author.agent.get('/media/uploads').set('Accept', 'text/html')).text);
  const clip = await makeClip('flac', 6);
  const response = await author.agent.post('/media/uploads').set('Accept', 'application/json').field('_csrf', token).field('kind', 'audio').attach('file', clip.bytes, 'my story.flac');
  clipId = response.body.asset.assetId as string;
});

afterAll(async () => {
  await t.stop();
});

const viewer = () => ({ id: author.user.id, roles: author.user.roles });

async function converted(): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await t.services.media.uploadForLesson(clipId, viewer());
      return;
    } catch (error) {
      if (!(error instanceof Conflict) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

test('a clip goes into a lesson as its playable copy, then gets its captions and transcript', async () => {
  await converted();
  const upload = await t.services.media.uploadForLesson(clipId, viewer());
  expect(upload).toMatchObject({ mimeType: 'audio/mp4', fileName: 'my story.m4a' });
  const { path: src } = await t.services.authoring.addUploadedMedia(courseId, version, upload, author.user.id);
  expect(src).toBe('media/my-story.m4a');
  const added = await t.services.authoring.addBlock(courseId, version, moduleKey, lessonKey, `:::audio{src="${src}" title="My story"}\n:::`, author.user.id);
  if (added.conflict) throw new Error('unexpected conflict');
  const blockIndex = added.lesson.blocks.length - 1;

  await t.services.media.captions.saveCues(
    clipId,
    [
      { start: 0.5, end: 2, text: 'This is my story.' },
      { start: 2, end: 4, text: 'It starts at school.' },
    ],
    author.user.id,
  );

  // A base from before another edit is a conflict.
  await expect(
    t.services.clipCaptions.attachCaptions({ courseId, version, moduleKey, lessonKey, blockIndex, clipAssetId: clipId, byUserId: author.user.id, baseHash: 'stale', withTranscript: true }),
  ).resolves.toMatchObject({ conflict: true });

  const attached = await t.services.clipCaptions.attachCaptions({
    courseId,
    version,
    moduleKey,
    lessonKey,
    blockIndex,
    clipAssetId: clipId,
    byUserId: author.user.id,
    baseHash: added.lesson.hash,
    withTranscript: true,
  });
  expect(attached.conflict).toBe(false);
  expect(attached.captionsPath).toBe('media/my-story.vtt');

  const { lesson, compiled, problems } = await t.services.authoring.getLesson(courseId, version, moduleKey, lessonKey, author.user.id);
  expect(problems).toEqual([]);
  expect(lesson.blocks[blockIndex]).toBe(':::audio{src="media/my-story.m4a" captions="media/my-story.vtt" title="My story"}\nThis is my story. It starts at school.\n:::');
  const block = compiled?.blocks[blockIndex] as MediaBlock;
  expect(block.media.mimeType).toBe('audio/mp4');
  expect(block.captions?.mimeType).toBe('text/vtt');
  expect(block.transcriptHtml).toContain('This is my story. It starts at school.');
  const draft = await t.services.authoring.getDraft(courseId, version, author.user.id);
  expect(draft.source.media.map((m) => m.path)).toEqual(expect.arrayContaining(['media/my-story.m4a', 'media/my-story.vtt']));

  // The draft's media: the team fetches them, a learner does not.
  const { agent: learner } = await t.signedInAgent({ roles: ['learner'] });
  for (const ref of [block.media, block.captions]) {
    expect((await author.agent.get(`/media/${ref?.assetId}`)).status).toBe(200);
    expect((await learner.get(`/media/${ref?.assetId}`).set('Accept', 'text/html')).status).toBe(404);
  }
  const played = await author.agent.get(`/media/${block.media.assetId}`);
  expect(played.headers['content-type']).toBe('audio/mp4');
});
