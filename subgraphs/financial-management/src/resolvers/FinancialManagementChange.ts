import { changeResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { FinancialManagementChangeResolvers } from '../generated/resolvers-types';

/** One record of the Financial Management audit trail. */
export const FinancialManagementChange: FinancialManagementChangeResolvers = changeResolvers;
