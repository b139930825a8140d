import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SubgraphHealthCheckFunction, SupergraphManager, SupergraphSdlUpdateFunction } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { ConfigError } from '@qsmo/service-kit/errors';
import { createLogger, type Logger } from '@qsmo/service-kit/logger';
import { composeSupergraph } from '@qsmo/registry/compose';
import { validateSubgraphOptions } from '../src/datasource';
import type { GatewayPlugin } from '../src/plugin';
import { standardPlugins, usePropagateHeaders, useRootFailover } from '../src/plugins';
import { createGatewayServer, type GatewayDeps, type GatewayServer } from '../src/server';

process.env.APOLLO_TELEMETRY_DISABLED = '1';

/**
 * The plugin seam over real HTTP: toy subgraphs (no database: they only
 * answer and record what reached them) on free ports, and a gateway built
 * from plugins in front of them.
 */
interface ToySubgraph {
  name: string;
  url: string;
  /** Headers of every request that reached it. */
  requests: http.IncomingHttpHeaders[];
  stop(): Promise<void>;
}

const SHARED_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@shareable"])
  type Thing @shareable { name: String }
`;

/** Every toy serves the shared root field; alpha also has fields of its own, as a QSMO has its domain. */
function toySdl(name: string): string {
  const own = name === 'alpha' ? 'alphaOnly: String\n slow: String' : '';
  return `${SHARED_SDL}\n type Query { shared: Thing @shareable\n ${own} }`;
}

async function startToy(name: string, answer = `from ${name}`): Promise<ToySubgraph> {
  const requests: http.IncomingHttpHeaders[] = [];
  const server = new ApolloServer({
    schema: buildSubgraphSchema([
      {
        typeDefs: parse(toySdl(name)),
        resolvers: {
          Query: {
            shared: () => ({ name: answer }),
            alphaOnly: () => 'alpha',
            slow: () => new Promise((resolve) => setTimeout(() => resolve('late'), 1_500)),
          },
        },
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
  return { name, url, requests, stop: () => server.stop() };
}

/** A URL nothing listens on: a port the OS just handed out and took back. */
async function deadUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/graphql`;
}

function supergraphOf(urls: Record<string, string>): string {
  return composeSupergraph(Object.entries(urls).map(([name, url]) => ({ name, url, sdl: toySdl(name) }))).supergraphSdl;
}

/** A logger that keeps what was logged, so tests can see that an error was reported and not swallowed. */
function recordingLogger(): Logger & { lines: { level: string; text: string }[] } {
  const lines: { level: string; text: string }[] = [];
  const log =
    (level: string) =>
    (...parts: unknown[]) => {
      lines.push({ level, text: parts.map((p) => (p instanceof Error ? `${p.name}: ${p.message}` : String(p))).join(' ') });
    };
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/** A supergraph manager the test drives by hand: the registry manager's calls (health check, update) without a registry. */
class ManualSupergraphManager implements SupergraphManager {
  healthCheck!: SubgraphHealthCheckFunction;
  update!: SupergraphSdlUpdateFunction;
  constructor(private readonly first: string) {}
  async initialize({ update, healthCheck }: { update: SupergraphSdlUpdateFunction; healthCheck: SubgraphHealthCheckFunction }) {
    this.update = update;
    this.healthCheck = healthCheck;
    return { supergraphSdl: this.first };
  }
}

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
});

async function toy(name: string, answer?: string): Promise<ToySubgraph> {
  const t = await startToy(name, answer);
  running.push(t);
  return t;
}

async function gatewayOf(deps: GatewayDeps): Promise<{ server: GatewayServer; url: string }> {
  const server = createGatewayServer({ logger: createLogger('gateway', 'silent'), ...deps });
  const url = await server.http.listen(0, '127.0.0.1');
  running.push({ stop: () => server.http.stop() });
  return { server, url };
}

interface Result {
  data?: { shared?: { name: string } | null; alphaOnly?: string | null; slow?: string | null } | null;
  errors?: { message: string; extensions?: { code?: string; serviceName?: string } }[];
}

async function query(url: string, query: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Result; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
  return { status: res.status, body: (await res.json()) as Result, headers: res.headers };
}

const codes = (body: Result) => (body.errors ?? []).map((e) => e.extensions?.code);

