import { referenceQsmoResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { Resolvers } from '../generated/resolvers-types';
import { Query } from './Query';
import { Mutation } from './Mutation';
import { HumanResourcesChange } from './HumanResourcesChange';
import { Agency } from './Agency';
import { Provider } from './Provider';
import { HumanResources } from './HumanResources';
import { HumanResourcesOffering } from './HumanResourcesOffering';
import { HumanResourcesCapability } from './HumanResourcesCapability';
import { HumanResourcesCustomerLink } from './HumanResourcesCustomerLink';
import { HumanResourcesStats } from './HumanResourcesStats';
import { AgencyHumanResources } from './AgencyHumanResources';
import { ProviderHumanResources } from './ProviderHumanResources';

/** Every resolver of the Human Resources subgraph, one file per type; Qsmo is served as every subgraph serves it. */
export const resolvers: Resolvers = {
  Qsmo: referenceQsmoResolvers,
  Query,
  Mutation,
  HumanResourcesChange,
  Agency,
  Provider,
  HumanResources,
  HumanResourcesOffering,
  HumanResourcesCapability,
  HumanResourcesCustomerLink,
  HumanResourcesStats,
  AgencyHumanResources,
  ProviderHumanResources,
};
