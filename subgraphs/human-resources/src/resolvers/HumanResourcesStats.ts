import { statsResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { HumanResourcesStatsResolvers } from '../generated/resolvers-types';

/** Analyst totals of the Human Resources marketplace. */
export const HumanResourcesStats: HumanResourcesStatsResolvers = { ...statsResolvers };
