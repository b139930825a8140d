import { offeringResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { HumanResourcesOfferingResolvers } from '../generated/resolvers-types';

/** A Human Resources offering. */
export const HumanResourcesOffering: HumanResourcesOfferingResolvers = { ...offeringResolvers };
