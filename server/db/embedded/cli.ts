/**
 * `npm run db -- --port 27999 [--dbpath DIR] [--host 127.0.0.1]`: the embedded engine on its own, in the
 * foreground. Prints its URI; Ctrl-C or SIGTERM stops it cleanly (journal flushed, lock released).
 */
import { parseArgs } from 'node:util';
import { startEmbeddedMongo } from './index';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '27017' },
      dbpath: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('Usage: npm run db -- [--port 27017] [--dbpath DIR] [--host 127.0.0.1]\nWithout --dbpath the data lives in memory only.\n');
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a number from 0 to 65535, not ${values.port}`);
  const engine = await startEmbeddedMongo({
    port,
    host: values.host,
    dbPath: values.dbpath,
    // Fail-stop: the engine logged the cause and answers nothing more; a supervisor restarts the process.
    // (After the refusal being written has left: the client is told why rather than seeing a reset.)
    onFatal: () => setImmediate(() => process.exit(1)),
  });
  process.stdout.write(`Embedded MongoDB-compatible engine listening: ${engine.uri}\n`);
  process.stdout.write(values.dbpath ? `Data directory: ${values.dbpath}\n` : 'In memory: the data goes when it stops.\n');
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: stopping\n`);
    engine.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`Could not stop cleanly: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
