import { statsResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { CybersecurityStatsResolvers } from '../generated/resolvers-types';

/** Analyst totals of the Cybersecurity marketplace. */
export const CybersecurityStats: CybersecurityStatsResolvers = { ...statsResolvers };
