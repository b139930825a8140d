import { namespaceResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { FinancialManagementResolvers } from '../generated/resolvers-types';
import { entry } from '../entry';

/** The Financial Management marketplace namespace: its QSMO, offerings, FIBF entries and totals. */
export const FinancialManagement: FinancialManagementResolvers = namespaceResolvers(entry);
