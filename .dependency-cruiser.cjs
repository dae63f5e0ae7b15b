/**
 * The shape of the house, checked by `npm run depcheck` (part of `npm test`) with dependency-cruiser, and by
 * test/foundation/dependency-rules.test.ts against a small fixture, which proves each rule can fail.
 * Paths are relative to the folder cruised from (the repository root, or the fixture's root).
 */
const FEATURE_OR_APP = '^server/(?!web/|db/)[^/]+/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycles',
      comment:
        'No cycle between folders under server/: a feature uses another through its service, and two folders that ' +
        'need each other share a pure helper that lives where both can import it (media/types.ts, courses/types.ts).',
      severity: 'error',
      scope: 'folder',
      from: { path: '^server/', pathNot: '^server/db/embedded/' },
      to: { path: '^server/', circular: true },
    },
    {
      name: 'engine-folder-cycles',
      comment:
        'The same inside the embedded engine: its layers (wire -> commands -> query -> catalog -> storage) stand ' +
        'on bson/ (values, the mingo context, limits), which every layer may use.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^server/db/embedded/' },
      to: { path: '^server/db/embedded/', circular: true },
    },
    {
      name: 'no-file-cycles',
      comment: 'No cycle between files under server/ either.',
      severity: 'error',
      from: { path: '^server/' },
      to: { path: '^server/', circular: true },
    },
    {
      name: 'web-below-features',
      comment:
        'server/web/ is what every request passes through: it knows no feature (features import it). Shapes it ' +
        'needs about people and errors live below it (server/people.ts, server/errors.ts).',
      severity: 'error',
      from: { path: '^server/web/' },
      to: { path: FEATURE_OR_APP },
    },
    {
      name: 'db-below-features',
      comment: 'server/db/ (the connection, the engine) knows no feature and no web code.',
      severity: 'error',
      from: { path: '^server/db/' },
      to: { path: '^server/(?!db/)[^/]+/' },
    },
    {
      name: 'engine-is-its-own-house',
      comment: 'The embedded engine never imports the app: not even server/db/ around it, nor a file at server/.',
      severity: 'error',
      from: { path: '^server/db/embedded/' },
      to: { path: '^server/', pathNot: '^server/db/embedded/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Tests may use anything (test/support builds the whole app); the rules are about the app's own code.
    exclude: { path: ['(^|/)(dist|node_modules)/', '\\.test\\.ts$', '^test/'] },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
