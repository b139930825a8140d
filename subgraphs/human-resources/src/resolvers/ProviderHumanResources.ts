import { providerDomainResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { ProviderHumanResourcesResolvers } from '../generated/resolvers-types';

/** A provider's part in the Human Resources marketplace. */
export const ProviderHumanResources: ProviderHumanResourcesResolvers = { ...providerDomainResolvers };
