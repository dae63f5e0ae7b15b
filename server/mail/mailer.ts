/**
 * Sending mail. With SMTP_URL set, mail goes to that SMTP server. Without it each message is written to
 * `$DATA_DIR/mail/<time>-<id>.eml` and logged, so invitations and resets work on a fresh machine
 * (open the .eml file, or read the link from the log line).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';

export interface MailMessage {
  to: string;
  subject: string;
  /** Plain text, the whole message. */
  text: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
  /** Where .eml files go when there is no SMTP server (undefined with SMTP). */
  readonly mailDir: string | undefined;
}

export function createMailer(options: { smtpUrl?: string; dataDir: string; from: string; logger: Logger }): Mailer {
  if (options.smtpUrl) {
    const transport = nodemailer.createTransport(options.smtpUrl);
    return {
      mailDir: undefined,
      async send(message) {
        await transport.sendMail({ from: options.from, ...message });
        options.logger.info({ to: message.to, subject: message.subject }, 'mail sent');
      },
    };
  }

  const mailDir = path.join(options.dataDir, 'mail');
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    mailDir,
    async send(message) {
      const info = await transport.sendMail({ from: options.from, ...message });
      await mkdir(mailDir, { recursive: true });
      const file = path.join(mailDir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}.eml`);
      await writeFile(file, info.message as Buffer);
      // The file holds the link; the log only says where it is, so tokens never reach the logs.
      options.logger.info({ to: message.to, subject: message.subject, file }, 'mail written to file (no SMTP_URL set)');
    },
  };
}
