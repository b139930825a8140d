import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { referenceResolvers } from '../../reference/resolvers';
import type { DomainDefinition } from '../definition';
import { capabilityResolvers } from './capability';
import { customerLinkResolvers } from './customer-link';
import { agencyDomainField, agencyDomainResolvers, providerDomainField, providerDomainResolvers } from './entities';
import { namespaceResolvers } from './namespace';
import { offeringResolvers } from './offering';
import { statsResolvers } from './stats';

/**
 * The full resolver map of a QSMO subgraph: the shared reference types plus
 * the domain's types, named after the domain (FinancialManagementOffering...).
 */
export function createResolvers(def: DomainDefinition, extra: GraphQLResolverMap<unknown> = {}): GraphQLResolverMap<unknown> {
  const p = def.typePrefix;
  const map: Record<string, Record<string, unknown>> = {
    ...referenceResolvers,
    Query: { ...referenceResolvers.Query, [def.fieldName]: () => ({}) },
    Agency: { ...referenceResolvers.Agency, [def.fieldName]: agencyDomainField },
    Provider: { ...referenceResolvers.Provider, [def.fieldName]: providerDomainField },
    [p]: namespaceResolvers(),
    [`${p}Offering`]: offeringResolvers(),
    [`${p}Capability`]: capabilityResolvers(def),
    [`${p}CustomerLink`]: customerLinkResolvers(),
    [`${p}Stats`]: statsResolvers(),
    [`Agency${p}`]: agencyDomainResolvers(),
    [`Provider${p}`]: providerDomainResolvers(),
  };
  for (const [type, fields] of Object.entries(extra)) map[type] = { ...(map[type] ?? {}), ...(fields as object) };
  return map as GraphQLResolverMap<unknown>;
}
