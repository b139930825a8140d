import { offeringResolvers } from '@qsmo/shared/marketplace';
import type { GrantsManagementOfferingResolvers } from '../generated/resolvers-types';

/** A Grants Management offering. */
export const GrantsManagementOffering: GrantsManagementOfferingResolvers = { ...offeringResolvers };
