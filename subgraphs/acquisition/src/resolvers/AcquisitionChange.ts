import { changeResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { AcquisitionChangeResolvers } from '../generated/resolvers-types';

/** One record of the Acquisition audit trail. */
export const AcquisitionChange: AcquisitionChangeResolvers = changeResolvers;
