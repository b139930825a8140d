import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLRequest, GatewayGraphQLRequestContext, GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import type { Fetcher, FetcherResponse } from '@apollo/utils.fetcher';
import { httpFetcher } from './http-fetcher';
import { GraphQLError } from 'graphql';
import { ConfigError, ErrorCode, subgraphUnavailable } from '@qsmo/service-kit/errors';
import { type Logger } from '@qsmo/service-kit/logger';
import type { SubgraphName } from './subgraphs';
import { withSubgraphCallContext, type GatewayContext, type GatewayDataSource, type GatewayPlugin, type SubgraphInfo } from './plugin';

/**
 * Per-subgraph settings of the gateway, by service name. Unknown names are
 * allowed (a test's toy subgraph); a known name gets completion.
 */
export type SubgraphOptionsMap = Readonly<Partial<Record<SubgraphName | (string & {}), SubgraphOptions>>>;

/** How the gateway talks to one subgraph. */
export interface SubgraphOptions {
  /** Overrides the routing URL written in the supergraph (e.g. from FINANCIAL_MANAGEMENT_URL). */
  url?: string;
  /** A request without an answer after this long is abandoned and the subgraph counts as unavailable for it. */
  timeoutMs?: number;
}

/**
 * Checks the per-subgraph settings once, where the gateway is built, so a
 * typo stops start-up with every problem listed instead of failing requests.
 */
