import { agencyDomainResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { AgencyGrantsManagementResolvers } from '../generated/resolvers-types';

/** An agency's use of the Grants Management marketplace. */
export const AgencyGrantsManagement: AgencyGrantsManagementResolvers = { ...agencyDomainResolvers };
