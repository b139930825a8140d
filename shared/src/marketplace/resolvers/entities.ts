import type { GraphContext } from '../../context';
import type { AgencyDoc, ProviderDoc } from '../../reference/documents';

/**
 * The domain's contribution to the shared entities: Agency.<domain> and
 * Provider.<domain>, each a small object whose fields the domain resolves.
 */
export function agencyDomainResolvers() {
  return {
    offerings: (parent: { agencyCode: string }, _: unknown, ctx: GraphContext) => ctx.loaders.offeringsByCustomer.load(parent.agencyCode),
    offeringCount: (parent: { agencyCode: string }, _: unknown, ctx: GraphContext) => ctx.loaders.offeringCountByCustomer.load(parent.agencyCode),
  };
}

export function providerDomainResolvers() {
  return {
    offerings: (parent: { providerId: string }, _: unknown, ctx: GraphContext) => ctx.loaders.offeringsByProvider.load(parent.providerId),
    // A provider has a handful of offerings and the loader batches them: counting what it loads is one query per batch.
    offeringCount: async (parent: { providerId: string }, _: unknown, ctx: GraphContext) => (await ctx.loaders.offeringsByProvider.load(parent.providerId)).length,
  };
}

export const agencyDomainField = (agency: AgencyDoc) => ({ agencyCode: agency._id });
export const providerDomainField = (provider: ProviderDoc) => ({ providerId: provider._id });
