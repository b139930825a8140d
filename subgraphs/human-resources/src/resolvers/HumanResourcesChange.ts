import { changeResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { HumanResourcesChangeResolvers } from '../generated/resolvers-types';

/** One record of the Human Resources audit trail. */
export const HumanResourcesChange: HumanResourcesChangeResolvers = changeResolvers;
