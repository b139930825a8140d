import { capabilityResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { CybersecurityCapabilityResolvers } from '../generated/resolvers-types';
import { entry } from '../entry';

/**
 * An entry of the FIBF CYB standard. CISA publishes it as two programmes'
 * files (SOC, the base, and CVD, which extends CYB.060); the reader records
 * which file(s) list each entry, joined with ";".
 */
export const CybersecurityCapability: CybersecurityCapabilityResolvers = {
  ...capabilityResolvers(entry),
  programs: (doc) => (doc.subArea ? doc.subArea.split(';') : []),
};
