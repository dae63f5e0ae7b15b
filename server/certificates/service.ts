/**
 * Certificates: issued once per completed enrolment, opened as a PDF by their owner (and the owner's
 * trainers), and confirmed publicly by verification code with nothing more than name, course, version and date.
 * Made once by the composition root (../services.ts).
 */
import { randomInt } from 'node:crypto';
import { Types } from 'mongoose';
import { NotFound } from '../errors';
import { Certificate, type CertificateRecord } from './model';
import { renderCertificatePdf, type CertificateCredit } from './pdf';
import { isDuplicateKey } from '../db/mongo-errors';
import type { TeamsService } from '../teams/service';

/** Crockford's base32: no I, L, O or U, so a code read aloud or typed is hard to get wrong. */
const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function randomCode(length: number): string {
  let code = '';
  for (let i = 0; i < length; i += 1) code += alphabet[randomInt(alphabet.length)];
  return code;
}

export function newCertificateNumber(now = new Date()): string {
  return `C-${now.getUTCFullYear()}-${randomCode(8)}`;
}

/** 60 random bits, in three groups of four: not guessable, easy to read out. */
export function newVerificationCode(): string {
  const code = randomCode(12);
  return `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8)}`;
}

/** Accepts a code as people type it: any case, with or without dashes or spaces. */
export function normaliseVerificationCode(input: string): string | null {
  const plain = input.toUpperCase().replace(/[\s-]/g, '');
  if (!/^[0-9A-HJKMNP-TV-Z]{12}$/.test(plain)) return null;
  return `${plain.slice(0, 4)}-${plain.slice(4, 8)}-${plain.slice(8)}`;
}

export interface IssueCertificateInput {
  enrolmentId: string;
  /** The round of the enrolment (1 unless the learner took the course again after a certificate expired). */
  round?: number;
  learnerId: string;
  learnerName: string;
  courseId: string;
  courseSlug: string;
  courseTitle: string;
  version: number;
  completedAt: Date;
}

export interface CertificatesServiceDeps {
  teams: Pick<TeamsService, 'looksAfter'>;
  /**
   * The co-producers of a course version, resolved when a certificate is shown (credits/service.ts
   * coProducersOf): a certificate never keeps a copy, so a changed or withdrawn credit shows at once.
   */
  coProducersOf: (courseId: string, version: number) => Promise<CertificateCredit[]>;
  /** The address people use, for the verify link printed on each certificate. */
  baseUrl: string;
}

/** Exactly what the public may confirm, and nothing else. */
export interface VerifiedCertificate {
  learnerName: string;
  courseTitle: string;
  version: number;
  completedAt: Date;
  /** The co-producers as each chose to be credited today. */
  credits: CertificateCredit[];
}

export interface OwnCertificate {
  number: string;
  course: Types.ObjectId;
  courseTitle: string;
  version: number;
  completedAt: Date;
  verificationCode: string;
}

export function createCertificatesService({ teams, baseUrl, coProducersOf }: CertificatesServiceDeps) {
  /**
   * Issues the enrolment's certificate, or returns the one already issued: the unique index on the enrolment
   * makes this safe when two requests finish the same course at once.
   */
  async function issueCertificate(input: IssueCertificateInput): Promise<CertificateRecord> {
    for (let tries = 0; tries < 3; tries += 1) {
      try {
        const created = await Certificate.create({
          number: newCertificateNumber(input.completedAt),
          verificationCode: newVerificationCode(),
          enrolment: new Types.ObjectId(input.enrolmentId),
          round: input.round ?? 1,
          learner: new Types.ObjectId(input.learnerId),
          learnerName: input.learnerName,
          course: new Types.ObjectId(input.courseId),
          courseSlug: input.courseSlug,
          courseTitle: input.courseTitle,
          version: input.version,
          completedAt: input.completedAt,
        });
        return created.toObject() as CertificateRecord;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        const round = input.round ?? 1;
        const existing = await Certificate.findOne({ enrolment: input.enrolmentId, ...(round === 1 ? { round: { $in: [1, null] } } : { round }) }).lean<CertificateRecord>();
        if (existing) return existing;
        // Otherwise a number or code collided (vanishingly rare): draw again.
      }
    }
    throw new Error('Could not issue a certificate number');
  }

  /** The certificate for its owner or their trainer; anyone else is told it does not exist. */
  async function getCertificateForViewer(number: string, viewerId: string): Promise<CertificateRecord> {
    const certificate = await Certificate.findOne({ number: String(number) }).lean<CertificateRecord>();
    if (!certificate) throw new NotFound('There is no certificate with this number.');
    const learnerId = certificate.learner.toString();
    if (learnerId !== viewerId && !(await teams.looksAfter(viewerId, learnerId))) {
      // The same answer as a missing one, so numbers cannot be probed.
      throw new NotFound('There is no certificate with this number.');
    }
    return certificate;
  }

  /** A learner's own certificates, newest first (their account page). */
  async function listCertificatesOf(learnerId: string): Promise<OwnCertificate[]> {
    if (!Types.ObjectId.isValid(learnerId)) return [];
    return Certificate.find({ learner: new Types.ObjectId(learnerId) }, { _id: 0, number: 1, course: 1, courseTitle: 1, version: 1, completedAt: 1, verificationCode: 1 })
      .sort({ completedAt: -1 })
      .lean<OwnCertificate[]>();
  }

  async function certificatePdf(certificate: CertificateRecord): Promise<Buffer> {
    return renderCertificatePdf({
      number: certificate.number,
      verificationCode: certificate.verificationCode,
      learnerName: certificate.learnerName,
      courseTitle: certificate.courseTitle,
      version: certificate.version,
      completedAt: certificate.completedAt,
      credits: await coProducersOf(certificate.course.toString(), certificate.version),
      verifyUrl: `${baseUrl.replace(/\/$/, '')}/certificates/verify/${certificate.verificationCode}`,
    });
  }

  async function verifyCertificate(code: string): Promise<VerifiedCertificate | null> {
    const normalised = normaliseVerificationCode(code);
    if (!normalised) return null;
    const found = await Certificate.findOne(
      { verificationCode: normalised },
      { learnerName: 1, courseTitle: 1, version: 1, completedAt: 1, course: 1 },
    ).lean<Pick<CertificateRecord, 'learnerName' | 'courseTitle' | 'version' | 'completedAt' | 'course'>>();
    if (!found) return null;
    return {
      learnerName: found.learnerName,
      courseTitle: found.courseTitle,
      version: found.version,
      completedAt: found.completedAt,
      credits: await coProducersOf(found.course.toString(), found.version),
    };
  }

  return {
    listCertificatesOf,
    issueCertificate,
    getCertificateForViewer,
    certificatePdf,
    verifyCertificate,
  };
}

export type CertificatesService = ReturnType<typeof createCertificatesService>;
