/**
 * The rules of review, as pure functions (unit-tested in rules.test.ts): who may turn which key, which approvals
 * still count, whether a version may be published, and what the publish check finds missing in a version.
 */
import type { ApprovalKey, ApprovalRecord, TeamMember } from '../courses/review-records';
import type { CourseVersionContent } from '../courses/types';
import type { Role } from '../people';

export interface Approver {
  id: string;
  roles: readonly Role[];
  /** A turned-off account's approvals no longer count. */
  active: boolean;
}

export const KEY_LABELS: Readonly<Record<ApprovalKey, string>> = {
  trainer: 'Trainer',
  'lived-experience': 'Co-facilitator with lived experience',
};

/**
 * The keys a person may turn on a course, only as what they are:
 * - trainer: holds the trainer role and is on the course's authoring team as a trainer;
 * - lived-experience: is on the team as a co-facilitator marked with lived experience, holds the co-facilitator
 *   role, and is not a trainer (a trainer cannot be the lived-experience key, even if marked so by mistake).
 * So one person holds at most one key.
 */
export function keyOf(person: Pick<Approver, 'id' | 'roles'>, team: readonly TeamMember[]): ApprovalKey | null {
  const member = team.find((m) => m.userId === person.id);
  if (!member) return null;
  const isTrainer = person.roles.includes('trainer');
  if (member.role === 'trainer') return isTrainer ? 'trainer' : null;
  if (member.livedExperience && !isTrainer && person.roles.includes('co-facilitator')) return 'lived-experience';
  return null;
}

export interface ApprovalState extends ApprovalRecord {
  valid: boolean;
  /** Why it no longer counts, in plain words; null while valid. */
  voidReason: string | null;
}

export interface KeysState {
  approvals: ApprovalState[];
  trainer: ApprovalState | null;
  livedExperience: ApprovalState | null;
  twoKeyPublish: boolean;
  /** The valid approvals are enough to publish. */
  ready: boolean;
  /** What is still needed, in plain words (empty when ready). */
  missing: string[];
}

/**
 * Which approvals of a draft still count, and whether they are enough. An approval counts while it is of the
 * draft's current content hash (any change to the draft voids it), its author still holds the key they turned,
 * and no one else's approval with the same person came first (one person never turns both keys).
 */
export function evaluateApprovals(input: {
  contentHash: string;
  approvals: readonly ApprovalRecord[];
  team: readonly TeamMember[];
  people: ReadonlyMap<string, Approver>;
  twoKeyPublish: boolean;
}): KeysState {
  const used = new Set<string>();
  const approvals: ApprovalState[] = [...input.approvals]
    .sort((a, b) => a.at.getTime() - b.at.getTime())
    .map((approval) => {
      const person = input.people.get(approval.userId);
      let voidReason: string | null = null;
      if (approval.contentHash !== input.contentHash) voidReason = 'The draft changed after this approval.';
      else if (!person || !person.active) voidReason = 'This account is turned off.';
      else if (keyOf(person, input.team) !== approval.as) voidReason = `This person is no longer on the authoring team as a ${KEY_LABELS[approval.as].toLowerCase()}.`;
      else if (used.has(`${approval.userId}:${approval.as}`)) voidReason = 'This person approved this draft already.';
      if (!voidReason) used.add(`${approval.userId}:${approval.as}`);
      return { ...approval, valid: voidReason === null, voidReason };
    });
  const newestValid = (key: ApprovalKey): ApprovalState | null => [...approvals].reverse().find((a) => a.valid && a.as === key) ?? null;
  const trainer = newestValid('trainer');
  let livedExperience = newestValid('lived-experience');
  // keyOf gives one person one key, so this only matters if team roles were edited by hand; stated for safety.
  if (trainer && livedExperience && trainer.userId === livedExperience.userId) livedExperience = null;
  const missing: string[] = [];
  if (!trainer) missing.push('An approval from a trainer on the authoring team.');
  if (input.twoKeyPublish && !livedExperience) missing.push('An approval from a co-facilitator with lived experience on the authoring team.');
  return { approvals, trainer, livedExperience, twoKeyPublish: input.twoKeyPublish, ready: missing.length === 0, missing };
}

/** One thing the publish check found missing, with where it is. */
export interface MissingItem {
  moduleKey: string;
  lessonKey: string | null;
  lessonTitle: string | null;
  blockKey: string | null;
  message: string;
}

/**
 * A problem the parser found in a draft's source (saved with problems on the authoring pages), placed in its
 * module by the file name (`01-first-steps.md` is module `first-steps`; course.md is the course's own file).
 */
export function sourceProblemItems(problems: ReadonlyArray<{ file: string; line?: number; message: string }>): MissingItem[] {
  return problems.map((problem) => {
    const fileName = problem.file.split('/').pop() ?? problem.file;
    const moduleKey = /^\d{2}-([a-z0-9-]+)\.md$/.exec(fileName)?.[1] ?? '';
    return {
      moduleKey,
      lessonKey: null,
      lessonTitle: null,
      blockKey: null,
      message: `${fileName}${problem.line ? `, line ${problem.line}` : ''}: ${problem.message}`,
    };
  });
}

/** Alt text that does not describe the picture: empty, too short, or a file name (as the parser refuses it). */
export function isPoorAltText(alt: string | undefined, fileName?: string): boolean {
  const text = (alt ?? '').trim();
  if (text.length < 5) return true;
  if (fileName && text.toLowerCase() === fileName.toLowerCase()) return true;
  return /\.(png|jpe?g|gif|webp|svg|avif)$/i.test(text);
}

/**
 * What a version lacks before learners may see it: pictures without alt text, audio and video without captions
 * or a transcript. The same rules the Markdown parser applies to imported folders, applied to whatever the draft
 * holds, so a draft edited in the browser meets them too.
 */
export function missingAccessibility(content: CourseVersionContent): MissingItem[] {
  const items: MissingItem[] = [];
  for (const module of content.modules) {
    for (const lesson of module.lessons) {
      const where = { moduleKey: module.key, lessonKey: lesson.key, lessonTitle: lesson.title };
      for (const block of lesson.blocks) {
        if (block.kind === 'image' && isPoorAltText(block.alt, block.image.fileName)) {
          items.push({ ...where, blockKey: block.key, message: `The picture ${block.image.fileName} needs alt text that says what it shows.` });
        } else if (block.kind === 'profile' && block.image && isPoorAltText(block.imageAlt, block.image.fileName)) {
          items.push({ ...where, blockKey: block.key, message: `The picture in ${block.personName}'s one-page profile needs alt text that says what it shows.` });
        } else if ((block.kind === 'video' || block.kind === 'audio') && !block.captions && !(block.transcriptHtml ?? '').trim()) {
          const kind = block.kind === 'video' ? 'video' : 'audio clip';
          items.push({ ...where, blockKey: block.key, message: `The ${kind} "${block.title}" needs captions or a transcript.` });
        }
      }
    }
  }
  return items;
}
