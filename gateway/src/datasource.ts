import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { GraphQLError } from 'graphql';
import { subgraphUnavailable, type Logger } from '@qsmo/shared';

/**
 * A subgraph data source whose failures speak the graph's language: a
 * subgraph that cannot be reached becomes a SUBGRAPH_UNAVAILABLE error naming
 * its area, never a message carrying internal addresses.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource {
  constructor(private readonly serviceName: string, private readonly area: string, url: string, private readonly logger: Logger) {
    super({ url });
  }

  override async process(options: GraphQLDataSourceProcessOptions): Promise<GatewayGraphQLResponse> {
    try {
      return await super.process(options);
    } catch (error) {
      if (error instanceof GraphQLError && typeof error.extensions?.code === 'string' && error.extensions.code !== 'DOWNSTREAM_SERVICE_ERROR') throw error;
      this.logger.warn(`subgraph ${this.serviceName} failed: ${(error as Error).message}`);
      throw subgraphUnavailable(this.serviceName, this.area);
    }
  }
}
