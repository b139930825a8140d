import { statsResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { AcquisitionStatsResolvers } from '../generated/resolvers-types';

/** Analyst totals of the Acquisition marketplace. */
export const AcquisitionStats: AcquisitionStatsResolvers = { ...statsResolvers };
