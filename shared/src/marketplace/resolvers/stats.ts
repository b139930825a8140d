import type { Document } from 'mongodb';
import type { Shelf, Verification } from '../../catalog/types';
import type { GraphContext } from '../../context';
import type { MarketplaceStatsResolvers } from '../generated/resolvers-types';
import { statedSince } from '../../domain/data';
import { optionalIsoDay } from '../../validation';

/**
 * Analyst totals of a marketplace. Every figure is one aggregation with
 * $match/$unwind/$group/$sum (stages FerretDB v1 and MongoDB both run),
 * never a loop over documents here; where the read model holds the
 * collection whole, it runs the same stages over it (read-model-match.ts).
 */
interface GroupRow<K = string | null> { _id: K; count: number }

async function countBy<K = string | null>(ctx: GraphContext, collection: 'offerings' | 'customerLinks', pipeline: Document[]): Promise<GroupRow<K>[]> {
  return ctx.collections[collection].aggregate<GroupRow<K>>(pipeline).toArray();
}

const SHELF_ORDER = ['FEDERAL', 'COMMERCIAL', 'MANDATORY'];
const VERIFICATION_ORDER = ['CONFIRMED', 'UNVERIFIED'];
const inOrder = (order: string[]) => <K>(a: GroupRow<K>, b: GroupRow<K>) => order.indexOf(String(a._id)) - order.indexOf(String(b._id));

async function distinctCount(ctx: GraphContext, collection: 'offerings' | 'customerLinks', field: string, match?: Document): Promise<number> {
  const rows = await countBy(ctx, collection, [
    ...(match ? [{ $match: match }] : []),
    { $group: { _id: `$${field}` } },
    { $group: { _id: null, count: { $sum: 1 } } },
  ]);
  return rows[0]?.count ?? 0;
}

/** <Domain>Stats: analyst totals, each computed by the database only when selected. */
export const statsResolvers = {
  offeringCount: (_, __, ctx) => ctx.collections.offerings.countDocuments({}),
  customerLinkCount: (_, { since }, ctx) => ctx.collections.customerLinks.countDocuments(statedSince(optionalIsoDay(since))),
  customerCount: (_, { since }, ctx) => {
    const day = optionalIsoDay(since);
    return distinctCount(ctx, 'customerLinks', 'agencyCode', day === undefined ? undefined : statedSince(day));
  },
  providerCount: async (_, __, ctx) => {
    // Providers and partners are two fields; one $group over both keeps it one round trip each.
    const [providers, partners] = await Promise.all([
      countBy(ctx, 'offerings', [{ $group: { _id: '$providerId' } }]),
      countBy(ctx, 'offerings', [{ $unwind: '$partnerIds' }, { $group: { _id: '$partnerIds' } }]),
    ]);
    return new Set([...providers, ...partners].map((r) => r._id)).size;
  },
  byShelf: async (_, __, ctx) =>
    (await countBy<Shelf>(ctx, 'offerings', [{ $group: { _id: '$shelf', count: { $sum: 1 } } }]))
      .sort(inOrder(SHELF_ORDER)).map((r) => ({ shelf: r._id, count: r.count })),
  byVerification: async (_, __, ctx) =>
    (await countBy<Verification>(ctx, 'offerings', [{ $group: { _id: '$verification', count: { $sum: 1 } } }]))
      .sort(inOrder(VERIFICATION_ORDER)).map((r) => ({ verification: r._id, count: r.count })),
  capabilityCoverage: async (_, { level }, ctx) => {
    const [entries, counts] = await Promise.all([
      ctx.collections.capabilities.find({ level }, { projection: { name: 1 } }).sort({ _id: 1 }).toArray(),
      countBy(ctx, 'offerings', [{ $unwind: '$capabilityPaths' }, { $group: { _id: '$capabilityPaths', count: { $sum: 1 } } }]),
    ]);
    const byCode = new Map(counts.map((r) => [r._id, r.count]));
    return entries.map((e) => ({ code: e._id, name: e.name, offeringCount: byCode.get(e._id) ?? 0 }));
  },
} satisfies MarketplaceStatsResolvers;
