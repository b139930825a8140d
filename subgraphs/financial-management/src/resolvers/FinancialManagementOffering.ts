import { offeringResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { FinancialManagementOfferingResolvers } from '../generated/resolvers-types';

/** A Financial Management offering. */
export const FinancialManagementOffering: FinancialManagementOfferingResolvers = { ...offeringResolvers };
