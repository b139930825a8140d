import { namespaceResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { AcquisitionResolvers } from '../generated/resolvers-types';
import { entry } from '../entry';

/** The Acquisition marketplace namespace: its QSMO, offerings, FIBF entries and totals. */
export const Acquisition: AcquisitionResolvers = namespaceResolvers(entry);
