import { customerLinkResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { AcquisitionCustomerLinkResolvers } from '../generated/resolvers-types';

/** An agency listed as a customer of a Acquisition offering, with its source. */
export const AcquisitionCustomerLink: AcquisitionCustomerLinkResolvers = { ...customerLinkResolvers };
