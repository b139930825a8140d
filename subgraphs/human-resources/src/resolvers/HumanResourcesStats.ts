import { statsResolvers } from '@qsmo/shared/marketplace';
import type { HumanResourcesStatsResolvers } from '../generated/resolvers-types';

/** Analyst totals of the Human Resources marketplace. */
export const HumanResourcesStats: HumanResourcesStatsResolvers = { ...statsResolvers };
