import { referenceQueryResolvers, marketplaceRoot } from '@qsmo/subgraph-kit/marketplace';
import type { QueryResolvers } from '../generated/resolvers-types';

/** The root fields: the shared reference lookups, and Query.humanResources, the Human Resources marketplace. */
export const Query: QueryResolvers = { ...referenceQueryResolvers, humanResources: marketplaceRoot };
