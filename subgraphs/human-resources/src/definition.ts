import { defineSubgraph } from '@qsmo/subgraph-kit/domain/definition';
import { entry } from './entry';
import { resolvers } from './resolvers';

/** The Human Resources subgraph: its entry in the list of subgraphs and its own resolvers. */
export const definition = defineSubgraph(entry, resolvers);
