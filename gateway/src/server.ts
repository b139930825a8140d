import { ServerResponse, type IncomingMessage } from 'node:http';
import { Supergraph } from '@apollo/federation-internals';
import { ApolloGateway, type SupergraphManager } from '@apollo/gateway';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLFormattedError } from 'graphql';
import { createHttpService, type HttpService, type Route } from '@qsmo/service-kit/http/service';
import { createLogger, type Logger } from '@qsmo/service-kit/logger';
import { createMetrics, type Metrics } from '@qsmo/service-kit/metrics';
import { ErrorCode } from '@qsmo/service-kit/errors';
import { hideSuggestionsPlugin } from '@qsmo/service-kit/client-errors';
import type { DrainOptions, MetricsAccess } from '@qsmo/service-kit/http/service';
import { createSubgraphDataSource, subgraphFetcher, validateSubgraphOptions, type DataSourceFactory, type SubgraphOptionsMap } from './datasource';
import {
  createContextBuilder,
  incomingRequest,
  requestGuard,
  requestScreen,
  type ContextBuilder,
  type GatewayContext,
  type GatewayDataSource,
  type GatewayPlugin,
  type GraphQLCall,
  type GraphQLCallResult,
  type GraphQLExecutor,
} from './plugin';
import { standardPlugins, useRoutes, useSupergraphVersion, type SupergraphStatus } from './plugins';
import { ServedDataSources } from './served-sources';
import { areaOf } from './subgraphs';
import { stringifyResult } from './serialized-results';

export { SUPERGRAPH_VERSION_HEADER, type SupergraphStatus } from './plugins';

/** What a gateway is built from; everything but the supergraph has a default, so tests state only what they vary. */
export interface GatewayDeps {
  /** Where supergraphs come from: a fixed SDL, or a manager that can push updates. */
  supergraph: string | SupergraphManager;
  /**
   * The gateway's concerns, in order (see GatewayPlugin). Default:
   * standardPlugins (metrics, header propagation, root failover).
   */
  plugins?: readonly GatewayPlugin[];
  /** Builds each client request's context; default: the plugins' contributions (createContextBuilder). */
  context?: ContextBuilder;
  /** Builds each subgraph's data source before the plugins wrap it; default: createSubgraphDataSource. */
  dataSources?: DataSourceFactory;
  /** Per-subgraph settings (URL overrides, timeouts), by subgraph name; validated here, once. */
  subgraphs?: SubgraphOptionsMap;
  logger?: Logger;
  metrics?: Metrics;
  /** Shorthand for a useRoutes plugin after `plugins`: e.g. the browser IDE (see ide.ts). */
  routes?: Record<string, Route>;
  /**
   * Whether clients may introspect the schema; by default only outside
   * production. The browser IDE needs it for its docs and completion.
   */
  introspection?: boolean;
  /** Whether errors (validation and variable coercion alike) leave out field suggestions; by default only in production. */
  hideSchemaDetails?: boolean;
  /**
   * Shorthand for a useSupergraphVersion plugin after `plugins`: describes
   * the supergraph in service (e.g. the registry version) in /health/ready
   * and, when it has a version, in every response's Supergraph-Version header.
   */
  supergraphStatus?: () => SupergraphStatus;
  /** How stop() drains (see HttpServiceOptions). */
  drain?: DrainOptions;
  /** Who may read /metrics (METRICS_TOKEN, METRICS_PUBLIC); default: anyone. */
  metricsAccess?: MetricsAccess;
}

/** The built gateway, its parts exposed so the entry point and tests can listen, stop and inspect it. */
export interface GatewayServer {
  apollo: ApolloServer<GatewayContext>;
  gateway: ApolloGateway;
  http: HttpService;
  metrics: Metrics;
}

const PASS_THROUGH = new Set<string>([
  ErrorCode.BAD_USER_INPUT,
  ErrorCode.SUBGRAPH_UNAVAILABLE,
  ErrorCode.SUBGRAPH_TIMEOUT,
  ErrorCode.UNAUTHENTICATED,
  ErrorCode.FORBIDDEN,
  ErrorCode.DATABASE_UNAVAILABLE,
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  ErrorCode.BAD_REQUEST,
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  ErrorCode.PERSISTED_QUERY_NOT_IN_LIST,
  ErrorCode.SUBSCRIPTIONS_NOT_SUPPORTED,
  ErrorCode.COST_LIMIT_EXCEEDED,
]);

