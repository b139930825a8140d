import { referenceQsmoResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { Resolvers } from '../generated/resolvers-types';
import { Query } from './Query';
import { Mutation } from './Mutation';
import { AcquisitionChange } from './AcquisitionChange';
import { Agency } from './Agency';
import { Provider } from './Provider';
import { Acquisition } from './Acquisition';
import { AcquisitionOffering } from './AcquisitionOffering';
import { AcquisitionCapability } from './AcquisitionCapability';
import { AcquisitionCustomerLink } from './AcquisitionCustomerLink';
import { AcquisitionStats } from './AcquisitionStats';
import { AgencyAcquisition } from './AgencyAcquisition';
import { ProviderAcquisition } from './ProviderAcquisition';

/** Every resolver of the Acquisition subgraph, one file per type; Qsmo is served as every subgraph serves it. */
export const resolvers: Resolvers = {
  Qsmo: referenceQsmoResolvers,
  Query,
  Mutation,
  AcquisitionChange,
  Agency,
  Provider,
  Acquisition,
  AcquisitionOffering,
  AcquisitionCapability,
  AcquisitionCustomerLink,
  AcquisitionStats,
  AgencyAcquisition,
  ProviderAcquisition,
};
