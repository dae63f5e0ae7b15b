/**
 * Structured logs with pino: one line per request (requestLogging), never a password, cookie or token.
 * One-time tokens travel in link paths (/invitations/<token>), so long opaque path segments are masked too.
 */
import type { RequestHandler } from 'express';
import pino, { type Logger } from 'pino';
import type { LogLevel } from '../config';

declare module 'http' {
  interface IncomingMessage {
    /** This request's number in the log lines (`reqId`). */
    id?: number;
    /** A logger whose lines carry this request's `reqId`. */
    log?: Logger;
  }
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

/** Masks one-time tokens in URLs: any path segment or query value of 32+ opaque characters. */
export function maskTokens(url: string): string {
  return url.replace(/([/=])[A-Za-z0-9_-]{32,}/g, '$1[redacted]');
}

/** `destination` is for tests that read the log lines; by default pino writes to standard output. */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  const options = { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}

function requestLevel(statusCode: number, failed: boolean): 'error' | 'warn' | 'info' {
  return failed || statusCode >= 500 ? 'error' : statusCode >= 400 ? 'warn' : 'info';
}

/**
 * One line per request when it ends, as pino-http wrote it: `reqId`, `req` { id, method, url (tokens masked) },
 * `res` { statusCode }, `responseTime`, at error for failures and 5xx, warn for 4xx, info otherwise.
 * Written here rather than with pino-http, which made two child loggers per request (one serialising and
 * redacting the request) even when the line's level is off, as "info" is in production: a measurable share of
 * a small page's cost (bench/lesson.ts). Handlers log through `req.log`, a child made only when asked for.
 */
export function requestLogging(logger: Logger): RequestHandler {
  let lastId = 0;
  return (req, res, next) => {
    const id = ++lastId;
    const started = Date.now();
    req.id = id;
    let requestLogger: Logger | undefined;
    Object.defineProperty(req, 'log', {
      configurable: true,
      enumerable: false,
      get: () => (requestLogger ??= logger.child({ reqId: id })),
    });
    if (req.url === '/healthz') {
      next();
      return;
    }
    const finished = (error?: Error): void => {
      res.removeListener('close', finished);
      res.removeListener('finish', finished);
      res.removeListener('error', finished);
      const failed = error !== undefined || res.statusCode >= 500;
      const level = requestLevel(res.statusCode, failed);
      if (!logger.isLevelEnabled(level)) return;
      const line: Record<string, unknown> = {
        reqId: id,
        req: { id, method: req.method, url: maskTokens(req.originalUrl) },
        res: { statusCode: res.statusCode },
        responseTime: Date.now() - started,
      };
      if (failed) line.err = error ?? new Error(`failed with status code ${res.statusCode}`);
      logger[level](line, failed ? 'request errored' : 'request completed');
    };
    res.on('close', finished);
    res.on('finish', finished);
    res.on('error', finished);
    next();
  };
}
