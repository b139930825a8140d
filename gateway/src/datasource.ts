import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLDataSourceRequestKind } from '@apollo/gateway/dist/datasources/types';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { GraphQLError } from 'graphql';
import { subgraphUnavailable, type Logger } from '@qsmo/shared';
import type { RootFailover } from './failover';

/** The other subgraphs' data sources and the failover rewriter, shared by all data sources of one gateway. */
export interface FailoverPeers {
  failover: RootFailover;
  get(name: string): SubgraphDataSource | undefined;
}

/**
 * A subgraph data source whose failures speak the graph's language: a
 * subgraph that cannot be reached becomes a SUBGRAPH_UNAVAILABLE error naming
 * its area, never a message carrying internal addresses. A failed root query
 * is retried, reduced to its shared part, on another subgraph (see failover.ts).
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource {
  constructor(
    private readonly serviceName: string,
    private readonly area: string,
    url: string,
    private readonly logger: Logger,
    private readonly peers?: FailoverPeers,
  ) {
    super({ url });
  }

  override async process(options: GraphQLDataSourceProcessOptions): Promise<GatewayGraphQLResponse> {
    try {
      return await this.processDirect(options);
    } catch (error) {
      if (options.kind !== GraphQLDataSourceRequestKind.INCOMING_OPERATION || !(error instanceof GraphQLError)) throw error;
      if (error.extensions.code !== 'SUBGRAPH_UNAVAILABLE') throw error;
      return (await this.failOver(options, error)) ?? Promise.reject(error);
    }
  }

  /** One attempt at this subgraph, with failures mapped to the graph's error codes. */
  async processDirect(options: GraphQLDataSourceProcessOptions): Promise<GatewayGraphQLResponse> {
    try {
      return await super.process(options);
    } catch (error) {
      // Health checks decide whether to switch supergraphs: their log needs the real reason, and no client sees them.
      if (options.kind === GraphQLDataSourceRequestKind.HEALTH_CHECK) throw error;
      if (error instanceof GraphQLError && typeof error.extensions?.code === 'string' && error.extensions.code !== 'DOWNSTREAM_SERVICE_ERROR') throw error;
      this.logger.warn(`subgraph ${this.serviceName} failed: ${(error as Error).message}`);
      throw subgraphUnavailable(this.serviceName, this.area);
    }
  }

  private async failOver(options: GraphQLDataSourceProcessOptions, unavailable: GraphQLError): Promise<GatewayGraphQLResponse | null> {
    if (!this.peers || !options.request.query) return null;
    for (const name of this.peers.failover.candidates(this.serviceName)) {
      const peer = this.peers.get(name);
      const rewritten = this.peers.failover.rewrite(options.request.query, name);
      if (!peer || !rewritten) continue;
      const variables = Object.fromEntries(Object.entries(options.request.variables ?? {}).filter(([k]) => rewritten.variableNames.has(k)));
      try {
        const response = await peer.processDirect({ ...options, request: { ...options.request, query: rewritten.query, variables } });
        this.logger.info(`answered the shared part of a ${this.serviceName} root query from ${name}`);
        return { ...response, errors: [{ message: unavailable.message, extensions: unavailable.extensions }, ...(response.errors ?? [])] };
      } catch {
        // That one is down too: try the next.
      }
    }
    return null;
  }
}
