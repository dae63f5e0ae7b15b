/**
 * Who may fetch a stored file (GET /media/:assetId): draft media, named only by draft versions' sources (or
 * uploaded and not yet in any version), go only to the uploader, the authoring team of the course whose draft
 * uses them, and trainers and admins; once a version that uses them is published, every signed-in person (the
 * catalogue shows every published course to everyone signed in). Anyone else gets 404, as if the file did not
 * exist. Range requests keep working for those who may fetch the file.
 */
import { createHash } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Types } from 'mongoose';
import { Course, CourseVersion } from '../../server/courses/model';
import { csrfFrom, startTestApp, type TestAgent, type TestApp, type TestUser } from '../support/app';
import { makeClip } from './support/clips';

const fixture = path.join(__dirname, '..', 'courses', 'fixtures', 'tiny-course');

let t: TestApp;
let work: string;
let courseX: string;
let uploader: { agent: TestAgent; user: TestUser };
let teamX: { agent: TestAgent; user: TestUser };
let teamY: { agent: TestAgent; user: TestUser };
let learner: TestAgent;
let trainer: TestAgent;
let clip: Buffer;
let assetId: string;

async function importAs(slug: string): Promise<string> {
  const dir = path.join(work, slug);
  await cp(fixture, dir, { recursive: true });
  const result = await t.services.courseImport.importCourseFromDirectory(dir);
  if (!result.courseId) throw new Error(`The fixture course ${slug} did not import`);
  return result.courseId;
}

async function onTeam(courseId: string, user: TestUser): Promise<void> {
  await Course.updateOne(
    { _id: courseId },
    { $push: { authoringTeam: { user: new Types.ObjectId(user.id), role: 'co-facilitator', livedExperience: true, addedAt: new Date() } } },
  );
}

function fetchAs(agent: TestAgent, url: string) {
  return agent.get(url).set('Accept', 'text/html').buffer(true);
}

beforeAll(async () => {
  t = await startTestApp();
  work = await mkdtemp(path.join(os.tmpdir(), 'media-access-'));
  courseX = await importAs('course-x');
  const courseY = await importAs('course-y');
  uploader = await t.signedInAgent({ roles: ['co-facilitator'] });
  teamX = await t.signedInAgent({ roles: ['co-facilitator'] });
  teamY = await t.signedInAgent({ roles: ['co-facilitator'] });
  await onTeam(courseX, uploader.user);
  await onTeam(courseX, teamX.user);
  await onTeam(courseY, teamY.user);
  ({ agent: learner } = await t.signedInAgent({ roles: ['learner'] }));
  ({ agent: trainer } = await t.signedInAgent({ roles: ['trainer'] }));

  clip = (await makeClip('mp3', 2)).bytes;
  const token = csrfFrom((await uploader.agent.get('/media/uploads').set('Accept', 'text/html')).text);
  const response = await uploader.agent
    .post('/media/uploads')
    .set('Accept', 'application/json')
    .field('_csrf', token)
    .field('kind', 'audio')
    .attach('file', clip, 'my-voice.mp3');
  expect(response.status).toBe(201);
  assetId = response.body.asset.assetId as string;
});

afterAll(async () => {
  await t.stop();
  await rm(work, { recursive: true, force: true });
});

describe('an upload in no version yet', () => {
  test('goes to its uploader and to trainers', async () => {
    expect((await fetchAs(uploader.agent, `/media/${assetId}`)).status).toBe(200);
    expect((await fetchAs(trainer, `/media/${assetId}`)).status).toBe(200);
  });

  test('is absent (404) for learners and for authoring teams', async () => {
    expect((await fetchAs(learner, `/media/${assetId}`)).status).toBe(404);
    expect((await fetchAs(teamX.agent, `/media/${assetId}`)).status).toBe(404);
    expect((await fetchAs(teamY.agent, `/media/${assetId}`)).status).toBe(404);
  });
});

describe('media of a draft', () => {
  beforeAll(async () => {
    // A draft as authoring makes it (server/courses/model.ts CourseVersion.source): the published content, with
    // the clip among its source's media. Written here through the model: drafts are authoring-core's feature.
    const published = await CourseVersion.findOne({ course: courseX, version: 1 }).lean();
    const sha256 = createHash('sha256').update(clip).digest('hex');
    await CourseVersion.create({
      course: courseX,
      version: 2,
      status: 'draft',
      contentHash: 'draft-hash',
      content: published?.content,
      importedAt: new Date(),
      source: { files: [], media: [{ path: 'media/my-voice.mp3', sha256, mimeType: 'audio/mpeg', sizeBytes: clip.length }] },
    });
  });

  test('go to the course’s authoring team, with Range answering the right bytes', async () => {
    const whole = await fetchAs(teamX.agent, `/media/${assetId}`);
    expect(whole.status).toBe(200);
    expect(Buffer.compare(whole.body as Buffer, clip)).toBe(0);
    const part = await fetchAs(teamX.agent, `/media/${assetId}`).set('Range', 'bytes=100-599');
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 100-599/${clip.length}`);
    expect(Buffer.compare(part.body as Buffer, clip.subarray(100, 600))).toBe(0);
    const tail = await fetchAs(teamX.agent, `/media/${assetId}`).set('Range', 'bytes=-10');
    expect(Buffer.compare(tail.body as Buffer, clip.subarray(clip.length - 10))).toBe(0);
  });

  test('are refused to learners and to another course’s team, even with a Range', async () => {
    for (const agent of [learner, teamY.agent]) {
      const response = await fetchAs(agent, `/media/${assetId}`);
      expect(response.status).toBe(404);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect((await fetchAs(agent, `/media/${assetId}`).set('Range', 'bytes=0-99')).status).toBe(404);
    }
  });

  test('anonymous people are sent to sign in', async () => {
    const response = await t.request().get(`/media/${assetId}`).set('Accept', 'text/html');
    expect(response.status).toBe(303);
    expect(response.headers.location).toMatch(/^\/sign-in/);
  });
});

describe('once the version is published', () => {
  beforeAll(async () => {
    await t.services.courses.publishVersion(courseX, 2);
  });

  test('every signed-in person may fetch it, with Range', async () => {
    for (const agent of [learner, teamY.agent]) {
      const response = await fetchAs(agent, `/media/${assetId}`).set('Range', 'bytes=0-99');
      expect(response.status).toBe(206);
      expect(Buffer.compare(response.body as Buffer, clip.subarray(0, 100))).toBe(0);
    }
  });

  test('and still after it is archived by a newer version', async () => {
    await CourseVersion.updateOne({ course: courseX, version: 2 }, { $set: { status: 'archived' } });
    expect((await fetchAs(learner, `/media/${assetId}`)).status).toBe(200);
  });
});

test('the shipped content of a published course (versions without a source) goes to learners', async () => {
  const version = await t.services.courses.getPublishedVersion(courseX);
  const audio = version?.modules[0]?.lessons[0]?.blocks.find((block) => block.kind === 'audio');
  if (audio?.kind !== 'audio') throw new Error('The fixture has an audio block');
  expect((await fetchAs(learner, `/media/${audio.media.assetId}`)).status).toBe(200);
});