describe('plugin assembly', () => {
  test('a plugin contributes context, a subgraph request header, a fetcher wrapper, a route, readiness and a load hook', async () => {
    const alpha = await toy('alpha');
    const seen: string[] = [];
    const loads: string[] = [];
    let fetches = 0;
    const tenantPlugin: GatewayPlugin = {
      name: 'tenant',
      willSendRequest({ options, context }) {
        if (context) options.request.http?.headers.set('x-tenant', context.request.headers['x-tenant'] ?? 'none');
      },
      didReceiveResponse({ subgraph, response }) {
        seen.push(`${subgraph.name}:${response.data ? 'data' : 'none'}`);
      },
      wrapFetcher: (fetcher) => (url, init) => {
        fetches += 1;
        return fetcher(url, init);
      },
      routes: {
        'GET /tenant': (_req, res) => {
          res.end('tenant route');
        },
      },
      readinessDetails: () => ({ tenant: 'ok' }),
      onSupergraphLoad: ({ supergraph }) => {
        loads.push([...supergraph.subgraphs().names()].join(','));
      },
    };
    const { url } = await gatewayOf({ supergraph: supergraphOf({ alpha: alpha.url }), plugins: [tenantPlugin] });

    const { body } = await query(url, '{ shared { name } }', { 'x-tenant': 'grants' });
    expect(body).toEqual({ data: { shared: { name: 'from alpha' } } });
    expect(alpha.requests.at(-1)?.['x-tenant']).toBe('grants');
    expect(seen).toEqual(['alpha:data']);
    expect(fetches).toBe(1);
    expect(loads).toEqual(['alpha']);
    const base = url.replace(/\/graphql$/, '');
    expect(await (await fetch(`${base}/tenant`)).text()).toBe('tenant route');
    expect(await (await fetch(`${base}/health/ready`)).json()).toMatchObject({ tenant: 'ok' });
  });

  test('usePropagateHeaders forwards only the allowlisted client headers, and none on health checks', async () => {
    const alpha = await toy('alpha');
    const manager = new ManualSupergraphManager(supergraphOf({ alpha: alpha.url }));
    const { url } = await gatewayOf({ supergraph: manager, plugins: [usePropagateHeaders()] });
    await query(url, '{ shared { name } }', {
      'x-request-id': 'req-1',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      'apollographql-client-name': 'grants-portal',
      authorization: 'Bearer secret',
      cookie: 'a=b',
    });
    const sent = alpha.requests.at(-1)!;
    expect(sent['x-request-id']).toBe('req-1');
    expect(sent.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(sent['apollographql-client-name']).toBe('grants-portal');
    expect(sent.authorization).toBeUndefined();
    expect(sent.cookie).toBeUndefined();

    await manager.healthCheck(supergraphOf({ alpha: alpha.url }));
    expect(alpha.requests.at(-1)?.['x-request-id']).toBeUndefined();
  });

  test('the header list is configurable', async () => {
    const alpha = await toy('alpha');
    const { url } = await gatewayOf({ supergraph: supergraphOf({ alpha: alpha.url }), plugins: [usePropagateHeaders({ headers: ['X-Correlation-Id'] })] });
    await query(url, '{ shared { name } }', { 'x-correlation-id': 'c-1', 'x-request-id': 'req-1' });
    expect(alpha.requests.at(-1)?.['x-correlation-id']).toBe('c-1');
    expect(alpha.requests.at(-1)?.['x-request-id']).toBeUndefined();
  });

  test('per-subgraph options are checked once, when the gateway is built', () => {
    expect(() => validateSubgraphOptions({ alpha: { url: 'localhost:4001' }, beta: { timeoutMs: 0 } })).toThrow(ConfigError);
    try {
      validateSubgraphOptions({ alpha: { url: 'localhost:4001' }, beta: { timeoutMs: 1.5 } });
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        'subgraph alpha: url "localhost:4001" is not an absolute http(s) URL.',
        'subgraph beta: timeoutMs must be a positive whole number of milliseconds, not 1.5.',
      ]);
    }
    expect(() => createGatewayServer({ supergraph: 'unused', subgraphs: { alpha: { timeoutMs: -1 } } })).toThrow(ConfigError);
  });

  test('two plugins serving one route is a wiring mistake found at build time', () => {
    const route = (name: string): GatewayPlugin => ({ name, routes: { 'GET /x': () => undefined } });
    expect(() => createGatewayServer({ supergraph: 'unused', plugins: [route('one'), route('two')] })).toThrow(/one and two both serve GET \/x/);
  });
});

