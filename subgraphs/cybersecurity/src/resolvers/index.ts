import { referenceQsmoResolvers } from '@qsmo/subgraph-kit/marketplace';
import type { Resolvers } from '../generated/resolvers-types';
import { Query } from './Query';
import { Mutation } from './Mutation';
import { CybersecurityChange } from './CybersecurityChange';
import { Agency } from './Agency';
import { Provider } from './Provider';
import { Cybersecurity } from './Cybersecurity';
import { CybersecurityOffering } from './CybersecurityOffering';
import { CybersecurityCapability } from './CybersecurityCapability';
import { CybersecurityCustomerLink } from './CybersecurityCustomerLink';
import { CybersecurityStats } from './CybersecurityStats';
import { AgencyCybersecurity } from './AgencyCybersecurity';
import { ProviderCybersecurity } from './ProviderCybersecurity';

/** Every resolver of the Cybersecurity subgraph, one file per type; Qsmo is served as every subgraph serves it. */
export const resolvers: Resolvers = {
  Qsmo: referenceQsmoResolvers,
  Query,
  Mutation,
  CybersecurityChange,
  Agency,
  Provider,
  Cybersecurity,
  CybersecurityOffering,
  CybersecurityCapability,
  CybersecurityCustomerLink,
  CybersecurityStats,
  AgencyCybersecurity,
  ProviderCybersecurity,
};
