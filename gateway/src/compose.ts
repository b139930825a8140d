import { composeServices } from '@apollo/composition';
import { Supergraph } from '@apollo/federation-internals';
import { parse, type GraphQLSchema } from 'graphql';
import { subgraphSdl } from '@qsmo/shared';
import { schemaPathOf, type SubgraphEndpoint } from './subgraphs';

export interface SubgraphSource {
  name: string;
  url: string;
  sdl: string;
}

export class CompositionError extends Error {
  override readonly name = 'CompositionError';
  constructor(readonly errors: string[]) {
    super(`Composition failed with ${errors.length} error(s):\n${errors.map((e, i) => `${i + 1}. ${e}`).join('\n\n')}`);
  }
}

/** Composes subgraph schemas into a supergraph; every composition error is reported, in full. */
export function composeSupergraph(subgraphs: SubgraphSource[]): { supergraphSdl: string; hints: string[] } {
  const result = composeServices(subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) })));
  if (result.errors) throw new CompositionError(result.errors.map((e) => e.message));
  return { supergraphSdl: result.supergraphSdl, hints: result.hints.map((h) => h.toString()) };
}

/** The local subgraph sources: each subgraph's schema.graphql with the shared reference SDL. */
export function localSubgraphSources(endpoints: SubgraphEndpoint[]): SubgraphSource[] {
  return endpoints.map((e) => ({ name: e.name, url: e.url, sdl: subgraphSdl(schemaPathOf(e.name)) }));
}

/** The client-facing schema of a supergraph: what frontend teams and the IDE see, without federation internals. */
export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();
}
