/**
 * The audit log.
 *   GET  /admin/audit                             admin            the audit log, filtered and paginated
 */
import express from 'express';
import { z } from 'zod';
import type { Services } from '../services';
import { requireRole } from '../web/access';
import { PAGE_SIZE, pageNumber, searchText } from './listing';
import { auditActionOptions, auditRows } from './views';

const auditQuery = z.object({ action: z.string().trim().max(80).optional().catch(undefined), q: searchText, page: pageNumber });

export function auditRouter({ audit }: Pick<Services, 'audit'>): express.Router {
  const router = express.Router();

  router.get('/audit', requireRole('admin'), async (req, res) => {
    const query = auditQuery.parse(req.query);
    const [list, actions] = await Promise.all([
      audit.listAuditEvents({ action: query.action || undefined, search: query.q, page: query.page, pageSize: PAGE_SIZE }),
      audit.listAuditActions(),
    ]);
    res.render('admin/audit', {
      filters: { action: query.action ?? '', q: query.q ?? '' },
      actionOptions: auditActionOptions(actions),
      events: auditRows(list),
      total: list.total,
      pagination: { page: list.page, pageCount: list.pageCount, path: '/admin/audit', query: { action: query.action, q: query.q } },
    });
  });

  return router;
}
