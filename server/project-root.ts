import path from 'node:path';

/**
 * The project folder (where views/, public/ and content/ live), whether the code runs compiled from dist/server
 * or from the TypeScript sources in server/ (tests, `npm run dev`).
 */
export const PROJECT_ROOT = ((): string => {
  const serverDir = __dirname;
  const parent = path.resolve(serverDir, '..');
  return path.basename(parent) === 'dist' ? path.resolve(parent, '..') : parent;
})();
