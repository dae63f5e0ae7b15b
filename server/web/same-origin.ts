/**
 * Refuses state-changing requests sent from another site, before any body is read or any handler runs, in
 * addition to the CSRF token (./csrf.ts): a second lock that does not depend on the token staying secret.
 *
 * Browsers say where a request comes from in two headers:
 *   - `Origin` on every POST (and other unsafe methods): it must be one of ours. `Origin: null` (a sandboxed
 *     frame, a redirect across sites, a `data:` page) is never ours.
 *   - `Sec-Fetch-Site` (Fetch Metadata): `cross-site` and `same-site` (a sibling subdomain, which may belong to
 *     someone else) are refused; `same-origin` and `none` (the person typed or bookmarked it) pass.
 * A request with neither header (an old browser, a script such as curl) still needs its CSRF token, as before.
 *
 * Our origins: the origin of BASE_URL (what people use), and the origin the request itself was addressed to
 * (`req.protocol` and `req.host`, which Express takes from X-Forwarded-Proto/Host only when TRUST_PROXY says
 * the proxy is trusted). A page from another site cannot make a browser send our Host with its own Origin.
 */
import type { Request, RequestHandler } from 'express';
import { Forbidden } from '../errors';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const REFUSED_FETCH_SITES = new Set(['cross-site', 'same-site']);

export const CROSS_SITE_MESSAGE =
  'This form was sent from another website, so we did not act on it. If you meant to do this, go back to Coproduce and send the form from there.';

/** `scheme://host[:port]` of a URL, lowercased, default ports left out; undefined when it is not a URL. */
function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.origin === 'null' ? undefined : parsed.origin.toLowerCase();
  } catch {
    return undefined;
  }
}

/** The origin this request was addressed to, as the browser saw it (through a trusted proxy when there is one). */
function requestOrigin(req: Request): string | undefined {
  const host = req.host;
  return host ? originOf(`${req.protocol}://${host}`) : undefined;
}

/** True when the request comes from a page of another site (see above). */
export function isCrossSiteRequest(req: Request, ownOrigin: string): boolean {
  const origin = req.headers.origin;
  if (origin !== undefined) {
    const normalised = originOf(origin);
    if (normalised === undefined) return true;
    if (normalised !== ownOrigin && normalised !== requestOrigin(req)) return true;
  }
  const fetchSite = req.headers['sec-fetch-site'];
  return typeof fetchSite === 'string' && REFUSED_FETCH_SITES.has(fetchSite.toLowerCase());
}

/** The middleware: 403 for an unsafe method sent from another site. `baseUrl` is BASE_URL. */
export function refuseCrossSiteRequests(options: { baseUrl: string }): RequestHandler {
  const ownOrigin = originOf(options.baseUrl);
  if (ownOrigin === undefined) throw new Error(`BASE_URL is not a URL: ${options.baseUrl}`);
  return (req, _res, next) => {
    if (SAFE_METHODS.has(req.method) || !isCrossSiteRequest(req, ownOrigin)) {
      next();
      return;
    }
    next(new Forbidden(CROSS_SITE_MESSAGE));
  };
}
