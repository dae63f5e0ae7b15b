/**
 * Child process of the crash test. Opens the embedded engine on a dbPath, writes through the official driver
 * with several concurrent writers, and prints one line per write the engine acknowledged:
 *
 *   ready                    the engine replayed the dbPath and the driver is connected
 *   insert <id>              insertOne or insertMany acknowledged (one line per document)
 *   count <writer> <n>       the writer's counter was acknowledged at n ($inc with upsert)
 *   deleting <id>            a delete was sent (it may or may not survive a crash)
 *   deleted <id>             the delete was acknowledged
 *
 * stdout is a pipe, so each line is written synchronously: once printed, the write was acknowledged before.
 * The test kills this process with SIGKILL; it only stops by itself when its stdin closes (the test is gone).
 *
 * Usage: node --require tsx/cjs test/engine-crash/writer.ts <dbPath> <round> <writers> [engine options as JSON]
 */
import { MongoClient } from 'mongodb';
import { startEmbeddedMongo } from '../../server/db/embedded';

interface Item {
  _id: string;
  writer: number;
  n: number;
  padding: string;
}

async function main(): Promise<void> {
  const [dbPath, round, writersText, optionsJson] = process.argv.slice(2);
  if (!dbPath || !round || !writersText) throw new Error('usage: writer.ts <dbPath> <round> <writers> [options]');
  const writers = Number(writersText);
  const extraOptions = optionsJson ? (JSON.parse(optionsJson) as Record<string, unknown>) : {};
  const engine = await startEmbeddedMongo({ ...extraOptions, dbPath, port: 0 });
  const client = await MongoClient.connect(engine.uri, { maxPoolSize: writers + 2 });
  const db = client.db('crash');
  const items = db.collection<Item>('items');
  const counters = db.collection<{ _id: string; n: number; note?: string }>('counters');
  await items.createIndex({ writer: 1, n: 1 });
  // The test keeps stdin open; if it dies without killing us, stop rather than write forever.
  process.stdin.on('end', () => process.exit(2));
  process.stdin.resume();
  print('ready');

  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      for (let n = 0; ; n += 1) {
        const id = `r${round}-w${writer}-${n}`;
        // Sizes vary so that records span pages.
        const padding = 'x'.repeat((n * 37) % 300);
        if (n % 10 === 9) {
          const batch = [0, 1, 2].map((k) => ({ _id: `${id}-b${k}`, writer, n, padding }));
          await items.insertMany(batch);
          for (const doc of batch) print(`insert ${doc._id}`);
        } else {
          await items.insertOne({ _id: id, writer, n, padding });
          print(`insert ${id}`);
        }
        const counter = await counters.findOneAndUpdate(
          { _id: `w${writer}` },
          // The note rewrites the same document each time: the journal outgrows the live data and compacts.
          { $inc: { n: 1 }, $set: { note: 'y'.repeat(1500 + (n % 500)) } },
          { upsert: true, returnDocument: 'after' },
        );
        print(`count w${writer} ${counter?.n ?? 'missing'}`);
        if (n % 7 === 6) {
          const previous = `r${round}-w${writer}-${n - 1}`;
          print(`deleting ${previous}`);
          await items.deleteOne({ _id: previous });
          print(`deleted ${previous}`);
        }
      }
    }),
  );
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
