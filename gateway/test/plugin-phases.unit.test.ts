import type http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { createLogger } from '@qsmo/service-kit/logger';
import { createMetrics } from '@qsmo/service-kit/metrics';
import { composeSupergraph } from '@qsmo/registry/compose';
import { readGatewayConfig } from '../src/config';
import { describeGatewayPlugins, gatewayPlugins } from '../src/gateway-plugins';
import { describePluginOrder, inPhaseOrder, PLUGIN_PLACES } from '../src/phases';
import { subgraphCallContext, type GatewayPlugin } from '../src/plugin';
import { resiliencePlugins, useUpstreamTimeout } from '../src/plugins';
import { useDedupe } from '../src/plugins/dedupe';
import { useResponseCache } from '../src/plugins/response-cache';
import { createGatewayServer } from '../src/server';

process.env.APOLLO_TELEMETRY_DISABLED = '1';

const SECRET = 'a-signing-secret-of-at-least-32-characters';
const logger = createLogger('gateway', 'silent');

describe('plugin phases', () => {
  test('the assembled order of a production-like configuration, stage by stage', () => {
    const config = readGatewayConfig({
      GATEWAY_SIGNING_SECRET: SECRET,
      SUPERGRAPH_SOURCE: 'registry',
      TRUSTED_DOCUMENTS: 'enforce',
      IDE_ENABLED: 'false',
      MCP_ENABLED: 'true',
    });
    expect(describeGatewayPlugins(config, logger)).toBe(
      [
        'Gateway plugins by phase:',
        '  admission: cors@10',
        '  identity: authentication@10, identity-forwarding@20',
        '  limits: rate-limit@10, catalog-writes@20, operation-limits@30, trusted-documents@40, demand-control@50',
        '  cache: response-cache@10, inbound-dedup@15, subgraph-changes@20',
        '  execution: metrics@10, request-hygiene@20, propagate-headers@30, tracing@40, request-log@50, field-usage@60, supergraph-version@70, mcp@90, subscriptions@95',
        '  upstream: subgraph-metrics@10, connection-limits@20, upstream-timeout@30, circuit-breaker@40, retries@50, subgraph-health@60, dedupe@70, root-failover@80',
        'Order in each request stage:',
        '  HTTP guards (beforeRequest): cors -> authentication -> rate-limit',
        '  request screens (screenRequest): trusted-documents',
        '  context: authentication -> propagate-headers -> tracing -> upstream-timeout',
        '  parse options and validation rules: operation-limits',
        '  subscription start checks (checkSubscription): demand-control',
        '  Apollo hooks: catalog-writes -> operation-limits -> trusted-documents -> demand-control -> response-cache -> inbound-dedup -> subgraph-changes -> metrics -> request-hygiene -> request-log -> field-usage -> supergraph-version -> subscriptions -> connection-limits -> subgraph-health',
        '  subgraph request hooks (willSendRequest): identity-forwarding -> response-cache -> propagate-headers -> tracing -> upstream-timeout',
        '  subgraph response hooks (didReceiveResponse): subgraph-metrics',
        '  subgraph error hooks (didEncounterError): upstream-timeout',
        '  data-source wrappers, outermost first: root-failover',
        '  fetcher wrappers, outermost first: dedupe -> subgraph-health -> retries -> circuit-breaker -> upstream-timeout -> connection-limits -> subgraph-metrics -> subscriptions -> subgraph-changes',
        '  routes: mcp -> subscriptions',
      ].join('\n'),
    );
  });

  const plain = (name: string, extra: Partial<GatewayPlugin> = {}): GatewayPlugin => ({ name, ...extra });

  test('the order comes from the places, not from the list', () => {
    const sorted = inPhaseOrder([plain('dedupe'), plain('metrics'), plain('retries'), plain('cors'), plain('authentication'), plain('response-cache')]);
    expect(sorted.map((p) => p.name)).toEqual(['cors', 'authentication', 'response-cache', 'metrics', 'retries', 'dedupe']);
  });

  test('a new plugin is one place: its own, or an entry in PLUGIN_PLACES', () => {
    const sorted = inPhaseOrder([plain('dedupe'), plain('inflight', { place: { phase: 'upstream', position: 75 } }), plain('root-failover')]);
    expect(sorted.map((p) => p.name)).toEqual(['dedupe', 'inflight', 'root-failover']);
    expect(
      inPhaseOrder([plain('b'), plain('a')], { a: { phase: 'admission', position: 1 }, b: { phase: 'upstream', position: 1 } }).map((p) => p.name),
    ).toEqual(['a', 'b']);
  });

  test('a plugin without a place, or two at one place, stops the assembly with what to change', () => {
    expect(() => inPhaseOrder([plain('mystery')])).toThrow('Gateway plugin "mystery" has no phase: add it to PLUGIN_PLACES in gateway/src/phases.ts');
    expect(() => inPhaseOrder([plain('dedupe'), plain('twin', { place: PLUGIN_PLACES.dedupe })])).toThrow(
      'Gateway plugins "dedupe" and "twin" are both at upstream position 70: give one another position.',
    );
    expect(() => describePluginOrder([plain('mystery')])).toThrow(/has no phase/);
  });
});

