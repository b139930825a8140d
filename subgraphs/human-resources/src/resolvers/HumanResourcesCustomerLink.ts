import { customerLinkResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { HumanResourcesCustomerLinkResolvers } from '../generated/resolvers-types';

/** An agency listed as a customer of a Human Resources offering, with its source. */
export const HumanResourcesCustomerLink: HumanResourcesCustomerLinkResolvers = { ...customerLinkResolvers };
