import { referenceAgencyResolvers, agencyDomainOf } from '@qsmo/subgraph-kit/marketplace';
import type { AgencyResolvers } from '../generated/resolvers-types';

/** An agency, as every subgraph serves it, with Agency.cybersecurity: its use of this marketplace. */
export const Agency: AgencyResolvers = { ...referenceAgencyResolvers, cybersecurity: agencyDomainOf };