describe('per-request values travel in the context, never on the wire', () => {
  const SDL = `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@shareable"])
    type Query { fast: String\n slow: String }
  `;
  let toy: { url: string; requests: http.IncomingHttpHeaders[]; stop(): Promise<void> };
  const stops: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    const requests: http.IncomingHttpHeaders[] = [];
    const server = new ApolloServer({
      schema: buildSubgraphSchema([
        {
          typeDefs: parse(SDL),
          resolvers: { Query: { fast: () => 'fast', slow: () => new Promise((resolve) => setTimeout(() => resolve('late'), 1_500)) } },
        },
      ]),
      plugins: [ApolloServerPluginInlineTraceDisabled()],
    });
    const { url } = await startStandaloneServer(server, {
      listen: { port: 0, host: '127.0.0.1' },
      context: async ({ req }) => {
        requests.push(req.headers);
        return {};
      },
    });
    toy = { url, requests, stop: () => server.stop() };
  });
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });
  afterAll(() => toy.stop());

  async function gatewayWith(plugins: GatewayPlugin[]): Promise<string> {
    const supergraph = composeSupergraph([{ name: 'alpha', url: toy.url, sdl: SDL }]).supergraphSdl;
    const server = createGatewayServer({ supergraph, plugins, logger });
    const url = await server.http.listen(0, '127.0.0.1');
    stops.push(() => server.http.stop());
    return url;
  }

  async function post(url: string, query: string): Promise<{ data?: Record<string, unknown> | null; errors?: { extensions?: { code?: string } }[] }> {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'r-1' }, body: JSON.stringify({ query }) });
    return (await res.json()) as never;
  }

  test('with every production plugin, the only internal header a subgraph receives is the signed identity', async () => {
    const config = readGatewayConfig({ GATEWAY_SIGNING_SECRET: SECRET, IDE_ENABLED: 'false', MCP_ENABLED: 'false' });
    const metrics = createMetrics('gateway', { defaultMetrics: false });
    const url = await gatewayWith(gatewayPlugins(config, { metrics, logger, responseCache: useResponseCache({ ...config.responseCache, enabled: false }) }));
    toy.requests.length = 0;
    expect((await post(url, '{ fast }')).data).toEqual({ fast: 'fast' });
    const clientCalls = toy.requests.filter((h) => h['x-request-id'] === 'r-1');
    expect(clientCalls.length).toBeGreaterThan(0);
    for (const headers of clientCalls) {
      expect(Object.keys(headers).filter((name) => name.startsWith('x-qsmo-'))).toEqual(['x-qsmo-identity']);
    }
  });

  test('the request deadline still cuts a subgraph call short, with no header carrying it', async () => {
    // A per-call timeout far above the slow field's 1.5 s: only the request's deadline can stop it.
    const url = await gatewayWith(inPhaseOrder([useUpstreamTimeout({ timeoutMs: 10_000, requestDeadlineMs: 300 })]));
    toy.requests.length = 0;
    const body = await post(url, '{ slow }');
    expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['SUBGRAPH_TIMEOUT']);
    expect(toy.requests.flatMap((h) => Object.keys(h)).filter((name) => name.startsWith('x-qsmo-'))).toEqual([]);
  });

  test("every client call reaches the innermost fetcher with its own request's context, through the whole upstream chain", async () => {
    const seen: (number | undefined)[] = [];
    // Innermost of all: it sees what the wire would, after dedupe, retries, the breaker and the deadline wrapper.
    const probe: GatewayPlugin = {
      name: 'probe',
      place: { phase: 'upstream', position: 1 },
      wrapFetcher: (fetcher) => (url, init) => {
        seen.push(subgraphCallContext()?.deadline);
        return fetcher(url, init);
      },
    };
    const url = await gatewayWith(inPhaseOrder([probe, ...resiliencePlugins({ requestDeadlineMs: 4_000, subgraphTimeoutMs: 4_000 }), useDedupe()]));
    seen.length = 0;
    const answers = await Promise.all(Array.from({ length: 8 }, () => post(url, '{ fast }')));
    expect(answers.map((a) => a.data)).toEqual(Array.from({ length: 8 }, () => ({ fast: 'fast' })));
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((deadline) => typeof deadline === 'number' && deadline > Date.now() - 60_000)).toBe(true);
  });
});
