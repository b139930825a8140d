import { randomBytes } from 'node:crypto';
import { createMetrics } from '@qsmo/service-kit/metrics';
import { standardPlugins } from '../../gateway/src/plugins';
import { securityPlugins } from '../../gateway/src/plugins/security';
import { useCatalogWrites } from '../../gateway/src/plugins/catalog-writes';
import { useResponseCache } from '../../gateway/src/plugins/response-cache';
import { useSubgraphChanges } from '../../gateway/src/plugins/subgraph-changes';
import { startGraph, type GraphOptions, type RunningGraph } from './graph';
import { createTestIdentityProvider } from './identity-provider';

/**
 * The real graph as a QSMO team edits it: four subgraphs on their seeded
 * databases, the gateway verifying an identity provider's tokens and signing
 * identities to the subgraphs, read models and the response cache on, as in
 * production. Callers mint tokens and send GraphQL over HTTP as a team's
 * tools would.
 */
export { TEST_ISSUER as ISSUER } from './identity-provider';

export interface GraphAnswer {
  status: number;
  body: { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  ms: number;
  /** Length of the response body in bytes. */
  bytes: number;
  cacheControl: string | null;
}

export interface EditingGraph {
  graph: RunningGraph;
  /** A token of the test identity provider for `sub` with these roles and QSMOs. */
  token(sub: string, roles: string[], qsmos?: string[]): Promise<string>;
  /** POSTs an operation to the gateway, anonymously without a bearer token. */
  gql(query: string, variables?: Record<string, unknown>, bearer?: string): Promise<GraphAnswer>;
  stop(): Promise<void>;
}

export interface EditingGraphOptions extends Pick<GraphOptions, 'routes'> {
  /** Evict cached answers when a subgraph's data version moves (a seed, the directory's projection), as the gateway's entry point does; default off. */
  followSubgraphChanges?: boolean;
}

/** `routes`: extra gateway routes, e.g. the browser IDE signing in with this graph's tokens. */
export async function startEditingGraph(options: EditingGraphOptions = {}): Promise<EditingGraph> {
  const secret = randomBytes(32).toString('hex');
  const idp = await createTestIdentityProvider();
  const metrics = createMetrics('gateway', { defaultMetrics: false });
  const responseCache = useResponseCache();
  const graph = await startGraph({
    gateway: {
      plugins: [
        ...securityPlugins(idp.security(secret)),
        useCatalogWrites(),
        ...standardPlugins({ metrics }),
        // As in production: every read after a write must show it although answers are cached.
        responseCache,
        ...(options.followSubgraphChanges ? [useSubgraphChanges({ intervalMs: 200, onChange: (names) => responseCache.invalidate(names) })] : []),
      ],
      metrics,
    },
    subgraph: { gatewaySignature: { secret, required: true } },
    readModel: true,
    routes: options.routes,
  });
  return {
    graph,
    token: idp.token,
    async gql(query, variables = {}, bearer) {
      const started = performance.now();
      const res = await fetch(graph.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      const text = await res.text();
      return {
        status: res.status,
        body: JSON.parse(text) as GraphAnswer['body'],
        ms: performance.now() - started,
        bytes: Buffer.byteLength(text),
        cacheControl: res.headers.get('cache-control'),
      };
    },
    stop: () => graph.stop(),
  };
}
