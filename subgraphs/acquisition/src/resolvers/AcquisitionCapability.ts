import { capabilityResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { AcquisitionCapabilityResolvers } from '../generated/resolvers-types';
import { entry } from '../entry';

/** An entry of the FIBF ACQ standard (GSA's "Contract Writing" standard). */
export const AcquisitionCapability: AcquisitionCapabilityResolvers = { ...capabilityResolvers(entry) };
