import type { Document } from 'mongodb';
import type { Shelf, Verification } from '@qsmo/catalog/types';
import type { GraphContext } from '../../context';
import type { MarketplaceStatsResolvers } from '../generated/resolvers-types';
import { statedWithin } from '../../domain/data';
import { optionalStatedWindow } from '@qsmo/service-kit/validation';

/**
 * Analyst totals of a marketplace. Every figure is one aggregation with
 * $match/$unwind/$group/$sum (stages FerretDB v1 and MongoDB both run),
 * never a loop over documents here; where the read model holds the
 * collection whole, it runs the same stages over it (read-model-match.ts).
 */
interface GroupRow<K = string | null> {
  _id: K;
  count: number;
}

async function countBy<K = string | null>(ctx: GraphContext, collection: 'offerings' | 'customerLinks', pipeline: Document[]): Promise<GroupRow<K>[]> {
  return ctx.collections[collection].aggregate<GroupRow<K>>(pipeline).toArray();
}

const SHELF_ORDER = ['FEDERAL', 'COMMERCIAL', 'MANDATORY'];
const VERIFICATION_ORDER = ['CONFIRMED', 'UNVERIFIED'];
const inOrder =
  (order: string[]) =>
  <K>(a: GroupRow<K>, b: GroupRow<K>) =>
    order.indexOf(String(a._id)) - order.indexOf(String(b._id));

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
  customerLinkCount: (_, { since, until }, ctx) => ctx.collections.customerLinks.countDocuments(statedWithin(optionalStatedWindow(since, until))),
  customerCount: (_, { since, until }, ctx) => {
    const window = optionalStatedWindow(since, until);
    return distinctCount(ctx, 'customerLinks', 'agencyCode', window === undefined ? undefined : statedWithin(window));
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
      .sort(inOrder(SHELF_ORDER))
      .map((r) => ({ shelf: r._id, count: r.count })),
  byVerification: async (_, __, ctx) =>
    (await countBy<Verification>(ctx, 'offerings', [{ $group: { _id: '$verification', count: { $sum: 1 } } }]))
      .sort(inOrder(VERIFICATION_ORDER))
      .map((r) => ({ verification: r._id, count: r.count })),
  unmappedOfferingCount: (_, __, ctx) => unmappedOfferingCount(ctx),
  capabilityCoverage: async (_, { level }, ctx) => {
    const [entries, counts, unmapped] = await Promise.all([
      ctx.collections.capabilities
        .find({ level }, { projection: { name: 1 } })
        .sort({ _id: 1 })
        .toArray(),
      countBy(ctx, 'offerings', [{ $unwind: '$capabilityPaths' }, { $group: { _id: '$capabilityPaths', count: { $sum: 1 } } }]),
      unmappedOfferingCount(ctx),
    ]);
    const byCode = new Map(counts.map((r) => [r._id, r.count]));
    return entries.map((e) => {
      const offeringCount = byCode.get(e._id) ?? 0;
      // A zero is a gap only when every offering is mapped: an unmapped one may serve the entry without any source saying so.
      const status = offeringCount > 0 ? 'SERVED' : unmapped > 0 ? 'NOT_MAPPED' : 'GAP';
      return { code: e._id, name: e.name, offeringCount, status, unmappedOfferingCount: unmapped };
    });
  },
} satisfies MarketplaceStatsResolvers;

/** Offerings no source maps to any FIBF entry (an empty capability list): all of them less those $unwind finds a code in. */
async function unmappedOfferingCount(ctx: GraphContext): Promise<number> {
  const [total, mapped] = await Promise.all([
    ctx.collections.offerings.countDocuments({}),
    countBy(ctx, 'offerings', [{ $unwind: '$capabilityCodes' }, { $group: { _id: '$_id', count: { $sum: 1 } } }]),
  ]);
  return total - mapped.length;
}
