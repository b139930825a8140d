import type { StatedOn } from '@qsmo/catalog/types';
import { listingVerification } from '../../domain/listing-verification';
import type { DatePrecision, MarketplaceCustomerLinkResolvers } from '../generated/resolvers-types';

/** The catalog names a day DATE; the public enum names precisions, where DAY reads as one. */
const PRECISION: Record<StatedOn['kind'], DatePrecision> = { DATE: 'DAY', MONTH: 'MONTH', YEAR: 'YEAR', FISCAL_YEAR: 'FISCAL_YEAR' };

/** <Domain>CustomerLink: an agency listed as an offering's customer, with its source and the date that source gives. */
export const customerLinkResolvers = {
  agency: async (doc, _, ctx) => {
    const agency = await ctx.loaders.agency.load(doc.agencyCode);
    // Seeding checks every agency code, so a miss means the reference data is damaged.
    if (!agency) throw new Error(`Customer listing ${doc._id} names agency ${doc.agencyCode}, which is not in the reference data.`);
    return agency;
  },
  statedOn: (doc) =>
    doc.statedOn ? { value: doc.statedOn.value, precision: PRECISION[doc.statedOn.kind], from: doc.statedOn.from, to: doc.statedOn.to } : null,
  caveat: (doc) => doc.caveat ?? null,
  // An editor's verification, given with the listing's last change, stands; the reference listings are graded from their sources.
  verification: (doc) => doc.verification ?? listingVerification(doc.sources),
} satisfies MarketplaceCustomerLinkResolvers;
