import { capabilityResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { GrantsManagementCapabilityResolvers } from '../generated/resolvers-types';
import { entry } from '../entry';

/** An entry of the Grants Management FIBF standard. */
export const GrantsManagementCapability: GrantsManagementCapabilityResolvers = { ...capabilityResolvers(entry) };
