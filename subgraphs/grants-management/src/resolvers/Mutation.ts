import { catalogMutationResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { MutationResolvers } from '../generated/resolvers-types';
import { entry } from '../entry';

/** The Grants Management team's changes to its own catalog: audited, versioned, only for editors of this QSMO. */
export const Mutation = catalogMutationResolvers(entry) satisfies Required<MutationResolvers>;