/** Lets the graph's own and GraphQL's validation errors through; masks anything else. */
export function formatGatewayError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    // The gateway's own INVALID_GRAPHQL (e.g. an unknown operationName) is the caller's mistake.
    if (code === 'INVALID_GRAPHQL') return { message: formatted.message, extensions: { code: ErrorCode.BAD_USER_INPUT } };
    if (typeof code === 'string' && PASS_THROUGH.has(code)) {
      // Subgraph internals (stack traces, upstream responses) never reach clients.
      const { serviceName, requiredRole, domain, cost } = formatted.extensions ?? {};
      const named = {
        ...(serviceName ? { serviceName } : {}),
        ...(requiredRole ? { requiredRole } : {}),
        ...(domain ? { domain } : {}),
        ...(cost ? { cost } : {}),
      };
      return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code, ...named } };
    }
    logger.error('unexpected error', (error as { originalError?: unknown })?.originalError ?? error);
    return { message: 'Internal server error', path: formatted.path, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
  };
}

/**
 * Builds the gateway server from its dependencies; listening is the
 * caller's business. The core only assembles: every behaviour beyond
 * routing fetches comes from the plugins.
 */
export function createGatewayServer(deps: GatewayDeps): GatewayServer {
  const logger = deps.logger ?? createLogger('gateway', 'warn');
  const metrics = deps.metrics ?? createMetrics('gateway', { defaultMetrics: false });
  const subgraphOptions = validateSubgraphOptions(deps.subgraphs);
  const plugins: readonly GatewayPlugin[] = [
    ...(deps.plugins ?? standardPlugins({ metrics })),
    ...(deps.supergraphStatus ? [useSupergraphVersion(deps.supergraphStatus)] : []),
    ...(deps.routes ? [useRoutes(deps.routes)] : []),
  ];
  const buildDataSource = deps.dataSources ?? createSubgraphDataSource;
  const wrappers = plugins.filter((p) => p.wrapDataSource);
  const served = new ServedDataSources();
  const supergraph = deps.supergraph;

  const gateway = new ApolloGateway({
    logger,
    supergraphSdl: typeof supergraph === 'string' ? async () => ({ supergraphSdl: supergraph }) : supergraph,
    buildService: ({ name, url }) => {
      const options = subgraphOptions[name] ?? {};
      const subgraph = { name, area: areaOf(name), url: options.url ?? url ?? '' };
      const layers: GatewayDataSource[] = [buildDataSource({ subgraph, options, plugins, fetcher: subgraphFetcher(subgraph, options, plugins), logger })];
      wrappers.forEach((plugin, depth) => {
        layers.push(plugin.wrapDataSource!(layers[depth]!, { subgraph, logger, peer: (peer) => (peer === name ? undefined : served.get(peer, depth)) }));
      });
      served.noteBuilt(name, url ?? '', layers);
      return layers[layers.length - 1]!;
    },
  });
  let loaded = false;
  gateway.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) => {
    const parsed = Supergraph.build(coreSupergraphSdl);
    served.load(parsed.subgraphsMetadata());
    for (const plugin of plugins) plugin.onSupergraphLoad?.({ coreSupergraphSdl, apiSchema, supergraph: parsed });
    loaded = true;
  });

  const hideSchemaDetails = deps.hideSchemaDetails ?? process.env.NODE_ENV === 'production';
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    logger,
    includeStacktraceInErrorResponses: false,
    // Our own shutdown drains HTTP first, then stops Apollo; Apollo's handler would race it.
    stopOnTerminationSignals: false,
    introspection: deps.introspection,
    formatError: formatGatewayError(logger),
    // An answer shared by several callers is serialized once (see serialized-results.ts); any other as Apollo would.
    stringifyResult,
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ...plugins.flatMap((p) => p.apolloPlugins ?? []),
      ...(hideSchemaDetails ? [hideSuggestionsPlugin<GatewayContext>()] : []),
    ],
    validationRules: plugins.flatMap((p) => p.validationRules ?? []),
    parseOptions: Object.assign({}, ...plugins.map((p) => p.parseOptions ?? {})),
    // "Did you mean ...?" would rebuild the schema for a client without introspection (validation errors here, the rest by hideSuggestionsPlugin).
    hideSchemaDetailsFromClientErrors: hideSchemaDetails,
  });
  const buildContext = deps.context ?? createContextBuilder(plugins);
  const screen = requestScreen(plugins);
  const guard = requestGuard(plugins);
  const executor: GraphQLExecutor = {
    execute: (req, call) => executeAs(req, call, { apollo, context: () => buildContext(incomingRequest(req)), screen: call.derived ? undefined : screen }),
    admit: (req) => admitAs(req, guard),
    screen: async (req, params) => screen?.(params, () => buildContext(incomingRequest(req))),
    async checkSubscription(req, start) {
      const checks = plugins.filter((p) => p.checkSubscription);
      if (!checks.length) return undefined;
      const context = await buildContext(incomingRequest(req));
      for (const plugin of checks) {
        const refusal = plugin.checkSubscription!(start, context);
        if (refusal) return refusal;
      }
      return undefined;
    },
    validationRules: plugins.flatMap((p) => p.validationRules ?? []),
  };
  for (const plugin of plugins) plugin.attach?.(executor);
  const details = plugins.filter((p) => p.readinessDetails);
  const http = createHttpService({
    apollo,
    context: (req) => buildContext(incomingRequest(req)),
    metrics,
    logger,
    isReady: () => loaded,
    readinessDetails: details.length ? () => Object.assign({}, ...details.map((p) => p.readinessDetails!())) : undefined,
    routes: pluginRoutes(plugins),
    beforeRequest: requestGuard(plugins),
    screenRequest: screen,
    metricsAccess: deps.metricsAccess,
    ...deps.drain,
  });
  return { apollo, gateway, http, metrics };
}

