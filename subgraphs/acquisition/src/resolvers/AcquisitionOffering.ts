import { offeringResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { AcquisitionOfferingResolvers } from '../generated/resolvers-types';

/** A Acquisition offering. */
export const AcquisitionOffering: AcquisitionOfferingResolvers = { ...offeringResolvers };
