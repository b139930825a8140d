import { createHash } from 'node:crypto';
import type { Db, Document, IndexDescription } from 'mongodb';

/**
 * Idempotent seeding: every collection is brought to exactly the given
 * documents, so running a seed twice leaves the same data and never
 * duplicates a row. It writes only the difference: one read, then at most one
 * delete and one insert per collection. (Per-document upserts are far too
 * slow on the embedded database, which scans for each one.)
 */
export async function replaceCollection(db: Db, name: string, docs: (Document & { _id: string })[]): Promise<void> {
  const collection = db.collection<Document & { _id: string }>(name);
  const wanted = new Map(docs.map((d) => [d._id, d]));
  const stale: string[] = [];
  const current = new Set<string>();
  for await (const existing of collection.find({})) {
    const next = wanted.get(existing._id);
    if (next && canonical(next) === canonical(existing)) current.add(existing._id);
    else stale.push(existing._id);
  }
  const batchSize = 1000;
  for (let i = 0; i < stale.length; i += batchSize) await collection.deleteMany({ _id: { $in: stale.slice(i, i + batchSize) } });
  const missing = docs.filter((d) => !current.has(d._id));
  for (let i = 0; i < missing.length; i += batchSize) await collection.insertMany(missing.slice(i, i + batchSize), { ordered: true });
}

/** JSON with sorted keys, so equal documents compare equal whatever their field order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
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
    const present = existing.has(spec.collection) ? new Set((await collection.listIndexes().toArray()).map((i) => String(i.name))) : new Set<string>();
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

/** What was last seeded into this database (fingerprint and description), or null for an empty one. */
export async function lastSeed(db: Db): Promise<{ fingerprint: string; description: string } | null> {
  const doc = await db.collection<{ _id: string; fingerprint: string; description?: string }>(META).findOne({ _id: 'seed' });
  return doc ? { fingerprint: doc.fingerprint, description: doc.description ?? '' } : null;
}

export async function recordSeed(db: Db, value: string, description: string): Promise<void> {
  await db.collection<{ _id: string }>(META).replaceOne({ _id: 'seed' }, { fingerprint: value, description, seededAt: new Date() }, { upsert: true });
}
