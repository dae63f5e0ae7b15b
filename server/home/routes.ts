/**
 * Home page.
 *   GET /   publicAccess   anonymous: a calm welcome and the way to sign in; signed in: the places for their roles
 *                          (learners go straight to their dashboard)
 */
import express from 'express';
import { publicAccess } from '../web/access';
import type { Role } from '../people';

interface Place {
  href: string;
  text: string;
  hint: string;
  roles: Role[];
}

const PLACES: Place[] = [
  { href: '/dashboard', text: 'My courses', hint: 'Courses you are taking, with what is due.', roles: ['learner'] },
  { href: '/manage/courses', text: 'Courses to manage', hint: 'Review drafts, approve them and see every version.', roles: ['co-facilitator', 'trainer'] },
  { href: '/author', text: 'Write courses', hint: 'Work on the drafts of the courses you help write.', roles: ['co-facilitator', 'trainer', 'admin'] },
  { href: '/calls', text: 'Questions to answer', hint: 'Questions the course teams are asking now.', roles: ['co-facilitator'] },
  { href: '/involvement', text: 'Involvement', hint: 'Log your time and expenses, and see what you are paid.', roles: ['co-facilitator', 'trainer', 'admin'] },
  { href: '/feedback', text: 'Feedback', hint: 'What learners said about the courses, and what was done.', roles: ['co-facilitator', 'trainer'] },
  { href: '/reports', text: 'Completion', hint: 'Who has started and finished each course, by team.', roles: ['trainer', 'admin'] },
  { href: '/admin/people', text: 'People', hint: 'Invite people and see who has access.', roles: ['trainer', 'admin'] },
  { href: '/admin/teams', text: 'Teams', hint: 'Staff teams and who is in them.', roles: ['trainer', 'admin'] },
  { href: '/admin/audit', text: 'Audit log', hint: 'Sign-ins, invitations and changes to access.', roles: ['admin'] },
  { href: '/preferences', text: 'Preferences', hint: 'Text size, colours, movement and font.', roles: ['learner', 'co-facilitator', 'trainer', 'admin'] },
];

export function homeRouter(options: { learnerDashboard: boolean }): express.Router {
  const router = express.Router();

  router.get('/', publicAccess, (req, res) => {
    const user = req.user;
    if (!user) {
      res.render('home/welcome');
      return;
    }
    const onlyLearner = user.roles.length === 1 && user.roles[0] === 'learner';
    if (onlyLearner && options.learnerDashboard) {
      res.redirect(303, '/dashboard');
      return;
    }
    const places = PLACES.filter((place) => place.roles.some((role) => user.roles.includes(role))).map(({ href, text, hint }) => ({ href, text, hint }));
    res.render('home/signed-in', { name: user.name, places });
  });

  return router;
}
