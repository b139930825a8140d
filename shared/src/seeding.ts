import { createHash } from 'node:crypto';
import type { AnyBulkWriteOperation, Db, Document, IndexDescription } from 'mongodb';

/**
 * Idempotent seeding: every collection is brought to exactly the given
 * documents (upsert by _id, then delete what is no longer there), so running
 * a seed twice leaves the same data and never duplicates a row.
 */
export async function replaceCollection(db: Db, name: string, docs: (Document & { _id: string })[]): Promise<void> {
  const collection = db.collection<Document & { _id: string }>(name);
  const batchSize = 1000;
  // A first load inserts: per-document upserts are far slower on the embedded database.
  if ((await collection.estimatedDocumentCount()) === 0) {
    for (let i = 0; i < docs.length; i += batchSize) await collection.insertMany(docs.slice(i, i + batchSize), { ordered: true });
    return;
  }
  for (let i = 0; i < docs.length; i += batchSize) {
    const ops: AnyBulkWriteOperation<Document & { _id: string }>[] = docs
      .slice(i, i + batchSize)
      .map((doc) => ({ replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true } }));
    await collection.bulkWrite(ops, { ordered: false });
  }
  await collection.deleteMany({ _id: { $nin: docs.map((d) => d._id) } });
}

export interface CollectionIndexes {
  collection: string;
  indexes: IndexDescription[];
}

/**
 * Creates the indexes that do not exist yet, one per command. FerretDB
 * v1.24.2 panics (dropping the connection) when one createIndexes command
 * names several indexes that already exist, so we never send that.
 */
export async function ensureIndexes(db: Db, specs: CollectionIndexes[]): Promise<void> {
  const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
  for (const spec of specs) {
    const collection = db.collection(spec.collection);
    const present = existing.has(spec.collection)
      ? new Set((await collection.listIndexes().toArray()).map((i) => String(i.name)))
      : new Set<string>();
    for (const index of spec.indexes) {
      if (index.name && present.has(index.name)) continue;
      await collection.createIndexes([index]);
    }
  }
}

export function fingerprint(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

const META = '_meta';

/** The fingerprint of the catalog last seeded into this database, or null for an empty one. */
export async function seededFingerprint(db: Db): Promise<string | null> {
  const doc = await db.collection<{ _id: string; fingerprint: string }>(META).findOne({ _id: 'seed' });
  return doc?.fingerprint ?? null;
}

export async function recordSeed(db: Db, value: string, description: string): Promise<void> {
  await db.collection<{ _id: string }>(META).replaceOne(
    { _id: 'seed' },
    { fingerprint: value, description, seededAt: new Date() },
    { upsert: true },
  );
}
