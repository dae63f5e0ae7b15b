/**
 * Copying every collection, with its options and indexes, from one server to another (the way from the embedded
 * engine to a MongoDB replica set or Atlas), then checking each collection's count and checksum on the target
 * against the source's snapshot.
 */
import type { MongoClient } from 'mongodb';
import { CollectionLoader, verifyCollection, type LoadedCollection } from './load';
import { BSON } from 'bson';
import { EXACT_BSON, openSnapshot, type SnapshotOptions } from './snapshot';
import { ToolError } from './source';

export interface CopyResult {
  pointInTime: boolean;
  snapshotTime?: Date;
  collections: LoadedCollection[];
}

export async function copyDatabase(source: MongoClient, target: MongoClient, options: SnapshotOptions & { drop?: boolean; toDb?: string } = {}): Promise<CopyResult> {
  if (options.toDb && !options.db) throw new ToolError('--to-db needs --db: which database to copy under the new name.');
  const snapshot = await openSnapshot(source, options);
  const collections: LoadedCollection[] = [];
  let loader: CollectionLoader | undefined;
  try {
    for await (const item of snapshot.items) {
      if ('collection' in item) {
        if (loader) collections.push(await loader.finish());
        const info = item.collection;
        loader = await CollectionLoader.start(target.db(options.toDb ?? info.db), info, options.drop ?? false);
      } else {
        if (!loader) throw new Error('The snapshot gave a document before its collection');
        await loader.add(BSON.deserialize(item.bson, EXACT_BSON));
      }
    }
    if (loader) collections.push(await loader.finish());
  } finally {
    await snapshot.items.return(undefined);
  }
  const problems: string[] = [];
  for (const collection of collections) {
    const problem = await verifyCollection(target.db(collection.db), collection);
    if (problem) problems.push(problem);
  }
  if (problems.length > 0) throw new ToolError(`The copy does not match the source:\n  ${problems.join('\n  ')}`);
  return { pointInTime: snapshot.pointInTime, snapshotTime: snapshot.snapshotTime, collections };
}
