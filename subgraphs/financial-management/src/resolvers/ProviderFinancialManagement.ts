import { providerDomainResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { ProviderFinancialManagementResolvers } from '../generated/resolvers-types';

/** A provider's part in the Financial Management marketplace. */
export const ProviderFinancialManagement: ProviderFinancialManagementResolvers = { ...providerDomainResolvers };
