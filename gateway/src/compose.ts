import { Supergraph } from '@apollo/federation-internals';
import type { GraphQLSchema } from 'graphql';
import { subgraphSdl } from '@qsmo/shared';
import type { SubgraphSource } from '@qsmo/shared/registry/compose';
import { schemaPathOf, type SubgraphEndpoint } from './subgraphs';

// Composition itself lives in shared, where the schema registry checks with it too.
export { composeSupergraph, CompositionError, type SubgraphSource } from '@qsmo/shared/registry/compose';

/** The local subgraph sources: each subgraph's schema.graphql with the shared reference SDL. */
export function localSubgraphSources(endpoints: SubgraphEndpoint[]): SubgraphSource[] {
  return endpoints.map((e) => ({ name: e.name, url: e.url, sdl: subgraphSdl(schemaPathOf(e.name)) }));
}

/** The client-facing schema of a supergraph: what frontend teams and the IDE see, without federation internals. */
export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();
}
