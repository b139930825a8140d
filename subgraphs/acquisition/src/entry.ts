import { subgraphNamed } from '@qsmo/shared/subgraphs';

/** This subgraph's entry in the one list of subgraphs (shared/src/subgraphs.ts). */
export const entry = subgraphNamed('acquisition');
