/**
 * Certificates.
 *   GET /certificates/:number.pdf        requireSignIn  the PDF, for its owner or a trainer of the owner's team
 *   GET /certificates/verify             publicAccess   a form to type a verification code
 *   GET /certificates/verify/:code       publicAccess   confirms name, course, version and date, and the course's
 *                                                       co-producers as each chooses to be credited today
 */
import express from 'express';
import { z } from 'zod';
import type { Services } from '../services';
import { publicAccess, requireSignIn } from '../web/access';
import { NotFound, Unauthorized } from '../errors';
import { formatCertificateDate } from './pdf';
import { normaliseVerificationCode } from './service';

const numberParam = z.string().regex(/^C-\d{4}-[0-9A-Z]{8}$/);

export function certificatesRouter({ certificates }: Pick<Services, 'certificates'>): express.Router {
  const router = express.Router();

  router.get('/verify', publicAccess, (req, res) => {
    const typed = typeof req.query.code === 'string' ? req.query.code.slice(0, 40) : '';
    if (typed) {
      const code = normaliseVerificationCode(typed);
      if (code) {
        res.redirect(303, `/certificates/verify/${code}`);
        return;
      }
    }
    res.status(typed ? 422 : 200).render('certificates/verify', {
      title: 'Check a certificate',
      result: null,
      code: typed,
      error: typed ? 'Enter the 12 letters and numbers from the certificate, for example ABCD-EFGH-JKMN' : null,
    });
  });

  router.get('/verify/:code', publicAccess, async (req, res) => {
    const code = String(req.params.code).slice(0, 40);
    const found = await certificates.verifyCertificate(code);
    res.status(found ? 200 : 404).render('certificates/verify', {
      title: 'Check a certificate',
      code,
      error: null,
      result: found
        ? {
            valid: true,
            learnerName: found.learnerName,
            courseTitle: found.courseTitle,
            version: found.version,
            completedLabel: formatCertificateDate(found.completedAt),
            credits: found.credits,
          }
        : { valid: false },
    });
  });

  router.get('/:number.pdf', requireSignIn, async (req, res) => {
    if (!req.user) throw new Unauthorized();
    const parsed = numberParam.safeParse(req.params.number);
    if (!parsed.success) throw new NotFound('There is no certificate with this number.');
    const certificate = await certificates.getCertificateForViewer(parsed.data, req.user.id);
    const pdf = await certificates.certificatePdf(certificate);
    res
      .type('application/pdf')
      .set('Content-Disposition', `inline; filename="certificate-${certificate.number}.pdf"`)
      .set('Cache-Control', 'private, no-store')
      .send(pdf);
  });

  return router;
}
