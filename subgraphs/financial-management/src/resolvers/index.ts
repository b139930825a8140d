import { referenceQsmoResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { Resolvers } from '../generated/resolvers-types';
import { Query } from './Query';
import { Mutation } from './Mutation';
import { FinancialManagementChange } from './FinancialManagementChange';
import { Agency } from './Agency';
import { Provider } from './Provider';
import { FinancialManagement } from './FinancialManagement';
import { FinancialManagementOffering } from './FinancialManagementOffering';
import { FinancialManagementCapability } from './FinancialManagementCapability';
import { FinancialManagementCustomerLink } from './FinancialManagementCustomerLink';
import { FinancialManagementStats } from './FinancialManagementStats';
import { AgencyFinancialManagement } from './AgencyFinancialManagement';
import { ProviderFinancialManagement } from './ProviderFinancialManagement';

/** Every resolver of the Financial Management subgraph, one file per type; Qsmo is served as every subgraph serves it. */
export const resolvers: Resolvers = {
  Qsmo: referenceQsmoResolvers,
  Query,
  Mutation,
  FinancialManagementChange,
  Agency,
  Provider,
  FinancialManagement,
  FinancialManagementOffering,
  FinancialManagementCapability,
  FinancialManagementCustomerLink,
  FinancialManagementStats,
  AgencyFinancialManagement,
  ProviderFinancialManagement,
};
