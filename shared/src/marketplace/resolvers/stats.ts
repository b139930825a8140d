import type { Document } from 'mongodb';
import type { GraphContext } from '../../context';

/**
 * Analyst totals of a marketplace. Every figure is computed by the database
 * with $match/$unwind/$group/$sum (stages FerretDB v1 and MongoDB both run),
 * never by loading a collection into memory.
 */
interface GroupRow { _id: string | null; count: number }

async function countBy(ctx: GraphContext, collection: 'offerings' | 'customerLinks', pipeline: Document[]): Promise<GroupRow[]> {
  return ctx.collections[collection].aggregate<GroupRow>(pipeline).toArray();
}

const SHELF_ORDER = ['FEDERAL', 'COMMERCIAL', 'MANDATORY'];
const VERIFICATION_ORDER = ['CONFIRMED', 'UNVERIFIED'];
const inOrder = (order: string[]) => (a: GroupRow, b: GroupRow) => order.indexOf(String(a._id)) - order.indexOf(String(b._id));

async function distinctCount(ctx: GraphContext, collection: 'offerings' | 'customerLinks', field: string, unwind = false): Promise<number> {
  const rows = await countBy(ctx, collection, [
    ...(unwind ? [{ $unwind: `$${field}` }] : []),
    { $group: { _id: `$${field}` } },
    { $group: { _id: null, count: { $sum: 1 } } },
  ]);
  return rows[0]?.count ?? 0;
}

export function statsResolvers() {
  return {
    offeringCount: (_: unknown, __: unknown, ctx: GraphContext) => ctx.collections.offerings.countDocuments({}),
    customerLinkCount: (_: unknown, __: unknown, ctx: GraphContext) => ctx.collections.customerLinks.countDocuments({}),
    customerCount: (_: unknown, __: unknown, ctx: GraphContext) => distinctCount(ctx, 'customerLinks', 'agencyCode'),
    providerCount: async (_: unknown, __: unknown, ctx: GraphContext) => {
      // Providers and partners are two fields; one $group over both keeps it one round trip each.
      const [providers, partners] = await Promise.all([
        countBy(ctx, 'offerings', [{ $group: { _id: '$providerId' } }]),
        countBy(ctx, 'offerings', [{ $unwind: '$partnerIds' }, { $group: { _id: '$partnerIds' } }]),
      ]);
      return new Set([...providers, ...partners].map((r) => r._id)).size;
    },
    byShelf: async (_: unknown, __: unknown, ctx: GraphContext) =>
      (await countBy(ctx, 'offerings', [{ $group: { _id: '$shelf', count: { $sum: 1 } } }]))
        .sort(inOrder(SHELF_ORDER)).map((r) => ({ shelf: r._id, count: r.count })),
    byVerification: async (_: unknown, __: unknown, ctx: GraphContext) =>
      (await countBy(ctx, 'offerings', [{ $group: { _id: '$verification', count: { $sum: 1 } } }]))
        .sort(inOrder(VERIFICATION_ORDER)).map((r) => ({ verification: r._id, count: r.count })),
    capabilityCoverage: async (_: unknown, { level }: { level: string }, ctx: GraphContext) => {
      const [entries, counts] = await Promise.all([
        ctx.collections.capabilities.find({ level: level as never }, { projection: { name: 1 } }).sort({ _id: 1 }).toArray(),
        countBy(ctx, 'offerings', [{ $unwind: '$capabilityPaths' }, { $group: { _id: '$capabilityPaths', count: { $sum: 1 } } }]),
      ]);
      const byCode = new Map(counts.map((r) => [r._id, r.count]));
      return entries.map((e) => ({ code: e._id, name: e.name, offeringCount: byCode.get(e._id) ?? 0 }));
    },
  };
}
