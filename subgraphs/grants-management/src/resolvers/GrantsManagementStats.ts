import { statsResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { GrantsManagementStatsResolvers } from '../generated/resolvers-types';

/** Analyst totals of the Grants Management marketplace. */
export const GrantsManagementStats: GrantsManagementStatsResolvers = { ...statsResolvers };
