import { offeringResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { CybersecurityOfferingResolvers } from '../generated/resolvers-types';

/** A Cybersecurity offering. */
export const CybersecurityOffering: CybersecurityOfferingResolvers = { ...offeringResolvers };
