import { ApolloGateway, type SupergraphManager } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin, type BaseContext } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLFormattedError } from 'graphql';
import { createHttpService, createLogger, createMetrics, ErrorCode, metricsPlugin, type HttpService, type Logger, type Metrics, type Route } from '@qsmo/shared';
import type { DrainOptions } from '@qsmo/shared/http/service';
import { SubgraphDataSource } from './datasource';
import { RootFailover } from './failover';
import { areaOf } from './subgraphs';

export interface GatewayDeps {
  /** Where supergraphs come from: a fixed SDL, or a manager that can push updates. */
  supergraph: string | SupergraphManager;
  /** Overrides of the routing URLs written in the supergraph, by subgraph name. */
  urlOverrides?: Record<string, string>;
  logger?: Logger;
  metrics?: Metrics;
  /** Extra HTTP routes, e.g. the browser IDE (see ide.ts). */
  routes?: Record<string, Route>;
  /**
   * Whether clients may introspect the schema; by default only outside
   * production. The browser IDE needs it for its docs and completion.
   */
  introspection?: boolean;
  /**
   * Describes the supergraph in service (e.g. the registry version): shown
   * in /health/ready and, when it has a version, in every GraphQL response's
   * Supergraph-Version header.
   */
  supergraphStatus?: () => SupergraphStatus;
  /** How stop() drains (see HttpServiceOptions). */
  drain?: DrainOptions;
}

/** What the gateway says about the supergraph it serves; version, when known, goes in a header too. */
export interface SupergraphStatus {
  source: string;
  version?: number | string;
}

/** The response header naming the supergraph version a request was served with. */
export const SUPERGRAPH_VERSION_HEADER = 'supergraph-version';

/**
 * Sets the Supergraph-Version header from the version in service when the
 * request started: a switch takes effect for requests that start after it.
 */
function supergraphVersionPlugin(status: NonNullable<GatewayDeps['supergraphStatus']>): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const version = status().version;
      return {
        async willSendResponse({ response }) {
          if (version !== undefined) response.http.headers.set(SUPERGRAPH_VERSION_HEADER, String(version));
        },
      };
    },
  };
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
    // The gateway's own INVALID_GRAPHQL (e.g. an unknown operationName) is the caller's mistake.
    if (code === 'INVALID_GRAPHQL') return { message: formatted.message, extensions: { code: ErrorCode.BAD_USER_INPUT } };
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
  const sources = new Map<string, SubgraphDataSource>();
  const failover = new RootFailover();
  const gateway = new ApolloGateway({
    logger,
    supergraphSdl: typeof supergraph === 'string' ? async () => ({ supergraphSdl: supergraph }) : supergraph,
    buildService: ({ name, url }) => {
      const source = new SubgraphDataSource(name, areaOf(name), deps.urlOverrides?.[name] ?? url ?? '', logger, { failover, get: (n) => sources.get(n) });
      sources.set(name, source);
      return source;
    },
  });
  let loaded = false;
  gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => {
    failover.update(coreSupergraphSdl);
    loaded = true;
  });
  const apollo = new ApolloServer<BaseContext>({
    gateway,
    logger,
    includeStacktraceInErrorResponses: false,
    // Our own shutdown drains HTTP first, then stops Apollo; Apollo's handler would race it.
    stopOnTerminationSignals: false,
    introspection: deps.introspection,
    formatError: formatGatewayError(logger),
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      metricsPlugin(metrics),
      ...(deps.supergraphStatus ? [supergraphVersionPlugin(deps.supergraphStatus)] : []),
    ],
  });
  const status = deps.supergraphStatus;
  const http = createHttpService({
    apollo,
    context: async () => ({}),
    metrics,
    logger,
    isReady: () => loaded,
    readinessDetails: status ? () => ({ supergraph: status() }) : undefined,
    routes: deps.routes,
    ...deps.drain,
  });
  return { apollo, gateway, http, metrics };
}
