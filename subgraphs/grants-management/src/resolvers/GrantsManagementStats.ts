import { statsResolvers } from '@qsmo/shared/marketplace';
import type { GrantsManagementStatsResolvers } from '../generated/resolvers-types';

/** Analyst totals of the Grants Management marketplace. */
export const GrantsManagementStats: GrantsManagementStatsResolvers = { ...statsResolvers };
