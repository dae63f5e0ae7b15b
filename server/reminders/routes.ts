/**
 * A person's reminders (its own small router beside the account pages).
 *   GET  /account/reminders   requireSignIn   the reminders sent to me, what is coming up, and which ones I get
 *   POST /account/reminders   requireSignIn   turn the optional ones on or off
 */
import express, { type Request } from 'express';
import { z } from 'zod';
import { REMIND_BEFORE_DAYS, addDays, reminderDue } from '../assignments/rules';
import type { AssignmentsService } from '../assignments/service';
import type { CoursesService } from '../courses/service';
import type { SignedInUser } from '../people';
import { requireSignIn } from '../web/access';
import { setFlash } from '../web/locals';
import type { RemindersService } from './service';

const KIND_LABELS = { before: 'A week before the due date', on: 'On the due date', overdue: 'Overdue' } as const;

const dayText = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

const settingsForm = z.object({
  before: z.literal('yes').optional(),
  on: z.literal('yes').optional(),
  digest: z.literal('yes').optional(),
});

export interface RemindersRouterDeps {
  reminders: Pick<RemindersService, 'sentTo' | 'settingsFor' | 'updateSettings'>;
  assignments: Pick<AssignmentsService, 'statusesForLearner'>;
  courses: Pick<CoursesService, 'courseTitlesByIds'>;
}

function userOf(req: Request): SignedInUser {
  if (!req.user) throw new Error('runs after requireSignIn');
  return req.user;
}

export function remindersRouter(deps: RemindersRouterDeps): express.Router {
  const router = express.Router();

  router.get('/account/reminders', requireSignIn, async (req, res) => {
    const user = userOf(req);
    const [sent, settings, statuses] = await Promise.all([deps.reminders.sentTo(user.id), deps.reminders.settingsFor(user.id), deps.assignments.statusesForLearner(user.id)]);
    const titles = await deps.courses.courseTitlesByIds([...new Set([...sent.map((item) => item.courseId), ...statuses.map((item) => item.courseId)])]);
    const upcoming = statuses.flatMap((status) => {
      if (!status.dueAt || reminderDue(status, new Date()) === 'overdue') return [];
      const before = addDays(status.dueAt, -REMIND_BEFORE_DAYS);
      return [{ courseTitle: titles.get(status.courseId) ?? 'A course', dueText: dayText.format(status.dueAt), beforeText: dayText.format(before) }];
    });
    res.render('reminders/index', {
      title: 'Reminders',
      sent: sent.map((item) => ({
        courseTitle: titles.get(item.courseId) ?? 'A course',
        kindLabel: KIND_LABELS[item.kind],
        sentText: dayText.format(item.sentAt),
        dueText: dayText.format(item.dueAt),
      })),
      upcoming,
      settings,
      isTrainer: user.roles.includes('trainer'),
    });
  });

  router.post('/account/reminders', requireSignIn, async (req, res) => {
    const user = userOf(req);
    const parsed = settingsForm.safeParse(req.body);
    const form = parsed.success ? parsed.data : {};
    const current = await deps.reminders.settingsFor(user.id);
    await deps.reminders.updateSettings(user.id, {
      before: form.before === 'yes',
      on: form.on === 'yes',
      // Only trainers see the digest choice; others keep what they had.
      digest: user.roles.includes('trainer') ? form.digest === 'yes' : current.digest,
    });
    setFlash(req, 'Your reminder choices are saved.');
    res.redirect(303, '/account/reminders');
  });

  return router;
}
