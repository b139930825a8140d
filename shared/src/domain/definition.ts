import type { QsmoDomain } from '../catalog/types';

/**
 * What distinguishes one QSMO subgraph from another in the shared mechanics:
 * its domain, its GraphQL names and its defaults. Each subgraph package
 * declares one; everything else about the domain lives in that package.
 */
export interface DomainDefinition {
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
  /** Absolute path of the subgraph's schema.graphql. */
  schemaPath: string;
}
