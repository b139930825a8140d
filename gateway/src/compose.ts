import { Supergraph } from '@apollo/federation-internals';
import type { GraphQLSchema } from 'graphql';
import { SUBGRAPHS, type SubgraphEntry } from '@qsmo/service-kit/subgraphs';
import { subgraphSdl } from '@qsmo/subgraph-kit/subgraph/schema';
import { DIRECTORY } from '@qsmo/service-kit/subgraphs';
import { directorySdl } from '@qsmo/directory/schema';
import type { SubgraphSource } from '@qsmo/registry/compose';
import type { SubgraphEndpoint } from './subgraphs';

// Composition itself lives in shared, where the schema registry checks with it too.
export { composeSupergraph, CompositionError, type SubgraphSource } from '@qsmo/registry/compose';

/**
 * The local subgraph sources: each subgraph's SDL built from its package (see
 * subgraphSdl), and the directory's (directorySdl), which lists every entry's
 * offerings. `entries` is the list of subgraphs, which a test may extend.
 */
export function localSubgraphSources(endpoints: Pick<SubgraphEndpoint, 'name' | 'url'>[], entries: readonly SubgraphEntry[] = SUBGRAPHS): SubgraphSource[] {
  return endpoints.map((e) => {
    if (e.name === DIRECTORY.name) return { name: e.name, url: e.url, sdl: directorySdl(entries) };
    const entry = entries.find((s) => s.name === e.name);
    if (!entry) throw new Error(`No subgraph named "${e.name}" in the list of subgraphs: ${entries.map((s) => s.name).join(', ')}.`);
    return { name: e.name, url: e.url, sdl: subgraphSdl(entry, undefined, entries) };
  });
}

/** The client-facing schema of a supergraph: what frontend teams and the IDE see, without federation internals. */
export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();
}
