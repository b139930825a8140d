import { customerLinkResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { GrantsManagementCustomerLinkResolvers } from '../generated/resolvers-types';

/** An agency listed as a customer of a Grants Management offering, with its source. */
export const GrantsManagementCustomerLink: GrantsManagementCustomerLinkResolvers = { ...customerLinkResolvers };
