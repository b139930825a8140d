import path from 'node:path';
import { REPO_ROOT } from '@qsmo/shared';

/** The four QSMO subgraphs the gateway composes, with their local defaults. */
export interface SubgraphEndpoint {
  /** Service name in the supergraph (also the folder under subgraphs/). */
  name: string;
  /** Human name of the area, used in error messages to clients. */
  area: string;
  url: string;
}

export const SUBGRAPHS = [
  { name: 'financial-management', area: 'Financial Management', port: 4001 },
  { name: 'human-resources', area: 'Human Resources', port: 4002 },
  { name: 'grants-management', area: 'Grants Management', port: 4003 },
  { name: 'cybersecurity', area: 'Cybersecurity', port: 4004 },
] as const;

export type SubgraphName = (typeof SUBGRAPHS)[number]['name'];

/** FINANCIAL_MANAGEMENT_URL etc.: where the gateway reaches each subgraph. */
export const urlEnvName = (name: string) => `${name.toUpperCase().replace(/-/g, '_')}_URL`;

export const schemaPathOf = (name: string) => path.join(REPO_ROOT, 'subgraphs', name, 'schema.graphql');

export const areaOf = (name: string): string => SUBGRAPHS.find((s) => s.name === name)?.area ?? name;
