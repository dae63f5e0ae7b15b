/**
 * The one Multer factory every upload route uses: limits, storage, CSRF and a check of each file's real type
 * by its content (file-type), not by its name or the browser's claim.
 *
 *   router.post('/things/import', requireRole('admin'), ...context.upload.single('file', {
 *     accept: ['text/csv'], maxFileBytes: 200_000 }), handler)
 *
 * Forms must be `enctype="multipart/form-data"` with the hidden `_csrf` input BEFORE the file input: the token is
 * checked as soon as Multer reaches the first file, so nothing is stored for a forged request.
 * Put the route's guard on the route itself (not only `router.use(guard)`): a guard that runs before the route is
 * matched cannot see this middleware and refuses multipart posts whose token is not read yet (see ./access.ts).
 * Storage: memory by default (small files such as CSV); pass `storage` for large media. A given storage engine
 * is wrapped by `contentCheckedStorage`: the type is read from the first bytes of the stream, and a file of the
 * wrong type never reaches the storage. Nothing is buffered whole.
 */
import { PassThrough, type Readable } from 'node:stream';
import type { Request, RequestHandler } from 'express';
import multer from 'multer';
import FileType from 'file-type';
import { forgedRequestError } from './csrf';
import { Invalid } from '../errors';

/** Types that are text: checked as UTF-8 without NUL bytes (file-type cannot recognise text). */
const TEXT_TYPES = new Set(['text/csv', 'text/plain', 'text/vtt', 'text/markdown']);

export interface UploadOptions {
  /** Accepted types (MIME), as detected from the file's content. */
  accept: readonly string[];
  /** A function when the limit comes from a service, read per request (so a router is built without calling it). */
  maxFileBytes: number | (() => number);
  /** For `array`: how many files at most (default 10). */
  maxFiles?: number;
  storage?: multer.StorageEngine;
  /**
   * The given storage checks each file's type itself (the media service: an allow-list per kind chosen in the
   * form), so it is not wrapped by the check of `accept` here.
   */
  storageChecksContent?: boolean;
}

/** What a storage made by `storageThrough` keeps of a stored file on `req.file`. */
export interface StoredUpload {
  /** Identifies the stored file for `remove`, e.g. an asset id. */
  id: string;
  mimetype: string;
  size: number;
}

/**
 * A Multer storage engine that hands each file's stream to a service operation (for media: media.storeUpload),
 * which stores it and returns its id; `remove` undoes it when Multer gives up on the request after the file was
 * stored (another part too large, the client hung up).
 */
export function storageThrough(
  store: (req: Request, file: { stream: Readable; originalname: string; fieldname: string }) => Promise<StoredUpload>,
  remove: (req: Request, id: string) => Promise<void>,
): multer.StorageEngine {
  return {
    _handleFile(req, file, callback) {
      store(req, file).then(
        (stored) => callback(null, { filename: stored.id, mimetype: stored.mimetype, size: stored.size }),
        (error: unknown) => {
          // The rest of this file's bytes are not wanted; reading them lets Multer finish the request.
          if (!file.stream.destroyed) file.stream.resume();
          callback(error as Error);
        },
      );
    },
    _removeFile(req, file, callback) {
      const id = (file as { filename?: string }).filename;
      if (!id) {
        callback(null);
        return;
      }
      remove(req, id).then(() => callback(null), (error: unknown) => callback(error as Error));
    },
  };
}

export interface UploadFactory {
  single(field: string, options: UploadOptions): RequestHandler[];
  array(field: string, options: UploadOptions): RequestHandler[];
}

/** Marks the middleware that reads multipart bodies, so guards know this route checks a deferred CSRF token. */
const HANDLES_UPLOADS = Symbol('handles uploads');

export function handlesUploads(handler: unknown): boolean {
  return typeof handler === 'function' && HANDLES_UPLOADS in handler;
}

/** `complete` is false for the first bytes of a longer stream, which may end inside a character. */
function looksLikeText(buffer: Buffer, complete: boolean): boolean {
  if (buffer.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buffer, { stream: !complete });
    return true;
  } catch {
    return false;
  }
}

/** The type of a file held in memory, from its content. */
async function detectedType(file: Express.Multer.File, accept: readonly string[]): Promise<string | undefined> {
  const fromContent = await FileType.fromBuffer(file.buffer);
  if (fromContent) return fromContent.mime;
  // Unrecognised binary formats stay unknown; text is accepted only as one of the text types the route asked for.
  const textType = accept.find((type) => TEXT_TYPES.has(type));
  return textType && looksLikeText(file.buffer, true) ? textType : undefined;
}

/** Enough of the start of a file for file-type to recognise it. */
const SNIFF_BYTES = 4100;

