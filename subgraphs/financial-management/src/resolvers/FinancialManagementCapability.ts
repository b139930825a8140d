import { capabilityResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { FinancialManagementCapabilityResolvers } from '../generated/resolvers-types';
import { entry } from '../entry';

/** An entry of the Financial Management FIBF standard. */
export const FinancialManagementCapability: FinancialManagementCapabilityResolvers = { ...capabilityResolvers(entry) };
