import { referenceQueryResolvers, marketplaceRoot } from '@qsmo/subgraph-kit/marketplace';
import type { QueryResolvers } from '../generated/resolvers-types';

/** The root fields: the shared reference lookups, and Query.cybersecurity, the Cybersecurity marketplace. */
export const Query: QueryResolvers = { ...referenceQueryResolvers, cybersecurity: marketplaceRoot };
