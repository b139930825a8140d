/**
 * The gateway's plugin phases, in the order a request meets them. Every
 * plugin joins one phase at a position; the assembled list is sorted by
 * phase, then position, and each stage of a request (HTTP guards, screens,
 * context, Apollo hooks, subgraph hooks) runs it in that order. Fetcher and
 * data-source wrappers are applied in that order too, so the first wraps
 * innermost: the upstream phase lists its wrappers from the wire outwards.
 */
export const PHASES = [
  { name: 'admission', purpose: 'Refuse a request before anything else is done for it (CORS: a foreign origin, a preflight).' },
  { name: 'identity', purpose: 'Who is calling: the bearer token verified, and the signed identity every subgraph request carries.' },
  {
    name: 'limits',
    purpose:
      'What the caller may do: rate limits, anonymous writes, operation limits, trusted documents, cost budgets; refused before planning and before the cache answers.',
  },
  { name: 'cache', purpose: 'Whole responses answered from memory, and evicted on mutations and on changes made elsewhere.' },
  {
    name: 'execution',
    purpose:
      'Around each operation: metrics, request hygiene, headers and trace context to the subgraphs, request log, field usage, supergraph version, extra routes.',
  },
  {
    name: 'upstream',
    purpose:
      'Calls to subgraphs, from the wire outwards: call metrics, connection caps, deadlines, circuit breakers, retries, health, deduplication, failover.',
  },
] as const;

export type PhaseName = (typeof PHASES)[number]['name'];

/** Where a plugin runs: its phase, and its position inside the phase (lower first; gaps leave room for new plugins). */
export interface PluginPlace {
  phase: PhaseName;
  position: number;
}
