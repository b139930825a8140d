import type { MarketplaceCustomerLinkResolvers } from '../generated/resolvers-types';

/** <Domain>CustomerLink: an agency listed as an offering's customer, with its source. */
export const customerLinkResolvers = {
  agency: async (doc, _, ctx) => {
    const agency = await ctx.loaders.agency.load(doc.agencyCode);
    // Seeding checks every agency code, so a miss means the reference data is damaged.
    if (!agency) throw new Error(`Customer listing ${doc._id} names agency ${doc.agencyCode}, which is not in the reference data.`);
    return agency;
  },
} satisfies MarketplaceCustomerLinkResolvers;
