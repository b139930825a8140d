import { catalogMutations } from '@qsmo/shared/marketplace';
import type { MutationResolvers } from '../generated/resolvers-types';
import { entry } from '../entry';

const edits = catalogMutations(entry);

/** The Cybersecurity team's changes to its own catalog: audited, versioned, only for editors of this QSMO. */
export const Mutation: MutationResolvers = {
  createCybersecurityOffering: edits.create,
  updateCybersecurityOffering: edits.update,
  retireCybersecurityOffering: edits.retire,
  setCybersecurityOfferingCapabilities: edits.setCapabilities,
  addCybersecurityCustomerListing: edits.addListing,
  updateCybersecurityCustomerListing: edits.updateListing,
  removeCybersecurityCustomerListing: edits.removeListing,
};
