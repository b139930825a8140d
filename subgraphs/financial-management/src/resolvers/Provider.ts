import { referenceProviderResolvers, providerDomainOf } from '@qsmo/subgraph-kit/marketplace';
import type { ProviderResolvers } from '../generated/resolvers-types';

/** A provider, as every subgraph serves it, with Provider.financialManagement: its part in this marketplace. */
export const Provider: ProviderResolvers = { ...referenceProviderResolvers, financialManagement: providerDomainOf };
