import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import type { GraphQLError } from 'graphql';
import { ErrorCode } from '@qsmo/service-kit/errors';
import { isIncomingOperation, isSubgraphUnavailable } from '../datasource';
import { RootFailover } from '../failover';
import type { DataSourceEnv, GatewayContext, GatewayDataSource, GatewayPlugin } from '../plugin';

/**
 * Root-query failover for the shared reference fields (see failover.ts for
 * why): a client's root query to a subgraph that cannot be reached is
 * re-sent, reduced to its shared part, to the other served subgraphs in turn.
 */
export function useRootFailover(): GatewayPlugin {
  const failover = new RootFailover();
  return {
    name: 'root-failover',
    onSupergraphLoad: ({ supergraph }) => failover.update(supergraph),
    wrapDataSource: (source, env) => new FailoverDataSource(source, env, failover),
  };
}

/**
 * A data source in front of one subgraph's, by composition: Apollo calls its
 * process(), which delegates and only steps in on SUBGRAPH_UNAVAILABLE.
 */
export class FailoverDataSource implements GatewayDataSource {
  constructor(
    private readonly inner: GatewayDataSource,
    private readonly env: DataSourceEnv,
    private readonly failover: RootFailover,
  ) {}

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    try {
      return await this.inner.process(options);
    } catch (error) {
      if (!isIncomingOperation(options) || !isSubgraphUnavailable(error)) throw error;
      return (await this.failOver(options, error)) ?? Promise.reject(error);
    }
  }

  /**
   * Only a peer that cannot be reached either moves on to the next one. Any
   * other peer failure is a bug or a rewrite the peer rejects: it is logged
   * in full and answered as an internal error next to the original
   * unavailability, instead of vanishing behind "all peers down".
   */
  private async failOver(options: GraphQLDataSourceProcessOptions<GatewayContext>, unavailable: GraphQLError): Promise<GatewayGraphQLResponse | null> {
    const { subgraph, logger } = this.env;
    if (!options.request.query) return null;
    const original = { message: unavailable.message, extensions: unavailable.extensions };
    for (const name of this.failover.candidates(subgraph.name)) {
      const peer = this.env.peer(name);
      const rewritten = this.failover.rewrite(options.request.query, name);
      if (!peer || !rewritten) continue;
      const variables = Object.fromEntries(Object.entries(options.request.variables ?? {}).filter(([k]) => rewritten.variableNames.has(k)));
      let response: GatewayGraphQLResponse;
      try {
        response = await peer.process({ ...options, request: { ...options.request, query: rewritten.query, variables } });
      } catch (error) {
        if (isSubgraphUnavailable(error)) continue;
        logger.error(`failing over a ${subgraph.name} root query to ${name} failed`, error);
        return { errors: [original, { message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }] };
      }
      logger.info(`answered the shared part of a ${subgraph.name} root query from ${name}`);
      return { ...response, errors: [original, ...(response.errors ?? [])] };
    }
    return null;
  }
}
