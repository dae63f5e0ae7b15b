/**
 * Structured logs with pino: one line per request (requestLogging), never a password, cookie or token.
 * One-time tokens travel in link paths (/invitations/<token>): those segments are masked, ordinary slugs are not.
 */
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import pino, { type Logger } from 'pino';
import type { LogLevel } from '../config';

declare module 'http' {
  interface IncomingMessage {
    /** This request's number in the log lines (`reqId`). */
    id?: number;
    /** The app's logger, set by requestLogging: handlers log through `requestLog(req)`. */
    appLogger?: Logger;
    /** The child logger of this request, made by `requestLog` the first time it is asked for. */
    requestLogger?: Logger;
  }
}

/**
 * A logger whose lines carry the request's `reqId`, made only when a handler logs. (A getter defined on each
 * request object would be a new accessor per request, which costs V8's fast property access on the request.)
 */
export function requestLog(req: IncomingMessage): Logger | undefined {
  if (!req.appLogger) return undefined;
  return (req.requestLogger ??= req.appLogger.child({ reqId: req.id }));
}

const REDACTED_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.passwordHash',
  '*.token',
  '*._csrf',
];

/**
 * The addresses whose next path segment is a secret (a one-time link's token), whatever it looks like, and the
 * query parameters that carry one.
 */
const SECRET_AFTER = /(\/(?:invitations|password-reset|account\/email)\/)[^/?#]+/g;
const SECRET_QUERY = /([?&](?:token|code|secret|key|password|_csrf)=)[^&#]*/gi;
/** A long run of random-looking characters: not an ordinary slug (lowercase words joined by hyphens). */
const OPAQUE = /([/=])([A-Za-z0-9_-]{32,})(?=[/?&#]|$)/g;
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * Masks secrets in URLs: the tokens of one-time links and of secret query parameters, and any other long value
 * that looks random (base64url: upper and lower case, underscores). Ordinary slugs stay readable, however long
 * (`/learn/person-centred-support/understanding-sensory-overload-and-shutdown/overload`).
 */
export function maskTokens(url: string): string {
  return url
    .replace(SECRET_AFTER, '$1[redacted]')
    .replace(SECRET_QUERY, '$1[redacted]')
    .replace(OPAQUE, (whole, lead: string, value: string) => (SLUG.test(value) || value === '[redacted]' ? whole : `${lead}[redacted]`));
}

/** `destination` is for tests that read the log lines; by default pino writes to standard output. */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  const options = { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}

function requestLevel(statusCode: number, aborted: boolean): 'error' | 'warn' | 'info' {
  return statusCode >= 500 ? 'error' : aborted || statusCode >= 400 ? 'warn' : 'info';
}

/**
 * One line per request when it ends, as pino-http wrote it: `reqId`, `req` { id, method, url (tokens masked) },
 * `res` { statusCode }, `responseTime`, at error for 5xx, warn for 4xx and aborted requests, info otherwise.
 * Written here rather than with pino-http, which made two child loggers per request (one serialising and
 * redacting the request) even when the line's level is off, as "info" is in production: a measurable share of
 * a small page's cost (bench/lesson.ts). Handlers log through `requestLog(req)`, a child made only when asked for.
 */
export function requestLogging(logger: Logger): RequestHandler {
  let lastId = 0;
  // The request line holds only fields made here and known safe (numbers, the method, the URL with its tokens
  // masked, a fixed message): it is written through a child without the redaction paths, which pino would otherwise
  // walk on every line (a measurable share of a small page's cost, bench/lesson.ts). Lines of handlers
  // (requestLog) keep the redaction. The child logs at every level: the app logger's level decides, below.
  const lines = logger.child({}, { redact: [], level: 'trace' });
  return (req, res, next) => {
    const id = ++lastId;
    const started = Date.now();
    req.id = id;
    req.appLogger = logger;
    if (req.url === '/healthz') {
      next();
      return;
    }
    // 'close' comes once for every response: after it was sent in full, or when the connection broke first
    // (the person went away, or a proxy gave up): that is logged as a warning, since nothing failed here.
    res.once('close', () => {
      const aborted = !res.writableFinished;
      const failed = res.statusCode >= 500;
      const level = requestLevel(res.statusCode, aborted);
      if (!logger.isLevelEnabled(level)) return;
      const line: Record<string, unknown> = {
        reqId: id,
        req: { id, method: req.method, url: maskTokens(req.originalUrl) },
        res: { statusCode: res.statusCode },
        responseTime: Date.now() - started,
      };
      if (failed) line.err = new Error(`failed with status code ${res.statusCode}`);
      lines[level](line, failed ? 'request errored' : aborted ? 'request aborted' : 'request completed');
    });
    next();
  };
}
