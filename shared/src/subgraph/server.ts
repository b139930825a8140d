import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { DocumentNode, GraphQLFormattedError } from 'graphql';
import type { Db } from 'mongodb';
import { MongoError } from 'mongodb';
import { createContext, graphCollections, type GraphContext } from '../context';
import type { DomainDefinition } from '../domain/definition';
import { ErrorCode } from '../errors';
import { createHttpService, type DrainOptions, type HttpService } from '../http/service';
import { createLogger, type Logger } from '../logger';
import { createMetrics, metricsPlugin, type Metrics } from '../metrics';
import { pingDb } from '../mongo';
import { subgraphTypeDefs } from './schema';

export interface SubgraphServerDeps {
  definition: DomainDefinition;
  db: Db;
  logger?: Logger;
  metrics?: Metrics;
  /** Overrides the whole SDL built from the subgraph's sources (schema rollout tests, with a definition whose resolvers match). */
  typeDefs?: DocumentNode;
  /** How stop() drains (see HttpServiceOptions). */
  drain?: DrainOptions;
}

export interface SubgraphServer {
  apollo: ApolloServer<GraphContext>;
  http: HttpService;
  metrics: Metrics;
  /** A fresh per-request context, for in-process executeOperation tests. */
  context(): GraphContext;
}

/**
 * Keeps internal details out of responses: expected errors (our codes,
 * validation) pass through; a database outage gets its own code; anything
 * else is logged in full and answered with a generic message.
 */
export function formatSubgraphError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    const original = (error as { originalError?: unknown } | null)?.originalError ?? error;
    if (original instanceof MongoError) {
      logger.error('database error', original);
      return { message: 'The database did not answer; retry shortly.', path: formatted.path, extensions: { code: ErrorCode.DATABASE_UNAVAILABLE } };
    }
    if (code === ErrorCode.INTERNAL_SERVER_ERROR || code === undefined) {
      logger.error('unexpected error', original);
      return { message: 'Internal server error', path: formatted.path, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
    }
    return formatted;
  };
}

/** Builds a subgraph server from its dependencies; listening is the caller's business. */
export function createSubgraphServer(deps: SubgraphServerDeps): SubgraphServer {
  const { definition } = deps;
  const logger = deps.logger ?? createLogger(definition.serviceName, 'warn');
  const metrics = deps.metrics ?? createMetrics(definition.serviceName, { defaultMetrics: false });
  const collections = graphCollections(deps.db);
  const schema = buildSubgraphSchema([{ typeDefs: deps.typeDefs ?? subgraphTypeDefs(definition.entry), resolvers: definition.resolvers }]);
  const apollo = new ApolloServer<GraphContext>({
    schema,
    logger,
    includeStacktraceInErrorResponses: false,
    // Our own shutdown drains HTTP first, then stops Apollo; Apollo's handler would race it.
    stopOnTerminationSignals: false,
    formatError: formatSubgraphError(logger),
    // Inline (ftv1) traces only feed Apollo's hosted usage reporting, which this graph never sends.
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled(), metricsPlugin(metrics)],
  });
  const context = () => createContext(collections);
  const http = createHttpService({
    apollo,
    context: async () => context(),
    metrics,
    logger,
    isReady: () => pingDb(deps.db),
    ...deps.drain,
  });
  return { apollo, http, metrics, context };
}
