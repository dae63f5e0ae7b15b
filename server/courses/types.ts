/**
 * The shape of a course version's content, shared by authoring/import (courses/) and delivery (learning/).
 * A version is immutable once published: learners are pinned to the version they started.
 * Keys are stable across versions (they come from the content files), so progress can be compared
 * between versions and "what changed" can be computed.
 */
import type { AssetRef } from '../media/types';

export type { AssetRef };

export type BlockKind = 'text' | 'video' | 'audio' | 'image' | 'file' | 'check' | 'reflection' | 'profile';

/** How a contributor chose to be credited. */
export type CreditDisplay = 'full-name' | 'first-name' | 'anonymous' | 'pseudonym';
export type ContributionKind = 'co-author' | 'lived-experience voice' | 'artwork' | 'video' | 'review';

export interface CreditEntry {
  /** The name shown to learners, already resolved from the contributor's display choice. */
  displayName: string;
  display: CreditDisplay;
  contribution: ContributionKind;
  /** A short description of who they are, in their own words ("young autistic co-facilitator"). */
  role: string;
  /** True for the invented contributors of shipped sample content. */
  sample: boolean;
}

interface BlockBase {
  /** Stable within the course across versions, e.g. "getting-to-know/lesson-1/check". */
  key: string;
  kind: BlockKind;
  /** Whether completing the course needs this block done. Checks and reflections are required by default. */
  required: boolean;
}

export interface TextBlock extends BlockBase { kind: 'text'; html: string }
export interface MediaBlock extends BlockBase {
  kind: 'video' | 'audio';
  title: string;
  media: AssetRef;
  captions?: AssetRef; // WebVTT
  transcriptHtml?: string;
}
export interface ImageBlock extends BlockBase { kind: 'image'; image: AssetRef; alt: string; captionHtml?: string }
export interface FileBlock extends BlockBase { kind: 'file'; file: AssetRef; label: string }

export interface CheckOption {
  key: string;
  text: string;
  /** Never sent to the browser before the learner answers. */
  correct: boolean;
  feedback: string;
}
export interface CheckQuestion {
  key: string;
  prompt: string;
  /** true: tick all that apply; false: choose one. */
  multiple: boolean;
  options: CheckOption[];
}
export interface CheckBlock extends BlockBase {
  kind: 'check';
  title: string;
  /** How many questions must be answered fully right to pass. */
  passMark: number;
  questions: CheckQuestion[];
}
export interface ReflectionBlock extends BlockBase { kind: 'reflection'; promptHtml: string }
/** The person-centred one-page profile: communication, what they love doing, what everyone MUST know. */
export interface ProfileBlock extends BlockBase {
  kind: 'profile';
  personName: string;
  introHtml?: string;
  communication: string[];
  loves: string[];
  mustKnow: string[];
  image?: AssetRef;
  imageAlt?: string;
}

export type Block = TextBlock | MediaBlock | ImageBlock | FileBlock | CheckBlock | ReflectionBlock | ProfileBlock;

export interface Lesson { key: string; title: string; blocks: Block[] }

export type CoProductionLevel = 'informing' | 'consultation' | 'co-design' | 'co-production';

/** The co-production level of a module, in words (the trainer's review page and the learner's course page). */
export const LEVEL_LABELS: Readonly<Record<CoProductionLevel, string>> = {
  informing: 'Informing',
  consultation: 'Consultation',
  'co-design': 'Co-design',
  'co-production': 'Co-production',
};

export interface CourseModule {
  key: string;
  title: string;
  summary: string;
  coProductionLevel: CoProductionLevel;
  credits: CreditEntry[];
  lessons: Lesson[];
}

export interface CourseVersionContent {
  title: string;
  summary: string;
  audience: string;
  estimatedMinutes: number;
  credits: CreditEntry[];
  /** Plain-language notes for learners on what changed since the previous version ("you said, we did"). */
  changeSummary?: string;
  modules: CourseModule[];
}
