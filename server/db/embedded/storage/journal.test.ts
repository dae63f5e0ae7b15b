import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Journal, JournalCorruptError } from './journal';

let dir: string;
const openJournals: Journal[] = [];

beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'journal-test-'));
});

afterEach(async () => {
  await Promise.all(openJournals.splice(0).map((journal) => journal.close()));
  await fsp.rm(dir, { recursive: true, force: true });
});

async function open(at = dir, fsync = true): Promise<Journal> {
  const journal = await Journal.open(at, { fsync });
  openJournals.push(journal);
  return journal;
}

async function closeJournal(journal: Journal): Promise<void> {
  openJournals.splice(openJournals.indexOf(journal), 1);
  await journal.close();
}

async function replayAll(at = dir): Promise<{ payloads: string[]; records: number; droppedTailBytes: number; journal: Journal }> {
  const journal = await open(at, false);
  const payloads: string[] = [];
  const result = await journal.replay((payload) => payloads.push(payload.toString()));
  return { payloads, ...result, journal };
}

const text = (value: string) => Buffer.from(value);
const journalFile = (at = dir) => path.join(at, 'journal');

describe('Journal', () => {
  it('gives back every record in order after a reopen', async () => {
    const journal = await open();
    expect(await journal.replay(() => undefined)).toEqual({ records: 0, droppedTailBytes: 0 });
    await journal.append(text('one'));
    await journal.appendMany([text('two'), text('three'), Buffer.alloc(0)]);
    await journal.append(text('four'));
    expect(journal.sizeBytes).toBe((await fsp.stat(journalFile())).size);
    await closeJournal(journal);

    const replayed = await replayAll();
    expect(replayed.payloads).toEqual(['one', 'two', 'three', '', 'four']);
    expect(replayed.records).toBe(5);
    expect(replayed.droppedTailBytes).toBe(0);
  });

  it('keeps a large record whole across read chunks', async () => {
    const big = Buffer.alloc(9 * 1024 * 1024, 7);
    const journal = await open();
    await journal.replay(() => undefined);
    await journal.append(text('before'));
    await journal.append(big);
    await journal.append(text('after'));
    await closeJournal(journal);

    const reopened = await open();
    const sizes: number[] = [];
    await reopened.replay((payload) => sizes.push(payload.length));
    expect(sizes).toEqual([6, big.length, 5]);
  });

  it('drops a torn last record cut at any byte, keeps the rest, and appends after it', async () => {
    const journal = await open(dir, false);
    await journal.replay(() => undefined);
    await journal.append(text('first'));
    await journal.append(text('second'));
    const beforeLast = journal.sizeBytes;
    await journal.append(text('the last record'));
    const full = journal.sizeBytes;
    await closeJournal(journal);
    const bytes = await fsp.readFile(journalFile());

    for (let cut = beforeLast + 1; cut < full; cut += 1) {
      const copy = path.join(dir, `cut-${cut}`);
      await fsp.mkdir(copy);
      await fsp.writeFile(journalFile(copy), bytes.subarray(0, cut));

      const torn = await replayAll(copy);
      expect({ cut, payloads: torn.payloads, dropped: torn.droppedTailBytes }).toEqual({
        cut,
        payloads: ['first', 'second'],
        dropped: cut - beforeLast,
      });
      expect(torn.journal.sizeBytes).toBe(beforeLast);
      expect((await fsp.stat(journalFile(copy))).size).toBe(beforeLast);
      await torn.journal.append(text('next'));
      await closeJournal(torn.journal);

      const again = await replayAll(copy);
      expect(again.payloads).toEqual(['first', 'second', 'next']);
      await closeJournal(again.journal);
    }
  });

  it('drops a torn batch whole', async () => {
    const journal = await open();
    await journal.replay(() => undefined);
    await journal.append(text('kept'));
    const beforeBatch = journal.sizeBytes;
    await journal.appendMany([text('a'), text('b'), text('c')]);
    await closeJournal(journal);
    const bytes = await fsp.readFile(journalFile());
    // Cut after the first record of the batch: a batch is all or nothing.
    await fsp.writeFile(journalFile(), bytes.subarray(0, beforeBatch + 16 + 4 + 1 + 2));

    const replayed = await replayAll();
    expect(replayed.payloads).toEqual(['kept']);
    expect(replayed.droppedTailBytes).toBe(16 + 4 + 1 + 2);
  });

  it('drops a tail of zeros, as a power cut can leave after the file grew', async () => {
    const journal = await open();
    await journal.replay(() => undefined);
    await journal.append(text('kept'));
    await closeJournal(journal);
    await fsp.appendFile(journalFile(), Buffer.alloc(4096));

    const replayed = await replayAll();
    expect(replayed.payloads).toEqual(['kept']);
    expect(replayed.droppedTailBytes).toBe(4096);
  });

  it('drops a last frame whose middle never reached the disk', async () => {
    const journal = await open();
    await journal.replay(() => undefined);
    await journal.append(text('kept'));
    const lastFrame = journal.sizeBytes;
    await journal.append(Buffer.alloc(10_000, 5));
    await closeJournal(journal);
    const bytes = await fsp.readFile(journalFile());
    bytes.fill(0, lastFrame + 4096, lastFrame + 8192);
    await fsp.writeFile(journalFile(), bytes);

    const replayed = await replayAll();
    expect(replayed.payloads).toEqual(['kept']);
    expect(replayed.droppedTailBytes).toBe(bytes.length - lastFrame);
  });

  it.each([
    ['a byte of its contents', 16 + 4 + 2],
    ['a byte of its frame header', 5],
  ])('reports damage to %s in the middle with the offset, and skips nothing', async (_what, byteInFrame) => {
    const journal = await open();
    await journal.replay(() => undefined);
    await journal.append(text('first'));
    const damagedFrame = journal.sizeBytes;
    await journal.append(text('second'));
    await journal.append(text('third'));
    await closeJournal(journal);
    const bytes = await fsp.readFile(journalFile());
    bytes[damagedFrame + byteInFrame] = (bytes[damagedFrame + byteInFrame] ?? 0) ^ 0xff;
    await fsp.writeFile(journalFile(), bytes);

    const reopened = await open();
    const seen: string[] = [];
    const failure = await reopened.replay((payload) => seen.push(payload.toString())).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(JournalCorruptError);
    expect((failure as JournalCorruptError).offset).toBe(damagedFrame);
    expect((failure as JournalCorruptError).message).toContain(journalFile());
    expect((failure as JournalCorruptError).message).toContain(`offset ${damagedFrame}`);
    expect(seen).toEqual(['first']);
    // The damaged file is left as it was, and no write is accepted on top of it.
    expect((await fsp.stat(journalFile())).size).toBe(bytes.length);
    await expect(reopened.append(text('more'))).rejects.toThrow(/stopped accepting writes/);
  });

  it('refuses a file that is not a journal', async () => {
    await fsp.writeFile(journalFile(), 'something else entirely');
    await expect(Journal.open(dir)).rejects.toBeInstanceOf(JournalCorruptError);
    // The lock was given back: the directory can be opened once the file is moved away.
    await fsp.rm(journalFile());
    await open();
  });

  it('shares one flush between appends made while another flush runs (group commit)', async () => {
    const journal = await open();
    await journal.replay(() => undefined);
    const count = 200;
    await Promise.all(Array.from({ length: count }, (_, i) => journal.append(text(`record ${i}`))));
    expect(journal.stats.records).toBe(count);
    expect(journal.stats.flushes).toBeGreaterThanOrEqual(1);
    expect(journal.stats.flushes).toBeLessThan(count / 2);
    await closeJournal(journal);

    const replayed = await replayAll();
    expect(replayed.payloads).toEqual(Array.from({ length: count }, (_, i) => `record ${i}`));
  });

  it('flushes once per append for a single writer that waits for each', async () => {
    const journal = await open();
    await journal.replay(() => undefined);
    for (let i = 0; i < 5; i += 1) await journal.append(text(`record ${i}`));
    expect(journal.stats.flushes).toBe(5);
  });

  it('replaces the journal by a snapshot and keeps what was appended during compaction', async () => {
    const journal = await open();
    await journal.replay(() => undefined);
    for (let i = 0; i < 50; i += 1) await journal.append(text(`old ${i}`));
    const sizeBefore = journal.sizeBytes;

    const inSnapshot = journal.append(text('appended before compact, so in the snapshot'));
    const compaction = journal.compact([text('snapshot A'), text('snapshot B')]);
    const during = Array.from({ length: 30 }, (_, i) => journal.append(text(`during ${i}`)));
    await Promise.all([inSnapshot, compaction, ...during]);
    await journal.append(text('after'));
    expect(journal.sizeBytes).toBeLessThan(sizeBefore);
    expect(journal.stats.compactions).toBe(1);
    expect(journal.sizeBytes).toBe((await fsp.stat(journalFile())).size);
    await closeJournal(journal);

    const replayed = await replayAll();
    expect(replayed.payloads).toEqual([
      'snapshot A',
      'snapshot B',
      ...Array.from({ length: 30 }, (_, i) => `during ${i}`),
      'after',
    ]);
    expect(await fsp.readdir(dir)).toEqual(expect.not.arrayContaining(['journal.compacting']));
  });

  it('carries over appends acknowledged while the snapshot was being written', async () => {
    const journal = await open();
    await journal.replay(() => undefined);
    const snapshot = Array.from({ length: 64 }, () => Buffer.alloc(256 * 1024, 1));
    let compacted = false;
    const compaction = journal.compact(snapshot).then(() => {
      compacted = true;
    });
    const acknowledgedDuring: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      await journal.append(text(`during ${i}`));
      if (!compacted) acknowledgedDuring.push(`during ${i}`);
    }
    await compaction;
    expect(acknowledgedDuring.length).toBeGreaterThan(0);
    await closeJournal(journal);

    const replayed = await replayAll();
    expect(replayed.records).toBe(64 + 3);
    expect(replayed.payloads.slice(64)).toEqual(['during 0', 'during 1', 'during 2']);
  });

  it('runs compactions one after the other, each keeping what came after it', async () => {
    const journal = await open();
    await journal.replay(() => undefined);
    const first = journal.compact([text('state 1')]);
    const between = journal.append(text('between'));
    const second = journal.compact([text('state 2')]);
    const last = journal.append(text('last'));
    await Promise.all([first, between, second, last]);
    await closeJournal(journal);

    expect((await replayAll()).payloads).toEqual(['state 2', 'last']);
  });

  it('ignores a compaction that a crash stopped before its rename', async () => {
    const journal = await open();
    await journal.replay(() => undefined);
    await journal.append(text('real'));
    await closeJournal(journal);
    await fsp.writeFile(path.join(dir, 'journal.compacting'), 'half a snapshot');

    const replayed = await replayAll();
    expect(replayed.payloads).toEqual(['real']);
    expect(await fsp.readdir(dir)).not.toContain('journal.compacting');
  });

  it('lets appends without a replay first cut a torn tail rather than write after it', async () => {
    const journal = await open();
    await journal.append(text('kept'));
    await closeJournal(journal);
    await fsp.appendFile(journalFile(), Buffer.from([1, 2, 3]));

    const reopened = await open();
    await reopened.append(text('next'));
    await closeJournal(reopened);
    expect((await replayAll()).payloads).toEqual(['kept', 'next']);
  });

  it('writes what was appended before close, then refuses appends', async () => {
    const journal = await open();
    await journal.replay(() => undefined);
    const pending = journal.append(text('last words'));
    await closeJournal(journal);
    await pending;
    await expect(journal.append(text('too late'))).rejects.toThrow(/closed/);
    expect((await replayAll()).payloads).toEqual(['last words']);
  });
});
