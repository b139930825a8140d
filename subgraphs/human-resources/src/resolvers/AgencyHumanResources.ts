import { agencyDomainResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { AgencyHumanResourcesResolvers } from '../generated/resolvers-types';

/** An agency's use of the Human Resources marketplace. */
export const AgencyHumanResources: AgencyHumanResourcesResolvers = { ...agencyDomainResolvers };
