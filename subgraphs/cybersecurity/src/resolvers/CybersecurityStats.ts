import { statsResolvers } from '@qsmo/shared/marketplace';
import type { CybersecurityStatsResolvers } from '../generated/resolvers-types';

/** Analyst totals of the Cybersecurity marketplace. */
export const CybersecurityStats: CybersecurityStatsResolvers = { ...statsResolvers };
