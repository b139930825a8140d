import { offeringResolvers } from '@qsmo/shared/marketplace';
import type { CybersecurityOfferingResolvers } from '../generated/resolvers-types';

/** A Cybersecurity offering. */
export const CybersecurityOffering: CybersecurityOfferingResolvers = { ...offeringResolvers };
