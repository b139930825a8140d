import { catalogMutations } from '@qsmo/shared/marketplace';
import type { MutationResolvers } from '../generated/resolvers-types';
import { entry } from '../entry';

const edits = catalogMutations(entry);

/** The Grants Management team's changes to its own catalog: audited, versioned, only for editors of this QSMO. */
export const Mutation: MutationResolvers = {
  createGrantsManagementOffering: edits.create,
  updateGrantsManagementOffering: edits.update,
  retireGrantsManagementOffering: edits.retire,
  setGrantsManagementOfferingCapabilities: edits.setCapabilities,
  addGrantsManagementCustomerListing: edits.addListing,
  updateGrantsManagementCustomerListing: edits.updateListing,
  removeGrantsManagementCustomerListing: edits.removeListing,
};
