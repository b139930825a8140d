import { providerDomainResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { ProviderAcquisitionResolvers } from '../generated/resolvers-types';

/** A provider's part in the Acquisition marketplace. */
export const ProviderAcquisition: ProviderAcquisitionResolvers = { ...providerDomainResolvers };
