import { providerDomainResolvers } from '@qsmo/shared/marketplace';
import type { ProviderAcquisitionResolvers } from '../generated/resolvers-types';

/** A provider's part in the Acquisition marketplace. */
export const ProviderAcquisition: ProviderAcquisitionResolvers = { ...providerDomainResolvers };
