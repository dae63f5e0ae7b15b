/**
 * The certificate as a PDF (pdfkit): one calm A4 landscape page with the learner's name, the course and its
 * version, the completion date, the co-producers credited as they chose, and the verification code.
 * Set in Atkinson Hyperlegible Next (the product's readable typeface, from its npm package).
 */
import path from 'node:path';
import PDFDocument from 'pdfkit';

export interface CertificateCredit {
  displayName: string;
  contribution: string;
  role: string;
}

export interface CertificateContent {
  number: string;
  verificationCode: string;
  learnerName: string;
  courseTitle: string;
  version: number;
  completedAt: Date;
  credits: CertificateCredit[];
  /** Where someone can check the certificate, e.g. https://example.org/certificates/verify/ABCD-EFGH-JKLM */
  verifyUrl: string;
}

const fontDir = path.dirname(require.resolve('@fontsource/atkinson-hyperlegible-next/package.json'));
const regularFont = path.join(fontDir, 'files', 'atkinson-hyperlegible-next-latin-400-normal.woff');
const boldFont = path.join(fontDir, 'files', 'atkinson-hyperlegible-next-latin-700-normal.woff');

const ink = '#1f2a30';
const muted = '#4a5a62';
const accent = '#3c6e71';

export function formatCertificateDate(date: Date): string {
  return date.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
}

export function renderCertificatePdf(certificate: CertificateContent): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({
      size: 'A4',
      layout: 'landscape',
      margin: 56,
      info: {
        Title: `Certificate: ${certificate.courseTitle}`,
        Author: 'Coproduce',
        Subject: `Certificate ${certificate.number} for ${certificate.learnerName}`,
      },
    });
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);

    doc.registerFont('regular', regularFont);
    doc.registerFont('bold', boldFont);
    const width = doc.page.width - 112;

    // A quiet frame: one thin line, no ornament.
    doc.lineWidth(1.5).strokeColor(accent).rect(28, 28, doc.page.width - 56, doc.page.height - 56).stroke();

    doc.font('regular').fontSize(14).fillColor(muted).text('Certificate of completion', 56, 72, { width, align: 'center' });
    doc.moveDown(1.2);
    doc.font('bold').fontSize(30).fillColor(ink).text(certificate.learnerName, { width, align: 'center' });
    doc.moveDown(0.5);
    doc.font('regular').fontSize(14).fillColor(muted).text('completed the course', { width, align: 'center' });
    doc.moveDown(0.5);
    doc.font('bold').fontSize(22).fillColor(ink).text(certificate.courseTitle, { width, align: 'center' });
    doc.moveDown(0.4);
    doc
      .font('regular')
      .fontSize(13)
      .fillColor(muted)
      .text(`Version ${certificate.version}  ·  Completed on ${formatCertificateDate(certificate.completedAt)}`, {
        width,
        align: 'center',
      });

    if (certificate.credits.length > 0) {
      doc.moveDown(1.4);
      doc.font('bold').fontSize(12).fillColor(ink).text('Co-produced with', { width, align: 'center' });
      doc.moveDown(0.3);
      const names = certificate.credits.map((credit) => (credit.role ? `${credit.displayName}, ${credit.role}` : credit.displayName)).join('  ·  ');
      doc.font('regular').fontSize(11).fillColor(muted).text(names, { width, align: 'center' });
    }

    const footerY = doc.page.height - 112;
    doc.font('regular').fontSize(10).fillColor(muted);
    doc.text(`Certificate number ${certificate.number}`, 56, footerY, { width, align: 'left' });
    doc.text(`Verification code ${certificate.verificationCode}`, 56, footerY + 16, { width, align: 'left' });
    doc.text(`Check it at ${certificate.verifyUrl}`, 56, footerY + 32, { width, align: 'left' });
    doc.end();
  });
}
