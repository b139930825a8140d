import { agencyDomainResolvers } from '@qsmo/shared/marketplace';
import type { AgencyHumanResourcesResolvers } from '../generated/resolvers-types';

/** An agency's use of the Human Resources marketplace. */
export const AgencyHumanResources: AgencyHumanResourcesResolvers = { ...agencyDomainResolvers };
