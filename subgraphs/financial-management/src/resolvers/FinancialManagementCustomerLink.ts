import { customerLinkResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { FinancialManagementCustomerLinkResolvers } from '../generated/resolvers-types';

/** An agency listed as a customer of a Financial Management offering, with its source. */
export const FinancialManagementCustomerLink: FinancialManagementCustomerLinkResolvers = { ...customerLinkResolvers };
