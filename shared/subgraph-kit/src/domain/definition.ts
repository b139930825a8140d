import type { buildSubgraphSchema } from '@apollo/subgraph';
import type { DocumentNode } from 'graphql';
import { defaultDatabaseOf, ownSchemaPathOf, type QsmoDomain, type SubgraphEntry } from '@qsmo/service-kit/subgraphs';

/** A schema module as buildSubgraphSchema takes them (the package exports the function, not the type). */
type SchemaModule = Exclude<Extract<Parameters<typeof buildSubgraphSchema>[0], readonly unknown[]>[number], DocumentNode>;

/** The resolver map buildSubgraphSchema takes; each subgraph's generated `Resolvers` type is assignable to it. */
export type SubgraphResolverMap = NonNullable<SchemaModule['resolvers']>;

/**
 * One QSMO subgraph as the shared mechanics see it: its entry in the list of
 * subgraphs (names, defaults) and the resolvers its package wrote. Each
 * subgraph package builds one with defineSubgraph.
 */
export interface DomainDefinition {
  entry: SubgraphEntry;
  domain: QsmoDomain;
  /** Prefix of the domain's GraphQL types, e.g. "FinancialManagement". */
  typePrefix: string;
  /** Field of Query, Agency and Provider for the domain, e.g. "financialManagement". */
  fieldName: string;
  /** Service name used in the supergraph, logs and metrics, e.g. "financial-management". */
  serviceName: string;
  /** Human name of the area, used in messages, e.g. "Financial Management". */
  area: string;
  /** FIBF service area code, e.g. "FFM". */
  fibfPrefix: string;
  defaultPort: number;
  defaultDatabase: string;
  /** Absolute path of the subgraph's own schema.graphql. */
  schemaPath: string;
  /** The subgraph's resolvers, type-checked against its generated resolver types. */
  resolvers: SubgraphResolverMap;
}

export function defineSubgraph(entry: SubgraphEntry, resolvers: SubgraphResolverMap): DomainDefinition {
  return {
    entry,
    domain: entry.domain as QsmoDomain,
    typePrefix: entry.typePrefix,
    fieldName: entry.fieldName,
    serviceName: entry.name,
    area: entry.area,
    fibfPrefix: entry.fibfPrefix,
    defaultPort: entry.port,
    defaultDatabase: defaultDatabaseOf(entry),
    schemaPath: ownSchemaPathOf(entry),
    resolvers,
  };
}
