import { customerLinkResolvers } from '@qsmo/shared/marketplace';
import type { FinancialManagementCustomerLinkResolvers } from '../generated/resolvers-types';

/** An agency listed as a customer of a Financial Management offering, with its source. */
export const FinancialManagementCustomerLink: FinancialManagementCustomerLinkResolvers = { ...customerLinkResolvers };
