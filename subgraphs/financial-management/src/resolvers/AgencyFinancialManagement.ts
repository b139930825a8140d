import { agencyDomainResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { AgencyFinancialManagementResolvers } from '../generated/resolvers-types';

/** An agency's use of the Financial Management marketplace. */
export const AgencyFinancialManagement: AgencyFinancialManagementResolvers = { ...agencyDomainResolvers };
