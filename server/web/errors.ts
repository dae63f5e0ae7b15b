/**
 * The one error handler: it turns the typed errors of ../errors.ts (and libraries' errors) into a calm HTML page
 * (views/errors/error.ejs) or JSON, chosen by the Accept header. A stack trace is never shown in production.
 */
import ejs from 'ejs';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { AppError, Conflict, Forbidden, Invalid, NotFound, TooManyRequests, Unauthorized } from '../errors';
import { requestLog } from './logging';

/** Status and heading of each typed error: the only place that knows how a domain error looks on the web. */
const ERROR_PAGES: Array<[new (...args: never[]) => AppError, number, string]> = [
  [NotFound, 404, 'Page not found'],
  [Forbidden, 403, 'You cannot open this page'],
  [Unauthorized, 401, 'Please sign in'],
  [Invalid, 422, 'Some answers need checking'],
  [Conflict, 409, 'This has changed'],
  [TooManyRequests, 429, 'Please wait a little'],
];

/** True when the client asked for JSON rather than a page. */
export function wantsJson(req: Request): boolean {
  return req.accepts(['html', 'json']) === 'json';
}

interface ErrorView {
  status: number;
  title: string;
  message: string;
  fields?: Record<string, string>;
  code?: string;
}

/** Errors thrown by libraries carry `status`/`statusCode` and sometimes `code` (body too large, bad CSRF token). */
function describeLibraryError(error: unknown): ErrorView | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = error as { status?: unknown; statusCode?: unknown; code?: unknown; type?: unknown };
  const status = typeof candidate.status === 'number' ? candidate.status : candidate.statusCode;
  if (candidate.code === 'EBADCSRFTOKEN') {
    return {
      status: 403,
      title: 'This form has expired',
      message: 'For your safety this form can only be sent once and from this site. Please go back, reload the page and try again.',
      code: 'csrf',
    };
  }
  if (candidate.type === 'entity.too.large' || candidate.code === 'LIMIT_FILE_SIZE') {
    return { status: 413, title: 'This is too large', message: 'What you sent is larger than we can accept. Please send something smaller.' };
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, title: 'This request could not be used', message: 'Something in this request was not right. Please go back and try again.' };
  }
  return undefined;
}

function describe(error: unknown): ErrorView {
  const page = error instanceof AppError ? ERROR_PAGES.find(([kind]) => error instanceof kind) : undefined;
  if (page && error instanceof AppError) {
    return {
      status: page[1],
      title: page[2],
      message: error.message,
      ...(error instanceof Invalid ? { fields: error.fields } : {}),
    };
  }
  return (
    describeLibraryError(error) ?? {
      status: 500,
      title: 'Something went wrong',
      message: 'Something went wrong on our side. Nothing you did caused this. Please try again in a few minutes.',
    }
  );
}

/**
 * Headers a handler may have set for the answer it meant to give (a file's type, name, long-lived caching):
 * an error page must not go out with them, or a browser would keep a 404 for a year as a video.
 */
const ANSWER_HEADERS = ['Content-Type', 'Content-Disposition', 'Content-Length', 'Content-Range', 'Cache-Control', 'ETag', 'Last-Modified', 'Accept-Ranges'];

function renderError(req: Request, res: Response, view: ErrorView, stack: string | undefined): void {
  for (const header of ANSWER_HEADERS) res.removeHeader(header);
  if (req.user) res.setHeader('Cache-Control', 'no-store');
  res.status(view.status);
  if (wantsJson(req)) {
    res.json({ error: { status: view.status, message: view.message, ...(view.fields ? { fields: view.fields } : {}) } });
    return;
  }
  res.render('errors/error', { ...view, stack }, (renderFailure: Error | null, html?: string) => {
    if (renderFailure || html === undefined) {
      // The page itself could not be drawn (for example the layout failed): send a minimal page instead.
      requestLog(req)?.error({ err: renderFailure }, 'error page could not be rendered');
      const [title, message] = [ejs.escapeXML(view.title), ejs.escapeXML(view.message)];
      res.type('html').send(`<!doctype html><html lang="en"><title>${title}</title><h1>${title}</h1><p>${message}</p></html>`);
      return;
    }
    res.send(html);
  });
}

/** Last handler in the chain: nothing else matched. */
export const notFoundHandler: RequestHandler = (_req, _res, next) => {
  next(new NotFound());
};

/** The single error handler. `showStack` is false in production. */
export function errorHandler(options: { showStack: boolean }): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const view = describe(error);
    if (view.status >= 500) {
      requestLog(req)?.error({ err: error }, 'request failed');
    } else {
      requestLog(req)?.info({ status: view.status, reason: error instanceof Error ? error.name : 'unknown' }, 'request refused');
    }
    const stack = options.showStack && view.status >= 500 && error instanceof Error ? error.stack : undefined;
    renderError(req, res, view, stack);
  };
}
