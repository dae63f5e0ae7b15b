import { evaluateApprovals, isPoorAltText, keyOf, missingAccessibility, type Approver } from './rules';
import type { TeamMember } from '../courses/review-records';
import type { CourseVersionContent } from '../courses/types';

const team: TeamMember[] = [
  { userId: 't1', role: 'trainer', livedExperience: false },
  { userId: 'c1', role: 'co-facilitator', livedExperience: true },
  { userId: 'c2', role: 'co-facilitator', livedExperience: false },
  { userId: 'tc', role: 'co-facilitator', livedExperience: true },
];
const people = new Map<string, Approver>([
  ['t1', { id: 't1', roles: ['trainer'], active: true }],
  ['c1', { id: 'c1', roles: ['co-facilitator'], active: true }],
  ['c2', { id: 'c2', roles: ['co-facilitator'], active: true }],
  ['tc', { id: 'tc', roles: ['trainer', 'co-facilitator'], active: true }],
  ['off', { id: 'off', roles: ['co-facilitator'], active: false }],
]);
const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));

describe('keyOf', () => {
  test('gives each person at most the one key they are', () => {
    expect(keyOf({ id: 't1', roles: ['trainer'] }, team)).toBe('trainer');
    expect(keyOf({ id: 'c1', roles: ['co-facilitator'] }, team)).toBe('lived-experience');
    expect(keyOf({ id: 'c2', roles: ['co-facilitator'] }, team)).toBeNull();
    // A trainer is never the lived-experience key, even when marked so on the team.
    expect(keyOf({ id: 'tc', roles: ['trainer', 'co-facilitator'] }, team)).toBeNull();
    // Not on the team: no key, whatever the role.
    expect(keyOf({ id: 'x', roles: ['trainer'] }, team)).toBeNull();
    // On the team as a trainer without the trainer role (taken away since): no key.
    expect(keyOf({ id: 't1', roles: ['co-facilitator'] }, team)).toBeNull();
  });
});

describe('evaluateApprovals', () => {
  test('one key is not enough under two-key publish, and enough when relaxed', () => {
    const approvals = [{ userId: 't1', as: 'trainer' as const, contentHash: 'h', at: at(1) }];
    expect(evaluateApprovals({ contentHash: 'h', approvals, team, people, twoKeyPublish: true }).ready).toBe(false);
    expect(evaluateApprovals({ contentHash: 'h', approvals, team, people, twoKeyPublish: false }).ready).toBe(true);
  });

  test('both keys of the current hash are ready; an approval of another hash is void with its reason', () => {
    const approvals = [
      { userId: 't1', as: 'trainer' as const, contentHash: 'old', at: at(1) },
      { userId: 'c1', as: 'lived-experience' as const, contentHash: 'h', at: at(2) },
    ];
    const state = evaluateApprovals({ contentHash: 'h', approvals, team, people, twoKeyPublish: true });
    expect(state.ready).toBe(false);
    expect(state.approvals[0]).toMatchObject({ valid: false, voidReason: 'The draft changed after this approval.' });
    const again = evaluateApprovals({ contentHash: 'h', approvals: [...approvals, { userId: 't1', as: 'trainer', contentHash: 'h', at: at(3) }], team, people, twoKeyPublish: true });
    expect(again.ready).toBe(true);
    expect(again.missing).toEqual([]);
  });

  test('approvals of people who no longer hold the key, or whose account is off, are void', () => {
    const approvals = [
      { userId: 'c2', as: 'lived-experience' as const, contentHash: 'h', at: at(1) },
      { userId: 'off', as: 'lived-experience' as const, contentHash: 'h', at: at(2) },
      { userId: 't1', as: 'trainer' as const, contentHash: 'h', at: at(3) },
    ];
    const state = evaluateApprovals({ contentHash: 'h', approvals, team, people, twoKeyPublish: true });
    expect(state.approvals.map((a) => a.valid)).toEqual([false, false, true]);
    expect(state.approvals[1]?.voidReason).toBe('This account is turned off.');
    expect(state.ready).toBe(false);
  });
});

describe('the publish check on content', () => {
  const asset = (fileName: string) => ({ assetId: 'a', fileName, mimeType: 'x', sizeBytes: 1 });
  const content = (blocks: unknown[]): CourseVersionContent =>
    ({ title: 'C', summary: '', audience: '', estimatedMinutes: 1, credits: [], modules: [{ key: 'm', title: 'M', summary: '', coProductionLevel: 'co-design', credits: [], lessons: [{ key: 'l', title: 'L', blocks }] }] }) as CourseVersionContent;

  test('finds pictures without alt text and clips without captions or transcript', () => {
    const items = missingAccessibility(
      content([
        { kind: 'image', key: 'i1', required: false, image: asset('a.png'), alt: '' },
        { kind: 'image', key: 'i2', required: false, image: asset('b.png'), alt: 'b.png' },
        { kind: 'image', key: 'i3', required: false, image: asset('c.png'), alt: 'A child reading a book.' },
        { kind: 'video', key: 'v1', required: false, title: 'Hello', media: asset('v.mp4') },
        { kind: 'audio', key: 'a1', required: false, title: 'Hi', media: asset('a.mp3'), transcriptHtml: '<p>Hi</p>' },
        { kind: 'audio', key: 'a2', required: false, title: 'Hey', media: asset('b.mp3'), captions: asset('b.vtt') },
        { kind: 'profile', key: 'p1', required: false, personName: 'Sam', communication: [], loves: [], mustKnow: [], image: asset('s.png') },
      ]),
    );
    expect(items.map((i) => i.blockKey)).toEqual(['i1', 'i2', 'v1', 'p1']);
    expect(items[2]?.message).toBe('The video "Hello" needs captions or a transcript.');
  });

  test('alt text must describe, not name the file', () => {
    expect(isPoorAltText('  ')).toBe(true);
    expect(isPoorAltText('photo.jpeg')).toBe(true);
    expect(isPoorAltText('Two people talking at a table.')).toBe(false);
  });
});
