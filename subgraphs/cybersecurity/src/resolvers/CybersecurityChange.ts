import { changeResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { CybersecurityChangeResolvers } from '../generated/resolvers-types';

/** One record of the Cybersecurity audit trail. */
export const CybersecurityChange: CybersecurityChangeResolvers = changeResolvers;
