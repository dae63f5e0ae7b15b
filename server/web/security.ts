/**
 * Security headers through helmet with a strict Content-Security-Policy: no inline style at all, and scripts only
 * from this site or carrying the per-request nonce (`res.locals.cspNonce`).
 */
import { randomBytes } from 'node:crypto';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/** Gives every request a fresh nonce, before helmet reads it. */
export const cspNonce: RequestHandler = (_req, res, next) => {
  res.locals.cspNonce = randomBytes(16).toString('base64');
  next();
};

export function securityHeaders(options: { production: boolean }): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", (_req, res) => `'nonce-${String((res as unknown as { locals: { cspNonce: string } }).locals.cspNonce)}'`],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        mediaSrc: ["'self'", 'blob:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        scriptSrcAttr: ["'none'"],
        // Browsers treat http://localhost as secure already; elsewhere only production sits behind HTTPS.
        ...(options.production ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    // Only meaningful over HTTPS, which production has and a laptop does not.
    strictTransportSecurity: options.production,
    referrerPolicy: { policy: 'same-origin' },
  });
}
