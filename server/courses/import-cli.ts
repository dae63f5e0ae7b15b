/**
 * `npm run content:import [-- --dry-run] [-- --dir content/courses]`
 * Checks and imports the course folders. A dry run only reads the files (no database needed, so it also works
 * while the app is running). Otherwise it connects to MONGODB_URI, or opens the embedded database under
 * $DATA_DIR/db as `npm start` does. Exit code 1 when any course has problems.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, loadConfig } from '../config';
import { connectDatabase, disconnectDatabase } from '../db/connection';
import { startEmbeddedMongo } from '../db/embedded/index';
import { createMediaService, createServableAssetCache, mediaStorageFor } from '../media/service';
import { createCourseCaches, createCoursesService } from './service';
import { courseFolders, createCourseImport, describeImport, type ImportReport } from './import';
import { formatProblem, parseCourseDirectory } from './parse';
import { PROJECT_ROOT } from '../project-root';


interface Arguments {
  dryRun: boolean;
  dir: string;
}

/**
 * `--publish` used to publish a changed course at once. A changed course's draft is now published only on its
 * review page, once a trainer and a co-facilitator with lived experience have approved it (two-key publish), so
 * the option is refused with that explanation rather than ignored.
 */
const PUBLISH_REFUSED =
  '--publish is no longer available: a changed course becomes a draft, and is published on its review page ' +
  '(/manage/courses/<course>/review) once a trainer and a co-facilitator with lived experience have approved it.\n';

function readArguments(argv: string[]): Arguments {
  const args: Arguments = { dryRun: false, dir: path.join(PROJECT_ROOT, 'content', 'courses') };
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index];
    if (arg === '--dry-run') args.dryRun = true;
    else if (arg === '--publish') {
      process.stderr.write(PUBLISH_REFUSED);
      process.exit(2);
    }
    else if (arg === '--dir' && argv[index + 1]) {
      args.dir = path.resolve(argv[index + 1] ?? '');
      index += 1;
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write('Usage: npm run content:import [-- --dry-run] [-- --dir DIR]\n');
      process.exit(0);
    } else {
      process.stderr.write(`Unknown option: ${arg}. Use --dry-run or --dir DIR.\n`);
      process.exit(2);
    }
  }
  return args;
}

/** Reads and checks every course folder without touching a database. */
async function checkOnly(dir: string): Promise<string[]> {
  const folders = await courseFolders(dir);
  const lines: string[] = [];
  let failed = false;
  for (const folder of folders) {
    const parsed = await parseCourseDirectory(folder);
    if (parsed.problems.length === 0) {
      lines.push(`${parsed.slug}: valid (dry run: nothing written)`);
    } else {
      failed = true;
      lines.push(`${parsed.slug}: has problems (dry run: nothing written)`);
      for (const problem of parsed.problems) lines.push(`  ${formatProblem(problem)}`);
    }
  }
  if (folders.length === 0) lines.push(`No course folders found in ${dir}.`);
  if (failed) process.exitCode = 1;
  return lines;
}

async function importIntoDatabase(args: Arguments): Promise<ImportReport> {
  const config = loadConfig();
  let stopEngine: (() => Promise<void>) | undefined;
  if (config.mongodbUri) {
    await connectDatabase(config.mongodbUri);
  } else {
    const dbPath = path.join(config.dataDir, 'db');
    await mkdir(dbPath, { recursive: true });
    try {
      const engine = await startEmbeddedMongo({ dbPath, port: 0 });
      stopEngine = () => engine.stop();
      await connectDatabase(engine.uri);
    } catch (error) {
      throw new Error(
        `Could not open the embedded database in ${dbPath}. If the app is running, stop it first (it imports the courses ` +
          `when it starts), or set MONGODB_URI. (${error instanceof Error ? error.message : String(error)})`,
      );
    }
  }
  try {
    // This command is its own small composition root: only the services an import uses.
    const courses = createCoursesService({ caches: createCourseCaches() });
    const media = createMediaService({ storage: mediaStorageFor(config), servableAssets: createServableAssetCache() });
    return await createCourseImport({ courses, media }).importCourses({ dir: args.dir });
  } finally {
    await disconnectDatabase();
    await stopEngine?.();
  }
}

async function main(): Promise<void> {
  const args = readArguments(process.argv.slice(2));
  if (args.dryRun) {
    for (const line of await checkOnly(args.dir)) process.stdout.write(`${line}\n`);
    return;
  }
  const report = await importIntoDatabase(args);
  for (const line of describeImport(report)) process.stdout.write(`${line}\n`);
  if (!report.ok) process.exitCode = 1;
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
  else process.stderr.write(`Import failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
