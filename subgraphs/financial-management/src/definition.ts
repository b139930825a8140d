import path from 'node:path';
import type { DomainDefinition } from '@qsmo/shared';

/** The Financial Management QSMO subgraph: its names in the graph and its defaults. */
export const definition: DomainDefinition = {
  domain: 'FINANCIAL_MANAGEMENT',
  typePrefix: 'FinancialManagement',
  fieldName: 'financialManagement',
  serviceName: 'financial-management',
  area: 'Financial Management',
  fibfPrefix: 'FFM',
  defaultPort: 4001,
  defaultDatabase: 'qsmo_financial_management',
  schemaPath: path.resolve(__dirname, '..', 'schema.graphql'),
};
