/**
 * Serves the two self-hosted fonts straight from their npm packages, so nothing is copied into public/ by hand:
 *   /fonts/atkinson-hyperlegible-next/<file>.woff2   the default font
 *   /fonts/opendyslexic/<file>.woff2                 the readable font people can choose in their preferences
 * (mounted at /fonts: `app.use('/fonts', fontsRouter())`, so other requests pass it with one path test).
 * Only woff2 files are served; the file names carry the font version, so they are cached for a year.
 */
import path from 'node:path';
import express, { type RequestHandler } from 'express';

/** The npm packages that hold the fonts, by the URL folder they are served under. */
const FONT_PACKAGES: Readonly<Record<string, string>> = {
  'atkinson-hyperlegible-next': '@fontsource/atkinson-hyperlegible-next',
  opendyslexic: '@fontsource/opendyslexic',
};

function filesFolder(packageName: string): string {
  return path.join(path.dirname(require.resolve(`${packageName}/package.json`)), 'files');
}

const onlyWoff2: RequestHandler = (req, res, next) => {
  if (!req.path.endsWith('.woff2')) {
    res.status(404).type('text/plain').send('Not found');
    return;
  }
  next();
};

export function fontsRouter(): express.Router {
  const router = express.Router();
  for (const [folder, packageName] of Object.entries(FONT_PACKAGES)) {
    router.use(
      `/${folder}`,
      onlyWoff2,
      express.static(filesFolder(packageName), {
        index: false,
        fallthrough: false,
        immutable: true,
        maxAge: '365d',
      }),
    );
  }
  return router;
}
