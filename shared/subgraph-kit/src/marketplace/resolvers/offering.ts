import type { GraphContext } from '../../context';
import type { CapabilityDoc } from '../../domain/data';
import type { MarketplaceOfferingResolvers } from '../generated/resolvers-types';
import { agencyCode, optionalStatedWindow } from '@qsmo/service-kit/validation';
import { customerLinkId } from '../../domain/catalog';
import { versionOf } from '../../domain/changes';
import { requireAuditReader } from './catalog-edits';

/** The fields every marketplace's <Domain>Offering resolves alike; a subgraph spreads them into its own. */
export const offeringResolvers = {
  __resolveReference: (ref: { id: string }, ctx: GraphContext) => ctx.loaders.offering.load(ref.id),
  id: (doc) => doc._id,
  provider: async (doc, _, ctx) => {
    const provider = await ctx.loaders.provider.load(doc.providerId);
    // Seeding checks every provider id, so a miss means the reference data is damaged.
    if (!provider) throw new Error(`Offering ${doc._id} names provider ${doc.providerId}, which is not in the reference data.`);
    return provider;
  },
  partners: async (doc, _, ctx) => (await ctx.loaders.provider.loadMany(doc.partnerIds)).filter(present),
  capabilities: async (doc, _, ctx) => (await ctx.loaders.capability.loadMany(doc.capabilityCodes)).filter(present) as CapabilityDoc[],
  customers: async (doc, _, ctx) => (await ctx.loaders.agency.loadMany(doc.customerCodes)).filter(present),
  customerCount: (doc) => doc.customerCodes.length,
  customerLinks: (doc, { since, until }, ctx) => {
    const window = optionalStatedWindow(since, until);
    return (window === undefined ? ctx.loaders.customerLinksByOffering : ctx.loaders.customerLinksByOfferingSince(window)).load(doc._id);
  },
  customerLink: (doc, args, ctx) => ctx.loaders.customerLink.load(customerLinkId(doc._id, agencyCode(args.agencyCode, 'agencyCode'))),
  version: (doc) => versionOf(doc),
  history: (doc, _, ctx) => {
    requireAuditReader(ctx.identity, doc.domain, 'history');
    return ctx.collections.changes.find({ offeringId: doc._id, state: 'committed' }).sort({ version: 1 }).toArray();
  },
} satisfies MarketplaceOfferingResolvers;

/** Keeps loaded documents, dropping misses; a loader error is rethrown, never hidden. */
export function present<T>(value: T | Error | null | undefined): value is T {
  if (value instanceof Error) throw value;
  return value !== null && value !== undefined;
}
