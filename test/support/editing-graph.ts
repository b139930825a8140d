import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK, } from 'jose';
import { createMetrics } from '@qsmo/shared';
import { standardPlugins } from '../../gateway/src/plugins';
import { securityPlugins } from '../../gateway/src/plugins/security';
import { useCatalogWrites } from '../../gateway/src/plugins/catalog-writes';
import { useResponseCache } from '../../gateway/src/plugins/response-cache';
import { useSubgraphChanges } from '../../gateway/src/plugins/subgraph-changes';
import { startGraph, type GraphOptions, type RunningGraph } from './graph';

/**
 * The real graph as a QSMO team edits it: four subgraphs on their seeded
 * databases, the gateway verifying an identity provider's tokens and signing
 * identities to the subgraphs, read models and the response cache on, as in
 * production. Callers mint tokens and send GraphQL over HTTP as a team's
 * tools would.
 */
export const ISSUER = 'https://login.example.gov';
const AUDIENCE = 'qsmo-graph';

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
  const pair = await generateKeyPair('ES256', { extractable: true });
  const key: { privateKey: CryptoKey; jwk: JWK } = { privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid: 'idp-1', alg: 'ES256', use: 'sig' } };
  const metrics = createMetrics('gateway', { defaultMetrics: false });
  const responseCache = useResponseCache();
  const graph = await startGraph({
    gateway: {
      plugins: [
        ...securityPlugins({
          authentication: { jwks: { keys: { keys: [key.jwk] } }, issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds: 5, rolesClaim: 'roles', qsmosClaim: 'qsmos', anonymous: true },
          signingSecret: secret,
          rateLimit: { perMinute: { anonymous: 0, analyst: 0, editor: 0 }, trustProxyHops: 0, maxCallers: 1_000 },
          cors: { origins: [] },
        }),
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
    token: (sub, roles, qsmos = []) => new SignJWT({ roles, qsmos })
      .setProtectedHeader({ alg: 'ES256', kid: key.jwk.kid })
      .setIssuer(ISSUER).setAudience(AUDIENCE).setSubject(sub).setIssuedAt().setExpirationTime('5m')
      .sign(key.privateKey),
    async gql(query, variables = {}, bearer) {
      const started = performance.now();
      const res = await fetch(graph.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      const text = await res.text();
      return { status: res.status, body: JSON.parse(text) as GraphAnswer['body'], ms: performance.now() - started, bytes: Buffer.byteLength(text), cacheControl: res.headers.get('cache-control') };
    },
    stop: () => graph.stop(),
  };
}
