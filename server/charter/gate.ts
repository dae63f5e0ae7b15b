/**
 * The charter gate for authoring pages: a co-facilitator who has not accepted the current charter (they just
 * joined a team, or a new version was published) is sent to read it first, and comes back where they were going.
 *
 *   router.use(charterGate(services));      // in front of authoring pages, after their access guard
 *
 * Only page views (GET) are sent there: a form post or an autosave that is already on its way is let through, so
 * nobody's work is lost when a new version is published while they write; the next page they open asks.
 */
import express, { type RequestHandler } from 'express';
import type { Services } from '../services';
import { safeReturnPath } from '../web/access';

export function charterGate({ charter }: Pick<Services, 'charter'>): RequestHandler {
  return async (req, res, next) => {
    if (!req.user || req.method !== 'GET') {
      next();
      return;
    }
    if (await charter.mustAcceptCharter(req.user)) {
      const back = safeReturnPath(req.originalUrl);
      res.redirect(303, back ? `/charter?next=${encodeURIComponent(back)}` : '/charter');
      return;
    }
    next();
  };
}

/** The gate as a router, to mount in front of another feature's router at the same path (server/app.ts). */
export function charterGateRouter(services: Pick<Services, 'charter'>): express.Router {
  const router = express.Router();
  router.use(charterGate(services));
  return router;
}
