import { catalogMutations } from '@qsmo/shared/marketplace';
import type { MutationResolvers } from '../generated/resolvers-types';
import { entry } from '../entry';

const edits = catalogMutations(entry);

/** The Financial Management team's changes to its own catalog: audited, versioned, only for editors of this QSMO. */
export const Mutation: MutationResolvers = {
  createFinancialManagementOffering: edits.create,
  updateFinancialManagementOffering: edits.update,
  retireFinancialManagementOffering: edits.retire,
  setFinancialManagementOfferingCapabilities: edits.setCapabilities,
  addFinancialManagementCustomerListing: edits.addListing,
  updateFinancialManagementCustomerListing: edits.updateListing,
  removeFinancialManagementCustomerListing: edits.removeListing,
};