/** The plugins' routes in one table; two plugins claiming one route is a wiring mistake, reported at build time. */
function pluginRoutes(plugins: readonly GatewayPlugin[]): Record<string, Route> {
  const routes: Record<string, Route> = {};
  const owner: Record<string, string> = {};
  for (const plugin of plugins) {
    for (const [route, handler] of Object.entries(plugin.routes ?? {})) {
      if (owner[route]) throw new Error(`Gateway plugins ${owner[route]} and ${plugin.name} both serve ${route}; keep one.`);
      owner[route] = plugin.name;
      routes[route] = handler;
    }
  }
  return routes;
}

/** Runs the beforeRequest hooks for `req` with an answer that is captured, not sent: what they refused with, as JSON. */
async function admitAs(req: IncomingMessage, guard: ReturnType<typeof requestGuard>): Promise<GraphQLCallResult | undefined> {
  if (!guard) return undefined;
  const captured = new ServerResponse(req);
  let text = '';
  captured.end = ((chunk?: unknown) => {
    if (typeof chunk === 'string' || Buffer.isBuffer(chunk)) text += chunk.toString();
    return captured;
  }) as ServerResponse['end'];
  if (!(await guard(req, captured))) return undefined;
  let body: GraphQLCallResult['body'];
  try {
    body = JSON.parse(text) as GraphQLCallResult['body'];
  } catch {
    body = { errors: [{ message: text || `Refused with HTTP ${captured.statusCode}.` }] };
  }
  return { status: captured.statusCode, body };
}

/**
 * One GraphQL request on behalf of `req`, as /graphql would run it: the
 * plugins' screens, then Apollo's HTTP handling with the caller's headers
 * (identity, trace context, client awareness), so every Apollo plugin
 * (limits, demand control, cache, request log, metrics) sees it as usual.
 */
async function executeAs(
  req: IncomingMessage,
  call: GraphQLCall,
  parts: { apollo: ApolloServer<GatewayContext>; context: () => Promise<GatewayContext>; screen: ReturnType<typeof requestScreen> },
): Promise<GraphQLCallResult> {
  let contextValue: Promise<GatewayContext> | undefined;
  const context = () => (contextValue ??= parts.context());
  const refusal = await parts.screen?.({ query: call.query }, context);
  if (refusal) return { status: refusal.status, body: { errors: [{ message: refusal.message, extensions: { code: refusal.code } }] } };
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined && key !== 'content-length') headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  headers.set('content-type', 'application/json');
  headers.set('accept', 'application/json');
  const response = await parts.apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: {
      method: 'POST',
      headers,
      search: '',
      body: { query: call.query, variables: call.variables ?? {}, ...(call.operationName ? { operationName: call.operationName } : {}) },
    },
    context,
  });
  let text = '';
  if (response.body.kind === 'complete') text = response.body.string;
  else for await (const chunk of response.body.asyncIterator) text += chunk;
  return { status: response.status ?? 200, body: JSON.parse(text) as GraphQLCallResult['body'] };
}
