import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';

/** One subgraph as composition sees it: its name in the supergraph, routing URL and full SDL. */
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
  let typeDefs: { name: string; url: string; typeDefs: ReturnType<typeof parse> }[];
  try {
    typeDefs = subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parseNamed(s) }));
  } catch (error) {
    throw new CompositionError([(error as Error).message]);
  }
  const result = composeServices(typeDefs);
  if (result.errors) throw new CompositionError(result.errors.map((e) => e.message));
  return { supergraphSdl: result.supergraphSdl, hints: result.hints.map((h) => h.toString()) };
}

function parseNamed(source: SubgraphSource) {
  try {
    return parse(source.sdl);
  } catch (error) {
    throw new Error(`[${source.name}] the SDL does not parse: ${(error as Error).message}`);
  }
}
