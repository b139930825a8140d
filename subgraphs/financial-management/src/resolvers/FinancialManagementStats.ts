import { statsResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { FinancialManagementStatsResolvers } from '../generated/resolvers-types';

/** Analyst totals of the Financial Management marketplace. */
export const FinancialManagementStats: FinancialManagementStatsResolvers = { ...statsResolvers };
