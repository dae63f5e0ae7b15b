/**
 * View models of the board pages: items grouped by module and version with their figures, an item with its
 * forms, a revision with its note form, and the loop-closure charts with their data tables.
 */
import type { CourseVersionContent } from '../courses/types';
import { barChart, type BarChartView } from '../reports/charts';
import type { BoardItem } from './board';
import type { LoopFigures, ModuleVersionFigures, VersionFigures } from './figures';
import type { FeedbackStatus } from './model';
import { FEEDBACK_STATUSES } from './model';
import { STATUS_LABELS, isClosed } from './rules';

const dateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

export function formatDay(date: Date): string {
  return dateFormat.format(date);
}

export function boardHref(courseId: string): string {
  return `/feedback/courses/${courseId}`;
}

export function itemHref(courseId: string, itemId: string): string {
  return `${boardHref(courseId)}/items/${itemId}`;
}

export function revisionHref(courseId: string, revisionId: string): string {
  return `${boardHref(courseId)}/revisions/${revisionId}`;
}

const FLAG_LABELS = { unclear: 'This was unclear', wrong: 'This is wrong' } as const;

export interface ItemCardView {
  id: string;
  href: string;
  heading: string;
  learner: string;
  lines: string[];
  status: FeedbackStatus;
  statusLabel: string;
  decision: string | null;
  commentCount: number;
  dateLabel: string;
  selectable: boolean;
  revisionHref: string | null;
}

function titles(content: CourseVersionContent | null): { module: Map<string, string>; lesson: Map<string, string> } {
  const module = new Map<string, string>();
  const lesson = new Map<string, string>();
  for (const m of content?.modules ?? []) {
    module.set(m.key, m.title);
    for (const l of m.lessons) lesson.set(`${m.key}/${l.key}`, l.title);
  }
  return { module, lesson };
}

function scale(value: number | null): string {
  return value === null ? 'not given' : `${value} out of 5`;
}

export function itemCard(courseId: string, item: BoardItem, lessonTitles: Map<string, string>): ItemCardView {
  const lines: string[] = [];
  let heading: string;
  if (item.kind === 'lesson') {
    const lesson = lessonTitles.get(`${item.moduleKey}/${item.lessonKey ?? ''}`) ?? item.lessonKey ?? '';
    heading = `${FLAG_LABELS[item.flag ?? 'unclear']}: ${lesson}`;
    if (item.note) lines.push(`Note: ${item.note}`);
  } else {
    heading = 'Feedback on the module';
    lines.push(`Rating: ${scale(item.rating)}. Confidence before: ${scale(item.confidenceBefore)}. After: ${scale(item.confidenceAfter)}.`);
    if (item.mostUseful) lines.push(`Most useful: ${item.mostUseful}`);
    if (item.shouldChange) lines.push(`What should change: ${item.shouldChange}`);
  }
  return {
    id: item.id,
    href: itemHref(courseId, item.id),
    heading,
    learner: item.learner,
    lines,
    status: item.status,
    statusLabel: STATUS_LABELS[item.status] + (item.answered ? ', answered' : ''),
    decision: item.decision ? `${isClosed(item.status) && item.status === 'declined' ? 'Not changed, because: ' : ''}${item.decision.reason} (${item.decision.by}, ${formatDay(item.decision.at)})` : null,
    commentCount: item.comments.length,
    dateLabel: formatDay(item.createdAt),
    selectable: item.status === 'new',
    revisionHref: item.revisionId ? revisionHref(courseId, item.revisionId) : null,
  };
}

export interface BoardModuleView {
  key: string;
  title: string;
  versions: Array<{ version: number; figures: ModuleVersionFigures | null; figuresText: string; items: ItemCardView[] }>;
}

export interface BoardView {
  courseId: string;
  courseTitle: string;
  role: 'trainer' | 'co-facilitator';
  isTrainer: boolean;
  statusFilter: FeedbackStatus | null;
  filters: Array<{ label: string; href: string; current: boolean }>;
  modules: BoardModuleView[];
  itemCount: number;
  selectableCount: number;
  summary: Array<{ label: string; value: string }>;
  ratingChart: BarChartView;
  confidenceChart: BarChartView;
  versionTable: Array<{ version: number; responses: number; rating: string; before: string; after: string; change: string }>;
  exportHref: string;
}

function number(value: number | null): string {
  return value === null ? 'None yet' : value.toLocaleString('en-GB');
}

