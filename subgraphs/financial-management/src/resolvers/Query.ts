import { referenceQueryResolvers, marketplaceRoot } from '@qsmo/subgraph-kit/marketplace';
import type { QueryResolvers } from '../generated/resolvers-types';

/** The root fields: the shared reference lookups, and Query.financialManagement, the Financial Management marketplace. */
export const Query: QueryResolvers = { ...referenceQueryResolvers, financialManagement: marketplaceRoot };
