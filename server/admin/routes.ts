/**
 * Admin pages, under /admin: people and invitations (./people-routes.ts), teams (./teams-routes.ts) and the
 * audit log (./audit-routes.ts). The rules (who may invite whom, unique team names, only admins add trainers,
 * the audit events) live in the services; these routers read forms and render pages.
 *   GET  /admin                                   trainer, admin   -> /admin/people
 */
import express from 'express';
import type { Services } from '../services';
import { requireRole } from '../web/access';
import type { WebTools } from '../web/feature-context';
import { auditRouter } from './audit-routes';
import { peopleRouter } from './people-routes';
import { teamsRouter } from './teams-routes';

export function adminRouter(services: Services, web: Pick<WebTools, 'rateLimits' | 'upload'>): express.Router {
  const router = express.Router();
  router.get('/', requireRole('trainer', 'admin'), (_req, res) => {
    res.redirect(303, '/admin/people');
  });
  router.use(peopleRouter(services, web));
  router.use(teamsRouter(services));
  router.use(auditRouter(services));
  return router;
}
