import { referenceQsmoResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { Resolvers } from '../generated/resolvers-types';
import { Query } from './Query';
import { Mutation } from './Mutation';
import { GrantsManagementChange } from './GrantsManagementChange';
import { Agency } from './Agency';
import { Provider } from './Provider';
import { GrantsManagement } from './GrantsManagement';
import { GrantsManagementOffering } from './GrantsManagementOffering';
import { GrantsManagementCapability } from './GrantsManagementCapability';
import { GrantsManagementCustomerLink } from './GrantsManagementCustomerLink';
import { GrantsManagementStats } from './GrantsManagementStats';
import { AgencyGrantsManagement } from './AgencyGrantsManagement';
import { ProviderGrantsManagement } from './ProviderGrantsManagement';

/** Every resolver of the Grants Management subgraph, one file per type; Qsmo is served as every subgraph serves it. */
export const resolvers: Resolvers = {
  Qsmo: referenceQsmoResolvers,
  Query,
  Mutation,
  GrantsManagementChange,
  Agency,
  Provider,
  GrantsManagement,
  GrantsManagementOffering,
  GrantsManagementCapability,
  GrantsManagementCustomerLink,
  GrantsManagementStats,
  AgencyGrantsManagement,
  ProviderGrantsManagement,
};
