import { capabilityResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { HumanResourcesCapabilityResolvers } from '../generated/resolvers-types';
import { entry } from '../entry';

/**
 * An entry of the FIBF HCM standard. OPM publishes HCM in one file per HCBRM
 * functional area, and the reader records that area on every entry; the
 * other QSMOs' standards have no such grouping.
 */
export const HumanResourcesCapability: HumanResourcesCapabilityResolvers = {
  ...capabilityResolvers(entry),
  hcbrmArea: (doc) => {
    if (!doc.subArea) throw new Error(`FIBF entry ${doc._id} has no HCBRM functional area; every HCM file names one.`);
    return doc.subArea;
  },
};
