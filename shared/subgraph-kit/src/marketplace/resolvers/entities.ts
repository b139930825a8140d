import type { AgencyDoc, ProviderDoc } from '../../reference/documents';
import type { MarketplaceRoot } from '../types';
import type { AgencyMarketplaceResolvers, ProviderMarketplaceResolvers } from '../generated/resolvers-types';
import { optionalStatedWindow } from '@qsmo/service-kit/validation';

/**
 * The domain's contribution to the shared entities: Agency.<domain> and
 * Provider.<domain> resolve to a small object naming the agency or provider,
 * whose fields the domain resolves.
 */
export const agencyDomainOf = (agency: AgencyDoc) => ({ agencyCode: agency._id });
export const providerDomainOf = (provider: ProviderDoc) => ({ providerId: provider._id });

/** Query.<domain>: the namespace holds nothing itself. */
export const marketplaceRoot = (): MarketplaceRoot => ({});

export const agencyDomainResolvers = {
  offerings: (parent, { since, until }, ctx) => {
    const window = optionalStatedWindow(since, until);
    return (window === undefined ? ctx.loaders.offeringsByCustomer : ctx.loaders.offeringsByCustomerSince(window)).load(parent.agencyCode);
  },
  offeringCount: (parent, { since, until }, ctx) => {
    const window = optionalStatedWindow(since, until);
    return (window === undefined ? ctx.loaders.offeringCountByCustomer : ctx.loaders.offeringCountByCustomerSince(window)).load(parent.agencyCode);
  },
} satisfies AgencyMarketplaceResolvers;

export const providerDomainResolvers = {
  offerings: (parent, _, ctx) => ctx.loaders.offeringsByProvider.load(parent.providerId),
  // A provider has a handful of offerings and the loader batches them: counting what it loads is one query per batch.
  offeringCount: async (parent, _, ctx) => (await ctx.loaders.offeringsByProvider.load(parent.providerId)).length,
} satisfies ProviderMarketplaceResolvers;
