import { referenceQueryResolvers, marketplaceRoot } from '@qsmo/subgraph-kit/marketplace';
import type { QueryResolvers } from '../generated/resolvers-types';

/** The root fields: the shared reference lookups, and Query.acquisition, the Acquisition marketplace. */
export const Query: QueryResolvers = { ...referenceQueryResolvers, acquisition: marketplaceRoot };
