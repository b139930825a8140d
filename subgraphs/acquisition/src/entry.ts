import { subgraphNamed } from '@qsmo/service-kit/subgraphs';

/** This subgraph's entry in the one list of subgraphs (shared/service-kit/src/subgraphs.ts). */
export const entry = subgraphNamed('acquisition');
