import path from 'node:path';
import type { DomainDefinition } from '@qsmo/shared';

/** The Human Resources QSMO subgraph: its names in the graph and its defaults. */
export const definition: DomainDefinition = {
  domain: 'HUMAN_RESOURCES',
  typePrefix: 'HumanResources',
  fieldName: 'humanResources',
  serviceName: 'human-resources',
  area: 'Human Resources',
  fibfPrefix: 'HCM',
  defaultPort: 4002,
  defaultDatabase: 'qsmo_human_resources',
  schemaPath: path.resolve(__dirname, '..', 'schema.graphql'),
};