/** Reads the first bytes of a stream, and gives back a stream that still holds all of it. */
function sniff(stream: Readable): Promise<{ head: Buffer; ended: boolean; whole: Readable }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const finish = (ended: boolean): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', reject);
      const head = Buffer.concat(chunks);
      const whole = new PassThrough();
      if (ended) {
        whole.end(head);
      } else {
        stream.pause();
        whole.write(head);
        stream.pipe(whole);
        stream.once('error', (error: Error) => whole.destroy(error));
      }
      resolve({ head, ended, whole });
    };
    const onEnd = (): void => finish(true);
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= SNIFF_BYTES) finish(false);
    };
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', reject);
  });
}

/**
 * Wraps a storage engine so each file's type is checked from its first bytes before the storage sees it.
 * The detected type replaces the browser's claim in `file.mimetype`.
 */
function contentCheckedStorage(inner: multer.StorageEngine, accept: readonly string[], field: string): multer.StorageEngine {
  return {
    _handleFile(req, file, callback) {
      sniff(file.stream).then(
        async ({ head, ended, whole }) => {
          const detected = (await FileType.fromBuffer(head))?.mime;
          const textType = detected ? undefined : accept.find((type) => TEXT_TYPES.has(type) && looksLikeText(head, ended));
          const type = detected ?? textType;
          if (!type || !accept.includes(type)) {
            whole.destroy();
            file.stream.resume();
            callback(new Invalid({ [field]: `"${file.originalname}" is not a file type we can use here.` }));
            return;
          }
          inner._handleFile(req, { ...file, stream: whole, mimetype: type }, (error, info) => callback(error, { ...info, mimetype: type }));
        },
        (error: unknown) => callback(error),
      );
    },
    _removeFile(req, file, callback) {
      inner._removeFile(req, file, callback);
    },
  };
}

function describeLimit(bytes: number): string {
  return bytes >= 1_000_000 ? `${Math.round(bytes / 100_000) / 10} MB` : `${Math.round(bytes / 1000)} KB`;
}

function uploadedFiles(req: Request): Express.Multer.File[] {
  if (req.file) return [req.file];
  if (Array.isArray(req.files)) return req.files;
  return [];
}

export function createUploadFactory(options: { validateCsrf: (req: Request) => boolean }): UploadFactory {
  function build(field: string, upload: UploadOptions, kind: 'single' | 'array'): RequestHandler[] {
    const maxFiles = kind === 'single' ? 1 : (upload.maxFiles ?? 10);
    const maxFileBytes = (): number => (typeof upload.maxFileBytes === 'function' ? upload.maxFileBytes() : upload.maxFileBytes);
    const instance = multer({
      storage: upload.storage
        ? upload.storageChecksContent
          ? upload.storage
          : contentCheckedStorage(upload.storage, upload.accept, field)
        : multer.memoryStorage(),
      // Multer reads limits given as a function once per request; its types know only the object.
      limits: ((): multer.Options['limits'] => ({ fileSize: maxFileBytes(), files: maxFiles, fields: 50, fieldSize: 100_000, parts: maxFiles + 50 })) as unknown as multer.Options['limits'],
      fileFilter: (req, _file, accept) => {
        // The fields before the file are parsed by now, including _csrf.
        if (!options.validateCsrf(req)) {
          accept(forgedRequestError());
          return;
        }
        accept(null, true);
      },
    });
    const parse = kind === 'single' ? instance.single(field) : instance.array(field, maxFiles);

    const parseWithFriendlyErrors: RequestHandler = (req, res, next) => {
      parse(req, res, (error?: unknown) => {
        if (error instanceof multer.MulterError) {
          const message =
            error.code === 'LIMIT_FILE_SIZE'
              ? `The file is too large. It can be up to ${describeLimit(maxFileBytes())}.`
              : error.code === 'LIMIT_FILE_COUNT' || error.code === 'LIMIT_UNEXPECTED_FILE'
                ? `Choose at most ${maxFiles} ${maxFiles === 1 ? 'file' : 'files'}.`
                : 'The upload could not be read. Please try again.';
          next(new Invalid({ [field]: message }));
          return;
        }
        next(error);
      });
    };

    // Forms without a file never reached the file filter: check the token now.
    const checkCsrf: RequestHandler = (req, _res, next) => {
      if (!options.validateCsrf(req)) {
        next(forgedRequestError());
        return;
      }
      req.csrfDeferred = false;
      next();
    };

    // Files held in memory are checked here; a given storage engine's files were checked on the way in.
    const checkContent: RequestHandler = async (req, _res, next) => {
      for (const file of uploadedFiles(req)) {
        const type = await detectedType(file, upload.accept);
        if (!type || !upload.accept.includes(type)) {
          throw new Invalid({ [field]: `"${file.originalname}" is not a file type we can use here.` });
        }
        file.mimetype = type;
      }
      next();
    };

    const parseMarked = Object.assign(parseWithFriendlyErrors, { [HANDLES_UPLOADS]: true });
    return upload.storage ? [parseMarked, checkCsrf] : [parseMarked, checkCsrf, checkContent];
  }

  return {
    single: (field, upload) => build(field, upload, 'single'),
    array: (field, upload) => build(field, upload, 'array'),
  };
}
