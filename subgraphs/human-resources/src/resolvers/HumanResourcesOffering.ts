import { offeringResolvers } from '@qsmo/shared/marketplace';
import type { HumanResourcesOfferingResolvers } from '../generated/resolvers-types';

/** A Human Resources offering. */
export const HumanResourcesOffering: HumanResourcesOfferingResolvers = { ...offeringResolvers };
