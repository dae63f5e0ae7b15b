/**
 * The errors services throw, below the web layer: they say what went wrong in the domain's terms and in plain
 * words for the person. `server/web/errors.ts` is the one place that turns them into a status and a page or JSON.
 * Nothing here knows about HTTP.
 */
export abstract class AppError extends Error {}

/** What was asked for does not exist, or the person may not know that it exists. */
export class NotFound extends AppError {
  override name = 'NotFound';
  constructor(message = 'We could not find this page. It may have moved, or the link may be wrong.') {
    super(message);
  }
}

/** The person is known but may not do this. */
export class Forbidden extends AppError {
  override name = 'Forbidden';
  constructor(message = 'Your account does not have access to this page. If you think it should, ask your trainer or an admin.') {
    super(message);
  }
}

/** The person must sign in first. */
export class Unauthorized extends AppError {
  override name = 'Unauthorized';
  constructor(message = 'You need to sign in to see this.') {
    super(message);
  }
}

/** Input that does not pass the rules. `fields` maps each field name to a plain-language message. */
export class Invalid extends AppError {
  override name = 'Invalid';
  constructor(
    readonly fields: Record<string, string>,
    message = 'Some answers need checking.',
  ) {
    super(message);
  }
}

/** The thing changed underneath the request (a duplicate, a stale version, a state that moved on). */
export class Conflict extends AppError {
  override name = 'Conflict';
  constructor(message = 'This could not be done because something has changed. Please go back and try again.') {
    super(message);
  }
}

/** Too many attempts in a short time. */
export class TooManyRequests extends AppError {
  override name = 'TooManyRequests';
  constructor(message = 'There have been too many attempts in a short time. Please wait 15 minutes and try again.') {
    super(message);
  }
}
