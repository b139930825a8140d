import { providerDomainResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { ProviderGrantsManagementResolvers } from '../generated/resolvers-types';

/** A provider's part in the Grants Management marketplace. */
export const ProviderGrantsManagement: ProviderGrantsManagementResolvers = { ...providerDomainResolvers };
