import { providerDomainResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { ProviderCybersecurityResolvers } from '../generated/resolvers-types';

/** A provider's part in the Cybersecurity marketplace. */
export const ProviderCybersecurity: ProviderCybersecurityResolvers = { ...providerDomainResolvers };
