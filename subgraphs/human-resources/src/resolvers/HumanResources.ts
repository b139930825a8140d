import { namespaceResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { HumanResourcesResolvers } from '../generated/resolvers-types';
import { entry } from '../entry';

/** The Human Resources marketplace namespace: its QSMO, offerings, FIBF entries and totals. */
export const HumanResources: HumanResourcesResolvers = namespaceResolvers(entry);
