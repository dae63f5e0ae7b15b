import { pdfText } from '../../test/learning/support/pdf-text';
import { renderCertificatePdf } from './pdf';

describe('renderCertificatePdf', () => {
  it('writes the name, course, version, date, credits and code into the PDF text', async () => {
    const pdf = await renderCertificatePdf({
      number: 'C-TEST-0001',
      verificationCode: 'ABCD-EFGH-JKLM',
      learnerName: 'Sam Rivers',
      courseTitle: 'Person-centred support',
      version: 2,
      completedAt: new Date('2026-11-25T10:00:00Z'),
      credits: [{ displayName: 'Kit (sample)', contribution: 'co-author', role: 'young autistic co-facilitator' }],
      verifyUrl: 'http://localhost:3000/certificates/verify/ABCD-EFGH-JKLM',
    });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const text = await pdfText(pdf);
    expect(text).toContain('Sam Rivers');
    expect(text).toContain('Person-centred support');
    expect(text).toContain('Version 2');
    expect(text).toContain('25 November 2026');
    expect(text).toContain('Kit (sample)');
    expect(text).toContain('ABCD-EFGH-JKLM');
  });
});
