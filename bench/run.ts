/**
 * `npm run bench`: every benchmark in one run. Each prints its figures as ratios to a baseline measured in the
 * same run (absolute numbers vary between machines; ratios are what we compare).
 * `npm run bench -- embedded`, `-- lesson` or `-- reports` runs one of them.
 */
import { runEmbeddedBench } from './embedded';
import { runLessonBench } from './lesson';
import { runReportsBench } from './reports';

const benches: Record<string, () => Promise<unknown>> = {
  embedded: () => runEmbeddedBench(),
  lesson: () => runLessonBench(),
  reports: () => runReportsBench(),
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !(name in benches));
  if (unknown.length > 0) {
    throw new Error(`Unknown benchmark ${unknown.join(', ')}: choose from ${Object.keys(benches).join(', ')}`);
  }
  for (const name of wanted.length > 0 ? wanted : Object.keys(benches)) {
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
