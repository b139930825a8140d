import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { DocumentNode, GraphQLFormattedError, GraphQLSchema } from 'graphql';
import type { Identity } from '@qsmo/service-kit/auth/identity';
import { hideSuggestionsPlugin, refuseSubscriptionsPlugin } from '@qsmo/service-kit/client-errors';
import { costModelOfSubgraph } from '@qsmo/service-kit/cost';
import { callerClassOf, demandControlPlugin, type CostBudgets } from '@qsmo/service-kit/demand-control';
import { operationLimitRules, tokenLimitMessagePlugin, tokenLimitParseOptions, type OperationLimits } from '@qsmo/service-kit/limits';
import type { Logger } from '@qsmo/service-kit/logger';
import { metricsPlugin, type Metrics } from '@qsmo/service-kit/metrics';
import { headerClient, requestLogPlugin } from '@qsmo/service-kit/request-log';
import { MongoError } from 'mongodb';
import { ErrorCode } from '@qsmo/service-kit/errors';

/** What every subgraph's Apollo server is built from: its schema (and the type definitions its costs are read from) and its serving settings. */
export interface SubgraphApolloOptions {
  schema: GraphQLSchema;
  typeDefs: DocumentNode;
  logger: Logger;
  metrics: Metrics;
  /** The gateway's limits with a subgraph's headroom (subgraphLimits). */
  limits: OperationLimits;
  /** Demand control's budgets per caller class, as the gateway signed the caller. */
  costBudgets: CostBudgets;
  /** Production: no suggestions or schema details in errors. */
  hideSchemaDetails: boolean;
}

/**
 * The Apollo server of a subgraph (a marketplace or the directory): the same
 * limits, demand control over its own @cost/@listSize, request log, metrics
 * and client-error handling for every one, so a document sent to any of them
 * directly is bounded as at the gateway.
 */
export function createSubgraphApollo<TContext extends BaseContext & { identity: Identity }>(options: SubgraphApolloOptions): ApolloServer<TContext> {
  const { schema, logger, metrics, limits, hideSchemaDetails } = options;
  const costModel = costModelOfSubgraph(options.typeDefs, schema);
  return new ApolloServer<TContext>({
    schema,
    logger,
    includeStacktraceInErrorResponses: false,
    // Our own shutdown drains HTTP first, then stops Apollo; Apollo's handler would race it.
    stopOnTerminationSignals: false,
    formatError: formatSubgraphError(logger),
    // Inline (ftv1) traces only feed Apollo's hosted usage reporting, which this graph never sends.
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      metricsPlugin(metrics),
      tokenLimitMessagePlugin(),
      // One log line per request with the trace id the gateway propagated; the id also goes back in x-trace-id and error extensions.
      requestLogPlugin<TContext>({
        logger,
        clientOf: (r) => {
          const c = headerClient(r);
          return { ...c, name: c.name ?? r.contextValue.identity.subject ?? undefined };
        },
      }),
      refuseSubscriptionsPlugin(),
      ...(hideSchemaDetails ? [hideSuggestionsPlugin<TContext>()] : []),
      // The gateway's demand control over this subgraph's own @cost/@listSize, with headroom: a costly document sent here directly is refused too.
      demandControlPlugin<TContext>({ model: () => costModel, callerClassOf: (context) => callerClassOf(context.identity), budgets: options.costBudgets }),
    ],
    // The same limits as the gateway's, with headroom for its fetches: a document sent here directly cannot exhaust the subgraph either.
    validationRules: operationLimitRules(limits),
    parseOptions: tokenLimitParseOptions(limits),
    hideSchemaDetailsFromClientErrors: hideSchemaDetails,
  });
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
