import { offeringResolvers, present } from '@qsmo/subgraph-kit/marketplace';
import type { CapabilityDoc } from '@qsmo/subgraph-kit/marketplace/types';
import type { GrantsManagementOfferingResolvers } from '../generated/resolvers-types';

/** A function code has two parts (GRM.030); its activities three (GRM.030.010). */
const isFunctionCode = (code: string) => code.split('.').length === 2;

/**
 * A Grants Management offering. Only the Grants marketplace maps its offerings
 * to FIBF activities, so only it can say which functions an offering serves:
 * the stored capability paths already hold every listed code's ancestors.
 */
export const GrantsManagementOffering: GrantsManagementOfferingResolvers = {
  ...offeringResolvers,
  functions: async (doc, _, ctx) => (await ctx.loaders.capability.loadMany(doc.capabilityPaths.filter(isFunctionCode))).filter(present) as CapabilityDoc[],
};
