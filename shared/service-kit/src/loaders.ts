import DataLoader from 'dataloader';
import type { Collection, Document, Filter } from 'mongodb';

/**
 * DataLoader factories over MongoDB. Each batch is a single `find` with
 * `$in`; results come back in key order, null (or []) for misses. Loaders are
 * created per request, so caching never outlives a request.
 */
export function byIdLoader<TDoc extends Document & { _id: string }>(collection: Collection<TDoc>): DataLoader<string, TDoc | null> {
  return new DataLoader<string, TDoc | null>(async (ids) => {
    const docs = await collection.find({ _id: { $in: [...ids] } } as Filter<TDoc>).toArray();
    const found = new Map<string, TDoc>(docs.map((d) => [d._id as string, d as TDoc]));
    return ids.map((id) => found.get(id) ?? null);
  });
}

/**
 * One-to-many loader: documents whose `field` equals (or, for array fields,
 * contains) the key. `order` keeps each group in a deterministic order.
 */
export function groupLoader<TDoc extends Document & { _id: string }>(
  collection: Collection<TDoc>,
  field: string,
  order: (a: TDoc, b: TDoc) => number,
): DataLoader<string, TDoc[]> {
  return new DataLoader<string, TDoc[]>(async (keys) => {
    const docs = (await collection.find({ [field]: { $in: [...keys] } } as Filter<TDoc>).toArray()) as TDoc[];
    const groups = new Map<string, TDoc[]>(keys.map((k) => [k, []]));
    for (const doc of docs) {
      const value: unknown = doc[field];
      for (const k of Array.isArray(value) ? value : [value]) groups.get(k as string)?.push(doc);
    }
    return keys.map((k) => (groups.get(k) ?? []).sort(order));
  });
}

/**
 * The key lists are ordered by: the name in lower case, so "eRA" sits among
 * the E's as a reader expects. Stored on each document because FerretDB v1
 * has no collations; lists and pages sort by it, then by _id.
 */
export const sortKeyOf = (name: string): string => name.toLowerCase();

export const bySortKeyThenId = <T extends { sortKey: string; _id: string }>(a: T, b: T): number =>
  a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : a._id < b._id ? -1 : a._id > b._id ? 1 : 0;

export const byId = <T extends { _id: string }>(a: T, b: T): number => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0);
