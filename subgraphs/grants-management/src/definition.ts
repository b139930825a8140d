import path from 'node:path';
import type { DomainDefinition } from '@qsmo/shared';

/** The Grants Management QSMO subgraph: its names in the graph and its defaults. */
export const definition: DomainDefinition = {
  domain: 'GRANTS_MANAGEMENT',
  typePrefix: 'GrantsManagement',
  fieldName: 'grantsManagement',
  serviceName: 'grants-management',
  area: 'Grants Management',
  fibfPrefix: 'GRM',
  defaultPort: 4003,
  defaultDatabase: 'qsmo_grants_management',
  schemaPath: path.resolve(__dirname, '..', 'schema.graphql'),
};
