import { changeResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { GrantsManagementChangeResolvers } from '../generated/resolvers-types';

/** One record of the Grants Management audit trail. */
export const GrantsManagementChange: GrantsManagementChangeResolvers = changeResolvers;
