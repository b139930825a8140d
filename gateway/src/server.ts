import { ApolloGateway, type SupergraphManager } from '@apollo/gateway';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLFormattedError } from 'graphql';
import { createHttpService, createLogger, createMetrics, ErrorCode, metricsPlugin, type HttpService, type Logger, type Metrics, type RouteHandler } from '@qsmo/shared';
import { SubgraphDataSource } from './datasource';
import { areaOf } from './subgraphs';

export interface GatewayDeps {
  /** Where supergraphs come from: a fixed SDL, or a manager that can push updates. */
  supergraph: string | SupergraphManager;
  /** Overrides of the routing URLs written in the supergraph, by subgraph name. */
  urlOverrides?: Record<string, string>;
  logger?: Logger;
  metrics?: Metrics;
  routes?: Record<string, RouteHandler>;
}

export interface GatewayServer {
  apollo: ApolloServer<BaseContext>;
  gateway: ApolloGateway;
  http: HttpService;
  metrics: Metrics;
}

const PASS_THROUGH = new Set<string>([
  ErrorCode.BAD_USER_INPUT, ErrorCode.SUBGRAPH_UNAVAILABLE, ErrorCode.DATABASE_UNAVAILABLE,
  'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND', 'OPERATION_RESOLUTION_FAILURE',
]);

/** Lets the graph's own and GraphQL's validation errors through; masks anything else. */
export function formatGatewayError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && PASS_THROUGH.has(code)) {
      // Subgraph internals (stack traces, upstream responses) never reach clients.
      const { serviceName } = formatted.extensions ?? {};
      return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code, ...(serviceName ? { serviceName } : {}) } };
    }
    logger.error('unexpected error', (error as { originalError?: unknown })?.originalError ?? error);
    return { message: 'Internal server error', path: formatted.path, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
  };
}

/** Builds the gateway server from its dependencies; listening is the caller's business. */
export function createGatewayServer(deps: GatewayDeps): GatewayServer {
  const logger = deps.logger ?? createLogger('gateway', 'warn');
  const metrics = deps.metrics ?? createMetrics('gateway', { defaultMetrics: false });
  const supergraph = deps.supergraph;
  const gateway = new ApolloGateway({
    logger,
    supergraphSdl: typeof supergraph === 'string' ? async () => ({ supergraphSdl: supergraph }) : supergraph,
    buildService: ({ name, url }) => new SubgraphDataSource(name, areaOf(name), deps.urlOverrides?.[name] ?? url ?? '', logger),
  });
  let loaded = false;
  gateway.onSchemaLoadOrUpdate(() => { loaded = true; });
  const apollo = new ApolloServer<BaseContext>({
    gateway,
    logger,
    includeStacktraceInErrorResponses: false,
    formatError: formatGatewayError(logger),
    plugins: [ApolloServerPluginLandingPageDisabled(), metricsPlugin(metrics)],
  });
  const http = createHttpService({
    apollo,
    context: async () => ({}),
    metrics,
    logger,
    isReady: () => loaded,
    routes: deps.routes,
  });
  return { apollo, gateway, http, metrics };
}
