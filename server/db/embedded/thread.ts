/**
 * The embedded engine in a worker thread of its own, so that its CPU work (query matching, index upkeep, BSON)
 * runs beside the app's event loop instead of on it. `npm run bench -- embedded` measures both placements on this
 * machine (2 cores): in a worker, an app-like signed-in page served 1.45x the requests of the in-process engine and
 * the lesson page's p99 halved, at the cost of a slower single round trip (ping 1.8x) that only shows when idle.
 *
 * The app talks to it over loopback exactly as to the in-process engine or a real MongoDB; the thread only
 * changes where the engine runs. A worker that fails or exits unexpectedly is reported through `onFailure`:
 * the database is gone, so the app should stop.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { EmbeddedMongo, EmbeddedMongoOptions } from './index';

type ThreadOptions = Omit<EmbeddedMongoOptions, 'log' | 'onFatal' | 'files'>;

/**
 * Messages from the worker: its URI once listening, a log line, why it could not start, or the journal failure
 * that stopped it (fail-stop: it answers nothing more).
 */
type FromWorker = { uri: string } | { log: string } | { failed: string } | { fatal: string };

// The worker loads the engine as this file was loaded: compiled JavaScript from dist/, or TypeScript through
// tsx (tests and `npm run dev`). An eval'd script, because a worker cannot be started from a .ts file directly;
// such a script resolves modules from the current folder, so it is given tsx's path as resolved from here.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
if (workerData.typescriptLoader) require(workerData.typescriptLoader).register();
const { startEmbeddedMongo } = require(workerData.engineModule);
startEmbeddedMongo({
  ...workerData.options,
  log: (line) => parentPort.postMessage({ log: line }),
  onFatal: (error) => parentPort.postMessage({ fatal: error && error.message ? error.message : String(error) }),
}).then(
  (engine) => {
    parentPort.once('message', () => engine.stop().then(() => parentPort.close()));
    parentPort.postMessage({ uri: engine.uri });
  },
  (error) => parentPort.postMessage({ failed: error && error.message ? error.message : String(error) }),
);`;

export async function startEmbeddedMongoThread(
  options: ThreadOptions & { log?: (line: string) => void; onFailure?: (error: Error) => void } = {},
): Promise<EmbeddedMongo> {
  const { log = (line: string) => process.stderr.write(`${line}\n`), onFailure, ...engineOptions } = options;
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      typescriptLoader: __filename.endsWith('.ts') ? require.resolve('tsx/cjs/api') : null,
      engineModule: path.join(__dirname, 'index'),
      options: engineOptions,
    },
  });
  let stopping = false;
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));

  const uri = await new Promise<string>((resolve, reject) => {
    const onMessage = (message: FromWorker): void => {
      if ('log' in message) log(message.log);
      else if ('uri' in message) resolve(message.uri);
      else if ('failed' in message) reject(new Error(message.failed));
      else onFailure?.(new Error(`The database could not write its journal and stopped: ${message.fatal}`));
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
    void exited.then((code) => reject(new Error(`The database thread stopped before it was ready (exit code ${code})`)));
  });

  worker.on('error', (error) => onFailure?.(error));
  void exited.then((code) => {
    if (!stopping) onFailure?.(new Error(`The database thread stopped unexpectedly (exit code ${code})`));
  });

  return {
    uri,
    stop: async () => {
      if (!stopping) {
        stopping = true;
        worker.postMessage('stop');
      }
      await exited;
    },
  };
}
