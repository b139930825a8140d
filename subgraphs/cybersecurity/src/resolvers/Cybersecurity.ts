import { namespaceResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { CybersecurityResolvers } from '../generated/resolvers-types';
import { entry } from '../entry';

/** The Cybersecurity marketplace namespace: its QSMO, offerings, FIBF entries and totals. */
export const Cybersecurity: CybersecurityResolvers = namespaceResolvers(entry);
