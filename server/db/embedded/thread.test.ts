import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { startEmbeddedMongoThread } from './thread';

describe('the embedded engine in a worker thread', () => {
  it('serves the driver, keeps acknowledged writes on disk across a restart, and stops cleanly', async () => {
    const dbPath = await mkdtemp(path.join(os.tmpdir(), 'engine-thread-'));
    try {
      const first = await startEmbeddedMongoThread({ dbPath, log: () => undefined });
      const client = await MongoClient.connect(first.uri);
      await client.db('app').collection('notes').insertOne({ text: 'kept' });
      await client.close();
      await first.stop();

      const second = await startEmbeddedMongoThread({ dbPath, log: () => undefined });
      const again = await MongoClient.connect(second.uri);
      const found = await again.db('app').collection('notes').findOne({ text: 'kept' });
      await again.close();
      await second.stop();
      expect(found?.text).toBe('kept');
    } finally {
      await rm(dbPath, { recursive: true, force: true });
    }
  });

  it('reports why it could not start: a dbPath another engine holds', async () => {
    const dbPath = await mkdtemp(path.join(os.tmpdir(), 'engine-thread-'));
    const holder = await startEmbeddedMongoThread({ dbPath, log: () => undefined });
    try {
      await expect(startEmbeddedMongoThread({ dbPath, log: () => undefined })).rejects.toThrow(/dbPath|open|lock/i);
    } finally {
      await holder.stop();
      await rm(dbPath, { recursive: true, force: true });
    }
  });
});
