import { customerLinkResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { CybersecurityCustomerLinkResolvers } from '../generated/resolvers-types';

/** An agency listed as a customer of a Cybersecurity offering, with its source. */
export const CybersecurityCustomerLink: CybersecurityCustomerLinkResolvers = { ...customerLinkResolvers };
