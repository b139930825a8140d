import { agencyDomainResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { AgencyAcquisitionResolvers } from '../generated/resolvers-types';

/** An agency's use of the Acquisition marketplace. */
export const AgencyAcquisition: AgencyAcquisitionResolvers = { ...agencyDomainResolvers };
