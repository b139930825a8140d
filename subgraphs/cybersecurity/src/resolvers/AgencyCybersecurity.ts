import { agencyDomainResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { AgencyCybersecurityResolvers } from '../generated/resolvers-types';

/** An agency's use of the Cybersecurity marketplace. */
export const AgencyCybersecurity: AgencyCybersecurityResolvers = { ...agencyDomainResolvers };
