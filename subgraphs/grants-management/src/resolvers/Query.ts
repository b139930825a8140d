import { referenceQueryResolvers, marketplaceRoot } from '@qsmo/subgraph-kit/marketplace';
import type { QueryResolvers } from '../generated/resolvers-types';

/** The root fields: the shared reference lookups, and Query.grantsManagement, the Grants Management marketplace. */
export const Query: QueryResolvers = { ...referenceQueryResolvers, grantsManagement: marketplaceRoot };
