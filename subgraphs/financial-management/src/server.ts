import { createSubgraphServer, type SubgraphServerDeps } from '@qsmo/subgraph-kit/subgraph/server';
import { definition } from './definition';

/** Builds the Financial Management subgraph server from its dependencies (tests call this directly). */
export function createServer(deps: Omit<SubgraphServerDeps, 'definition'>) {
  return createSubgraphServer({ definition, ...deps });
}
