import { envName } from '@qsmo/service-kit/subgraphs';

// One list of subgraphs for the whole repository: the gateway only derives from it.
export { SUBGRAPHS, areaOf, subgraphNamed, type SubgraphName } from '@qsmo/service-kit/subgraphs';

/** Where the gateway reaches one subgraph: what composition and routing need, nothing else. */
export interface SubgraphEndpoint {
  /** Service name in the supergraph (also the folder under subgraphs/). */
  name: string;
  /** Human name of the area, used in error messages to clients. */
  area: string;
  url: string;
}

/** FINANCIAL_MANAGEMENT_URL etc.: where the gateway reaches each subgraph; named by the shared rule so all entry points agree. */
export const urlEnvName = (name: string): string => envName(name, 'URL');
