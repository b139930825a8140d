import { namespaceResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { GrantsManagementResolvers } from '../generated/resolvers-types';
import { entry } from '../entry';

/** The Grants Management marketplace namespace: its QSMO, offerings, FIBF entries and totals. */
export const GrantsManagement: GrantsManagementResolvers = namespaceResolvers(entry);
