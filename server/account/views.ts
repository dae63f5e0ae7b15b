/**
 * The account page's view model: what it shows, already formatted.
 */
import type { FormValues } from '../web/forms';
import type { Account } from './service';

export interface CertificateRow {
  courseTitle: string;
  version: number;
  completed: string;
  /** "Expired 3 March 2027" or "Valid until 3 March 2027" under recertification; null when it does not expire. */
  validity: string | null;
  expired: boolean;
  pdfHref: string;
  verifyHref: string;
  verificationCode: string;
}

export interface AccountPage {
  title: string;
  name: string;
  email: string;
  values: FormValues;
  errors: Record<string, string>;
  certificates: CertificateRow[];
}

const dateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

export function accountPage(account: Account, options: { baseUrl: string; values?: FormValues; errors?: Record<string, string> }): AccountPage {
  const errors = options.errors ?? {};
  return {
    title: `${Object.keys(errors).length > 0 ? 'Error: ' : ''}My account`,
    name: account.name,
    email: account.email,
    values: { name: account.name, email: account.email, ...options.values },
    errors,
    certificates: account.certificates.map((certificate) => ({
      courseTitle: certificate.courseTitle,
      version: certificate.version,
      completed: dateFormat.format(certificate.completedAt),
      validity: certificate.expiresAt ? `${certificate.expired ? 'Expired' : 'Valid until'} ${dateFormat.format(certificate.expiresAt)}` : null,
      expired: certificate.expired,
      pdfHref: `/certificates/${certificate.number}.pdf`,
      // The full address, for sharing with whoever should check the certificate.
      verifyHref: `${options.baseUrl}/certificates/verify/${certificate.verificationCode}`,
      verificationCode: certificate.verificationCode,
    })),
  };
}