describe('subgraph failures', () => {
  test('a client sees SUBGRAPH_UNAVAILABLE without addresses; a health check keeps the real error', async () => {
    const dead = await deadUrl();
    const manager = new ManualSupergraphManager(supergraphOf({ alpha: dead }));
    const { url } = await gatewayOf({ supergraph: manager, plugins: [] });
    const { body } = await query(url, '{ alphaOnly }');
    expect(codes(body)).toEqual(['SUBGRAPH_UNAVAILABLE']);
    expect(body.errors![0]!.message).toMatch(/The alpha subgraph is unavailable/);
    expect(JSON.stringify(body)).not.toContain('127.0.0.1');

    await expect(manager.healthCheck(supergraphOf({ alpha: dead }))).rejects.toThrow(/ECONNREFUSED/);
  });

  test('timeoutMs gives up on a silent subgraph: it counts as unavailable', async () => {
    const alpha = await toy('alpha');
    const { url } = await gatewayOf({ supergraph: supergraphOf({ alpha: alpha.url }), plugins: [], subgraphs: { alpha: { timeoutMs: 200 } } });
    const started = Date.now();
    const { body } = await query(url, '{ slow }');
    expect(codes(body)).toEqual(['SUBGRAPH_UNAVAILABLE']);
    expect(Date.now() - started).toBeLessThan(1_400);
  });

  test('a URL override in the options wins over the supergraph', async () => {
    const alpha = await toy('alpha');
    const { url } = await gatewayOf({ supergraph: supergraphOf({ alpha: await deadUrl() }), plugins: [], subgraphs: { alpha: { url: alpha.url } } });
    expect((await query(url, '{ alphaOnly }')).body).toEqual({ data: { alphaOnly: 'alpha' } });
  });
});

describe('root failover', () => {
  const ROOT_QUERY = '{ shared { name } alphaOnly }';

  test('answers the shared part from a peer when the planned subgraph is down', async () => {
    const beta = await toy('beta');
    const { url } = await gatewayOf({ supergraph: supergraphOf({ alpha: await deadUrl(), beta: beta.url }) });
    const { body } = await query(url, ROOT_QUERY);
    expect(body.data).toEqual({ shared: { name: 'from beta' }, alphaOnly: null });
    expect(body.errors).toEqual([expect.objectContaining({ extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'alpha' } })]);
  });

  test('a candidate supergraph refused by the health check does not replace the served data sources', async () => {
    const beta = await toy('beta');
    const alphaDown = await deadUrl();
    const manager = new ManualSupergraphManager(supergraphOf({ alpha: alphaDown, beta: beta.url }));
    const { url } = await gatewayOf({ supergraph: manager });

    // The registry manager checks a newer supergraph whose beta does not answer, and keeps the served one.
    await expect(manager.healthCheck(supergraphOf({ alpha: alphaDown, beta: await deadUrl() }))).rejects.toThrow(/ECONNREFUSED/);
    const { body } = await query(url, ROOT_QUERY);
    expect(body.data).toEqual({ shared: { name: 'from beta' }, alphaOnly: null });

    // A supergraph that is served does move failover to its URLs.
    const movedBeta = await toy('beta', 'from the moved beta');
    manager.update(supergraphOf({ alpha: alphaDown, beta: movedBeta.url }));
    expect((await query(url, ROOT_QUERY)).body.data).toEqual({ shared: { name: 'from the moved beta' }, alphaOnly: null });
  });

  test('a peer that is down too moves on to the next', async () => {
    const gamma = await toy('gamma');
    const { url } = await gatewayOf({ supergraph: supergraphOf({ alpha: await deadUrl(), beta: await deadUrl(), gamma: gamma.url }) });
    const { body } = await query(url, ROOT_QUERY);
    expect(body.data).toEqual({ shared: { name: 'from gamma' }, alphaOnly: null });
    expect(codes(body)).toEqual(['SUBGRAPH_UNAVAILABLE']);
  });

  test('a peer failing for any other reason is logged and returned, not taken for an outage', async () => {
    const beta = await toy('beta');
    const gamma = await toy('gamma');
    const logger = recordingLogger();
    const buggy: GatewayPlugin = {
      name: 'buggy',
      willSendRequest({ subgraph }) {
        if (subgraph.name === 'beta') throw new TypeError('a bug in a request hook');
      },
    };
    const { url } = await gatewayOf({
      supergraph: supergraphOf({ alpha: await deadUrl(), beta: beta.url, gamma: gamma.url }),
      logger,
      plugins: [buggy, useRootFailover()],
    });
    const { body } = await query(url, ROOT_QUERY);
    expect(codes(body)).toEqual(['SUBGRAPH_UNAVAILABLE', 'INTERNAL_SERVER_ERROR']);
    expect(body.data?.shared ?? null).toBeNull();
    expect(gamma.requests).toHaveLength(0);
    expect(logger.lines).toContainEqual({ level: 'error', text: expect.stringMatching(/alpha root query to beta failed.*TypeError: a bug in a request hook/) });
  });

  test('the standard plugins include failover and header propagation', async () => {
    const beta = await toy('beta');
    const { url } = await gatewayOf({
      supergraph: supergraphOf({ alpha: await deadUrl(), beta: beta.url }),
      plugins: standardPlugins({ metrics: (await import('@qsmo/service-kit/metrics')).createMetrics('gateway', { defaultMetrics: false }) }),
    });
    const { body } = await query(url, ROOT_QUERY, { 'x-request-id': 'req-2' });
    expect(body.data?.shared).toEqual({ name: 'from beta' });
    expect(beta.requests.at(-1)?.['x-request-id']).toBe('req-2');
  });
});
