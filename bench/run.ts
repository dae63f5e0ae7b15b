/**
 * `npm run bench`: every benchmark in one run. Each prints its figures as ratios to a baseline measured in the
 * same run (absolute numbers vary between machines; ratios are what we compare).
 * `npm run bench -- NAME` runs one of them.
 */
import { runEmbeddedBench } from './embedded';
import { runFootprintBench } from './footprint';
import { runLessonBench, runLessonOneCoreBench } from './lesson';
import { runUploadBench } from './uploads';
import { runReportsBench } from './reports';

const benches: Record<string, () => Promise<unknown>> = {
  embedded: () => runEmbeddedBench(),
  lesson: () => runLessonBench(),
  'lesson-one-core': () => runLessonOneCoreBench(),
  footprint: () => runFootprintBench({ documents: 200_000 }),
  'footprint-1m': () => runFootprintBench({ documents: 1_000_000 }),
  uploads: () => runUploadBench(),
  reports: () => runReportsBench(),
};
/** Run only when named: `npm run bench -- footprint-1m` (lesson-one-core: only the lesson bench's one-core figure). */
const onRequest = new Set(['footprint-1m', 'lesson-one-core']);

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !(name in benches));
  if (unknown.length > 0) {
    throw new Error(`Unknown benchmark ${unknown.join(', ')}: choose from ${Object.keys(benches).join(', ')}`);
  }
  for (const name of wanted.length > 0 ? wanted : Object.keys(benches).filter((name) => !onRequest.has(name))) {
    console.log(`\n=== ${name} ===`);
    await benches[name]?.();
  }
}

main().then(
  () => undefined,
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
