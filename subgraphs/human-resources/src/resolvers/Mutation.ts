import { catalogMutations } from '@qsmo/shared/marketplace';
import type { MutationResolvers } from '../generated/resolvers-types';
import { entry } from '../entry';

const edits = catalogMutations(entry);

/** The Human Resources team's changes to its own catalog: audited, versioned, only for editors of this QSMO. */
export const Mutation: MutationResolvers = {
  createHumanResourcesOffering: edits.create,
  updateHumanResourcesOffering: edits.update,
  retireHumanResourcesOffering: edits.retire,
  setHumanResourcesOfferingCapabilities: edits.setCapabilities,
  addHumanResourcesCustomerListing: edits.addListing,
  updateHumanResourcesCustomerListing: edits.updateListing,
  removeHumanResourcesCustomerListing: edits.removeListing,
};
