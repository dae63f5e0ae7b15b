/**
 * Every setting of the app, read from the environment once at start and validated with zod.
 * This is the only file that reads `process.env`; everything else receives a `Config`.
 */
import path from 'node:path';
import { z } from 'zod';

export type NodeEnv = 'development' | 'production' | 'test';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  readonly nodeEnv: NodeEnv;
  readonly port: number;
  /** Address the server listens on; 127.0.0.1 unless HOST says otherwise. */
  readonly host: string;
  /** Absolute path of the data folder: embedded database, mail files, uploads. */
  readonly dataDir: string;
  /** A real MongoDB; when absent the embedded engine runs with its files under dataDir/db. */
  readonly mongodbUri?: string;
  readonly sessionSecret: string;
  /** Password of the demo accounts; when absent a random one is printed once at first start. */
  readonly demoPassword?: string;
  /** Demo accounts are never created in production. */
  readonly demoAccounts: boolean;
  /** SMTP server for mail; when absent mail is written as .eml files under dataDir/mail. */
  readonly smtpUrl?: string;
  /** Address people use to reach the app, used in links sent by email. No trailing slash. */
  readonly baseUrl: string;
  readonly logLevel: LogLevel;
  /** Express `trust proxy` setting: false, true, a hop count or a list of addresses. */
  readonly trustProxy: boolean | number | string;
  /** Mail sender address. */
  readonly mailFrom: string;
  /** Who becomes the first admin: invited at start while no admin exists (how production gets its first person). */
  readonly adminEmail?: string;
  /**
   * EJS templates compiled once and kept (true unless TEMPLATE_CACHE=false, which `npm run dev` sets so an edited
   * view shows at the next page). Not tied to NODE_ENV: `npm start` leaves NODE_ENV unset, and compiling every
   * template on every page made it several times slower.
   */
  readonly templateCache: boolean;
  /** Largest upload accepted per kind of block, in bytes (UPLOAD_MAX_<KIND>_MB). */
  readonly uploadLimits: UploadLimits;
}

/** The kinds of file people upload, each with its own allow-list (server/media/upload-kinds.ts) and size limit. */
// 'receipt': an expense receipt of paid involvement (a picture or a PDF), only ever sent as a download.
export const UPLOAD_KINDS = ['image', 'audio', 'video', 'document', 'captions', 'receipt'] as const;
export type UploadKind = (typeof UPLOAD_KINDS)[number];
export type UploadLimits = Readonly<Record<UploadKind, number>>;

/** Raised when a setting is missing or wrong; the message names the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const DEVELOPMENT_SESSION_SECRET = 'coproduce-development-only-secret-change-me';

const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().trim().min(1).default('./data'),
  MONGODB_URI: optionalText.pipe(
    z
      .string()
      .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
      .optional(),
  ),
  SESSION_SECRET: optionalText.pipe(z.string().min(16, 'must be at least 16 characters long').optional()),
  DEMO_PASSWORD: optionalText.pipe(z.string().min(8, 'must be at least 8 characters long').optional()),
  SMTP_URL: optionalText.pipe(z.string().regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://').optional()),
  BASE_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  TRUST_PROXY: optionalText,
  MAIL_FROM: optionalText.pipe(z.string().min(3).optional()),
  ADMIN_EMAIL: optionalText.pipe(z.email('must be an email address').optional()),
  TEMPLATE_CACHE: optionalText.pipe(z.enum(['true', 'false'], { error: 'must be true or false' }).optional()),
  UPLOAD_MAX_IMAGE_MB: z.coerce.number().positive().default(20),
  UPLOAD_MAX_AUDIO_MB: z.coerce.number().positive().default(200),
  UPLOAD_MAX_VIDEO_MB: z.coerce.number().positive().default(2048),
  UPLOAD_MAX_DOCUMENT_MB: z.coerce.number().positive().default(50),
  UPLOAD_MAX_CAPTIONS_MB: z.coerce.number().positive().default(1),
  UPLOAD_MAX_RECEIPT_MB: z.coerce.number().positive().default(10),
});

const MB = 1024 * 1024;

function parseTrustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

/** Reads and validates the settings. Throws a ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`);
    throw new ConfigError(`Some settings are not valid:\n  ${problems.join('\n  ')}`);
  }
  const settings = parsed.data;
  const production = settings.NODE_ENV === 'production';

  if (production && settings.SESSION_SECRET === undefined) {
    throw new ConfigError(
      'SESSION_SECRET: must be set when NODE_ENV=production (a long random string, for example from `openssl rand -hex 32`)',
    );
  }

  const config: Config = {
    nodeEnv: settings.NODE_ENV,
    port: settings.PORT,
    host: settings.HOST,
    dataDir: path.resolve(settings.DATA_DIR),
    mongodbUri: settings.MONGODB_URI,
    sessionSecret: settings.SESSION_SECRET ?? DEVELOPMENT_SESSION_SECRET,
    demoPassword: settings.DEMO_PASSWORD,
    demoAccounts: !production,
    smtpUrl: settings.SMTP_URL,
    baseUrl: (settings.BASE_URL ?? `http://localhost:${settings.PORT}`).replace(/\/+$/, ''),
    logLevel: settings.LOG_LEVEL ?? (settings.NODE_ENV === 'test' ? 'silent' : 'info'),
    trustProxy: parseTrustProxy(settings.TRUST_PROXY),
    mailFrom: settings.MAIL_FROM ?? 'Coproduce <no-reply@coproduce.invalid>',
    adminEmail: settings.ADMIN_EMAIL?.toLowerCase(),
    templateCache: settings.TEMPLATE_CACHE !== 'false',
    uploadLimits: Object.freeze({
      image: Math.round(settings.UPLOAD_MAX_IMAGE_MB * MB),
      audio: Math.round(settings.UPLOAD_MAX_AUDIO_MB * MB),
      video: Math.round(settings.UPLOAD_MAX_VIDEO_MB * MB),
      document: Math.round(settings.UPLOAD_MAX_DOCUMENT_MB * MB),
      captions: Math.round(settings.UPLOAD_MAX_CAPTIONS_MB * MB),
      receipt: Math.round(settings.UPLOAD_MAX_RECEIPT_MB * MB),
    }),
  };
  return Object.freeze(config);
}
