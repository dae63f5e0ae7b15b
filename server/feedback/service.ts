/**
 * The feedback loop as one service: learners speak (./learner.ts), trainers and co-facilitators decide on the
 * board (./board.ts), the loop closes through revisions and "you said, we did" notes (./loop.ts), and the
 * loop-closure figures (./figures.ts). Made once by the composition root (../services.ts).
 */
import type { SignedInUser } from '../people';
import { createBoard } from './board';
import type { FeedbackDeps } from './deps';
import { figuresTable, loopFigures, type LoopFigures } from './figures';
import { createLearnerFeedback } from './learner';
import { createLoop } from './loop';

export function createFeedbackService(deps: FeedbackDeps) {
  const board = createBoard(deps);
  const loop = createLoop(deps, board);

  /** The figures of a course's board (trainers and the team's co-facilitators). */
  async function figuresFor(viewer: SignedInUser, courseId: string): Promise<LoopFigures> {
    const access = await board.accessTo(viewer, courseId);
    return loopFigures(access.course.id);
  }

  /** The figures as CSV rows; the export is recorded in the audit log. */
  async function exportFigures(viewer: SignedInUser, courseId: string, ip?: string): Promise<{ courseTitle: string; table: string[][] }> {
    const access = await board.accessTo(viewer, courseId);
    const figures = await loopFigures(access.course.id);
    await deps.audit.recordAudit({
      action: 'feedback.figures-exported',
      actor: { id: viewer.id, email: viewer.email },
      target: { type: 'course', id: access.course.id, label: access.course.title },
      details: { format: 'csv', feedback: figures.total },
      ip,
    });
    return { courseTitle: access.course.title, table: figuresTable(access.course.title, figures) };
  }

  return {
    ...createLearnerFeedback(deps),
    accessTo: board.accessTo,
    boardCourses: board.boardCourses,
    boardItems: board.boardItems,
    boardItem: board.boardItem,
    changeStatus: board.changeStatus,
    addComment: board.addComment,
    openRevision: loop.openRevision,
    revisionView: loop.revisionView,
    publishNote: loop.publishNote,
    sendNoteEmails: loop.sendNoteEmails,
    figuresFor,
    exportFigures,
  };
}

export type FeedbackService = ReturnType<typeof createFeedbackService>;