export function validateSubgraphOptions(options: SubgraphOptionsMap = {}): SubgraphOptionsMap {
  const problems: string[] = [];
  const known = new Set(['url', 'timeoutMs']);
  for (const [name, value] of Object.entries(options)) {
    if (!value) continue;
    for (const key of Object.keys(value)) if (!known.has(key)) problems.push(`subgraph ${name}: unknown option "${key}" (known: ${[...known].join(', ')}).`);
    if (value.url !== undefined) {
      let protocol: string | undefined;
      try {
        protocol = new URL(value.url).protocol;
      } catch {
        /* reported below */
      }
      if (protocol !== 'http:' && protocol !== 'https:') problems.push(`subgraph ${name}: url "${value.url}" is not an absolute http(s) URL.`);
    }
    if (value.timeoutMs !== undefined && !(Number.isInteger(value.timeoutMs) && value.timeoutMs > 0)) {
      problems.push(`subgraph ${name}: timeoutMs must be a positive whole number of milliseconds, not ${value.timeoutMs}.`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return options;
}

/** Everything a data-source factory gets: the subgraph, its settings, the plugins' hooks and the HTTP client already wrapped. */
export interface DataSourceSpec {
  subgraph: SubgraphInfo;
  options: SubgraphOptions;
  plugins: readonly GatewayPlugin[];
  fetcher: Fetcher;
  logger: Logger;
}

/** Builds one subgraph's data source; replaceable so tests and later transports need no change to the server. */
export type DataSourceFactory = (spec: DataSourceSpec) => GatewayDataSource;

/** The default factory: a RemoteGraphQLDataSource running the plugins' hooks. */
export const createSubgraphDataSource: DataSourceFactory = (spec) => new SubgraphDataSource(spec);

/**
 * Whether a data source call serves a client's operation rather than the
 * gateway's own health check or schema load. @apollo/gateway exports the
 * request-kind enum only as a type, so we tell them apart by the field only
 * client operations carry.
 */
// biome-ignore lint/suspicious/noExplicitAny: the constraint @apollo/gateway puts on its context type parameter
export function isIncomingOperation<T extends Record<string, any>>(
  options: GraphQLDataSourceProcessOptions<T>,
): options is Extract<GraphQLDataSourceProcessOptions<T>, { incomingRequestContext: unknown }> {
  return 'incomingRequestContext' in options;
}

/** Whether an error is our "that subgraph could not be reached (or not in time)", the only failures failover may act on. */
export function isSubgraphUnavailable(error: unknown): error is GraphQLError {
  const code = error instanceof GraphQLError ? error.extensions?.code : undefined;
  return code === ErrorCode.SUBGRAPH_UNAVAILABLE || code === ErrorCode.SUBGRAPH_TIMEOUT;
}

/**
 * The HTTP client one subgraph gets: httpFetcher (see there why not Apollo's default), the subgraph's
 * timeout innermost (so a retry plugin times each attempt), then the plugins'
 * wrappers in list order.
 */
export function subgraphFetcher(subgraph: SubgraphInfo, options: SubgraphOptions, plugins: readonly GatewayPlugin[]): Fetcher {
  let fetcher: Fetcher = httpFetcher;
  if (options.timeoutMs !== undefined) fetcher = withTimeout(fetcher, options.timeoutMs);
  for (const plugin of plugins) if (plugin.wrapFetcher) fetcher = plugin.wrapFetcher(fetcher, subgraph);
  return fetcher;
}

/** Abandons a request after `ms`, so one silent subgraph cannot hold a client's whole response. */
export function withTimeout(fetcher: Fetcher, ms: number): Fetcher {
  return async (url, init) => {
    const timeout = AbortSignal.timeout(ms);
    const signal = init?.signal ? AbortSignal.any([init.signal as AbortSignal, timeout]) : timeout;
    try {
      return await fetcher(url, { ...init, signal });
    } catch (error) {
      if (timeout.aborted) throw new Error(`no answer from ${url} within ${ms} ms`, { cause: error });
      throw error;
    }
  };
}

/**
 * A subgraph data source built only on RemoteGraphQLDataSource's public
 * extension points. It runs the plugins' hooks, and its failures speak the
 * graph's language: for a client's operation, a subgraph that does not answer
 * (or answers 5xx) becomes SUBGRAPH_UNAVAILABLE naming its area, never a
 * message carrying internal addresses. The gateway's health checks keep the
 * real error, which the registry manager logs to say why it refused a
 * supergraph. Any other failure (an unreadable body, a hook's bug) is
 * passed on as it is, so it is logged and masked rather than mistaken for
 * an outage.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  /** Contexts of client operations seen by willSendRequest: later hooks only get the context, not the request kind. */
  private readonly clientContexts = new WeakSet<object>();
  private readonly spec: DataSourceSpec;

  constructor(spec: DataSourceSpec) {
    super({ url: spec.subgraph.url, fetcher: spec.fetcher });
    this.spec = spec;
  }

  /** Every call runs with the client request's context in reach of the fetcher wrappers (see subgraphCallContext). */
  override process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    return withSubgraphCallContext(isIncomingOperation(options) ? options.context : undefined, () => super.process(options));
  }

  override async willSendRequest(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    const context = isIncomingOperation(options) ? options.context : undefined;
    if (context) this.clientContexts.add(context);
    for (const plugin of this.spec.plugins) await plugin.willSendRequest?.({ subgraph: this.spec.subgraph, options, context });
  }

  override async didReceiveResponse({
    request,
    response,
    context,
  }: Required<Pick<GatewayGraphQLRequestContext<GatewayContext>, 'request' | 'response' | 'context'>>): Promise<GatewayGraphQLResponse> {
    const client = this.clientContext(context);
    let current = response;
    for (const plugin of this.spec.plugins) {
      current = (await plugin.didReceiveResponse?.({ subgraph: this.spec.subgraph, request, response: current, context: client })) ?? current;
    }
    return current;
  }

  override didEncounterError(
    error: Error,
    _fetchRequest: unknown,
    fetchResponse?: FetcherResponse,
    context?: GatewayContext,
    request?: GatewayGraphQLRequest,
  ): never {
    const { subgraph, plugins, logger } = this.spec;
    const client = this.clientContext(context);
    const unreachable = fetchResponse === undefined || fetchResponse.status >= 500;
    let current = error;
    for (const plugin of plugins) {
      current = plugin.didEncounterError?.({ subgraph, error: current, request, response: fetchResponse, context: client, unreachable }) ?? current;
    }
    if (current !== error || !client || !unreachable) throw current;
    logger.warn(`subgraph ${subgraph.name} failed: ${error.message}`);
    throw subgraphUnavailable(subgraph.name, subgraph.area);
  }

  private clientContext(context: GatewayContext | undefined): GatewayContext | undefined {
    return context && this.clientContexts.has(context) ? context : undefined;
  }
}
