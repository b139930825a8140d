import path from 'node:path';
import type { DomainDefinition } from '@qsmo/shared';

/** The Cybersecurity QSMO subgraph: its names in the graph and its defaults. */
export const definition: DomainDefinition = {
  domain: 'CYBERSECURITY',
  typePrefix: 'Cybersecurity',
  fieldName: 'cybersecurity',
  serviceName: 'cybersecurity',
  area: 'Cybersecurity',
  fibfPrefix: 'CYB',
  defaultPort: 4004,
  defaultDatabase: 'qsmo_cybersecurity',
  schemaPath: path.resolve(__dirname, '..', 'schema.graphql'),
};
