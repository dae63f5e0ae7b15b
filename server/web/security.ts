/**
 * Security headers through helmet with a strict Content-Security-Policy: no inline style at all, and scripts only
 * from this site or carrying the per-request nonce (`res.locals.cspNonce`).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/** Stands in for the nonce while helmet writes the headers once; each response gets its own nonce in its place. */
const NONCE_SLOT = `nonce-slot-${randomUUID()}`;

function helmetPolicy(production: boolean): ReturnType<typeof helmet> {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", `'nonce-${NONCE_SLOT}'`],
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
        ...(production ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: production,
    referrerPolicy: { policy: 'same-origin' },
  });
}

/**
 * The headers helmet sets, read once by running it against a recording response. None of them depends on the
 * request (the policy above has no per-request directive but the nonce, which sits in NONCE_SLOT), so they are
 * the same for every response; helmet running its twelve middlewares and rebuilding the CSP text on every
 * request was a measurable share of a page's cost (bench/lesson.ts).
 */
function headersSetBy(policy: ReturnType<typeof helmet>): Array<[string, string]> {
  const headers = new Map<string, string>();
  const recorder = {
    setHeader(name: string, value: unknown) {
      headers.set(name, String(value));
      return recorder;
    },
    removeHeader(name: string) {
      headers.delete(name);
    },
    getHeader: (name: string) => headers.get(name),
  };
  let finished = false;
  policy({ method: 'GET', url: '/', headers: {} } as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error instanceof Error ? error : new Error(String(error));
    finished = true;
  });
  if (!finished) throw new Error('helmet did not finish synchronously: its headers cannot be computed once');
  return [...headers];
}

/**
 * Gives every response a fresh CSP nonce (`res.locals.cspNonce`: a random UUID, 122 random bits, drawn from
 * Node's buffered entropy) and helmet's security headers with that nonce in the policy.
 */
export function securityHeaders(options: { production: boolean }): RequestHandler {
  const headers = headersSetBy(helmetPolicy(options.production));
  const CSP = 'Content-Security-Policy';
  const fixed = headers.filter(([name]) => name !== CSP);
  const [beforeNonce, afterNonce, ...more] = (headers.find(([name]) => name === CSP)?.[1] ?? '').split(NONCE_SLOT);
  if (afterNonce === undefined || more.length > 0) throw new Error('The Content-Security-Policy must hold the nonce exactly once');
  return (_req, res, next) => {
    const nonce = randomUUID();
    res.locals.cspNonce = nonce;
    for (const [name, value] of fixed) res.setHeader(name, value);
    res.setHeader(CSP, beforeNonce + nonce + afterNonce);
    next();
  };
}
