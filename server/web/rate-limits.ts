/**
 * Rate limits on the doors people could hammer: sign-in, password reset and invitations.
 * Counts live in the process's memory (one app process per machine is the supported setup; with several
 * processes each keeps its own count, which only makes the limit looser, never stricter).
 */
import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { TooManyRequests } from '../errors';

const FIFTEEN_MINUTES = 15 * 60 * 1000;
const ONE_HOUR = 60 * 60 * 1000;

function clientKey(req: Request): string {
  return ipKeyGenerator(req.ip ?? 'unknown');
}

function submittedEmail(req: Request): string {
  const email: unknown = (req.body as Record<string, unknown> | undefined)?.email;
  return typeof email === 'string' ? email.trim().toLowerCase().slice(0, 320) : '';
}

function limiter(options: { windowMs: number; limit: number; message: string; key?: (req: Request) => string; onlyFailures?: boolean }): RequestHandler {
  return rateLimit({
    windowMs: options.windowMs,
    limit: options.limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skipSuccessfulRequests: options.onlyFailures ?? false,
    keyGenerator: options.key ?? clientKey,
    handler: (_req, _res, next) => next(new TooManyRequests(options.message)),
  });
}

export interface RateLimits {
  /** Failed sign-ins: per address and email, and per address overall. */
  signIn: RequestHandler[];
  passwordReset: RequestHandler;
  invitations: RequestHandler;
  /** Personal links to answer a call for contributions: the link is the key, so guessing is slowed down. */
  callLinks: RequestHandler;
}

/** Fresh counters for one app (each test app starts from zero). */
export function createRateLimits(): RateLimits {
  const signInMessage = 'There have been too many sign-in attempts. Please wait 15 minutes, then try again. If you have forgotten your password, you can reset it.';
  return {
    signIn: [
      limiter({ windowMs: FIFTEEN_MINUTES, limit: 10, message: signInMessage, onlyFailures: true, key: (req) => `${clientKey(req)}|${submittedEmail(req)}` }),
      limiter({ windowMs: FIFTEEN_MINUTES, limit: 100, message: signInMessage, onlyFailures: true }),
    ],
    passwordReset: limiter({
      windowMs: ONE_HOUR,
      limit: 10,
      message: 'There have been too many password reset requests. Please wait an hour, then try again.',
    }),
    invitations: limiter({
      windowMs: ONE_HOUR,
      limit: 60,
      message: 'Too many invitations have been sent in the last hour. Please wait an hour, then send the rest.',
    }),
    callLinks: limiter({
      windowMs: FIFTEEN_MINUTES,
      limit: 60,
      message: 'There have been too many visits to this page in a short time. Please wait 15 minutes, then try again.',
    }),
  };
}