function signed(value: number | null): string {
  if (value === null) return 'None yet';
  return value > 0 ? `+${value.toLocaleString('en-GB')}` : value.toLocaleString('en-GB');
}

export function figuresText(figures: VersionFigures | null): string {
  if (!figures) return 'No end-of-module feedback for this version yet.';
  return `${figures.responses} ${figures.responses === 1 ? 'response' : 'responses'}. Average rating: ${number(figures.averageRating)}. Confidence change: ${signed(figures.averageConfidenceChange)}.`;
}

export function boardView(input: {
  courseId: string;
  courseTitle: string;
  role: 'trainer' | 'co-facilitator';
  items: BoardItem[];
  figures: LoopFigures;
  content: CourseVersionContent | null;
  statusFilter: FeedbackStatus | null;
}): BoardView {
  const { module: moduleTitles, lesson: lessonTitles } = titles(input.content);
  const order = [...moduleTitles.keys()];
  const moduleKeys = [...new Set([...order, ...input.items.map((item) => item.moduleKey)])].filter((key) => input.items.some((item) => item.moduleKey === key));
  const modules = moduleKeys.map((key) => {
    const items = input.items.filter((item) => item.moduleKey === key);
    const versions = [...new Set(items.map((item) => item.version))].sort((a, b) => b - a);
    return {
      key,
      title: moduleTitles.get(key) ?? key,
      versions: versions.map((version) => {
        const figures = input.figures.modules.find((row) => row.moduleKey === key && row.version === version) ?? null;
        return { version, figures, figuresText: figuresText(figures), items: items.filter((item) => item.version === version).map((item) => itemCard(input.courseId, item, lessonTitles)) };
      }),
    };
  });
  const versions = input.figures.versions;
  const href = boardHref(input.courseId);
  return {
    courseId: input.courseId,
    courseTitle: input.courseTitle,
    role: input.role,
    isTrainer: input.role === 'trainer',
    statusFilter: input.statusFilter,
    filters: [
      { label: 'All', href, current: input.statusFilter === null },
      ...FEEDBACK_STATUSES.map((status) => ({ label: STATUS_LABELS[status], href: `${href}?status=${status}`, current: input.statusFilter === status })),
    ],
    modules,
    itemCount: input.items.length,
    selectableCount: input.items.filter((item) => item.status === 'new').length,
    summary: [
      { label: 'Feedback', value: input.figures.total.toLocaleString('en-GB') },
      { label: 'Feedback with an answer', value: `${input.figures.answered.toLocaleString('en-GB')}${input.figures.answeredPercent === null ? '' : ` (${input.figures.answeredPercent}%)`}` },
      { label: 'Median days to an answer', value: number(input.figures.medianDaysToAnswer) },
    ],
    ratingChart: barChart({
      id: 'rating-chart',
      title: 'Average rating of the modules, per course version',
      description: versions.length === 0 ? 'No ratings yet.' : versions.map((row) => `Version ${row.version}: ${number(row.averageRating)} out of 5`).join('. '),
      bars: versions.map((row) => ({ label: `Version ${row.version}`, value: row.averageRating ?? 0 })),
      unit: 'rating (1 to 5)',
      barsCaption: 'course version',
      axisMax: 5,
    }),
    confidenceChart: barChart({
      id: 'confidence-chart',
      title: 'Average confidence before and after the modules, per course version',
      description:
        versions.length === 0
          ? 'No confidence answers yet.'
          : versions.map((row) => `Version ${row.version}: before ${number(row.averageConfidenceBefore)}, after ${number(row.averageConfidenceAfter)}`).join('. '),
      bars: versions.flatMap((row) => [
        { label: `V${row.version} before`, value: row.averageConfidenceBefore ?? 0 },
        { label: `V${row.version} after`, value: row.averageConfidenceAfter ?? 0 },
      ]),
      unit: 'confidence (1 to 5)',
      barsCaption: 'before and after',
      axisMax: 5,
    }),
    versionTable: versions.map((row) => ({
      version: row.version,
      responses: row.responses,
      rating: number(row.averageRating),
      before: number(row.averageConfidenceBefore),
      after: number(row.averageConfidenceAfter),
      change: signed(row.averageConfidenceChange),
    })),
    exportHref: `${href}/figures.csv`,
  };
}

export const STATUS_OPTIONS = FEEDBACK_STATUSES.map((status) => ({ value: status, text: STATUS_LABELS[status] }));

export { STATUS_LABELS };
