import type { EnvReader } from '@qsmo/service-kit/config';
import { envName } from '@qsmo/service-kit/subgraphs';
import { SUBGRAPHS } from './subgraphs';

/** Every timeout and limit of the gateway's calls to subgraphs, read once at start-up (see docs/reference/resilience.md). */
export interface ResilienceConfig {
  /** SUBGRAPH_TIMEOUT_MS: how long one call to a subgraph may take. */
  subgraphTimeoutMs: number;
  /** `<NAME>_TIMEOUT_MS`: per-subgraph overrides, by service name. */
  perSubgraphTimeoutMs: Record<string, number>;
  /** REQUEST_DEADLINE_MS: how long a client's request may take in all. */
  requestDeadlineMs: number;
  /** SUBGRAPH_RETRIES: retries of a query after a refused or reset connection (0 turns them off). */
  retries: number;
  /** CIRCUIT_FAILURE_THRESHOLD: failed calls in a row that open a subgraph's circuit. */
  circuitFailureThreshold: number;
  /** CIRCUIT_HALF_OPEN_AFTER_MS: how long an open circuit answers at once before probing. */
  circuitHalfOpenAfterMs: number;
  /** SUBGRAPH_MAX_SOCKETS: connections per subgraph. */
  maxSocketsPerSubgraph: number;
  /** SUBGRAPH_HEALTH_INTERVAL_MS: how often each subgraph's readiness is probed for /health/ready. */
  healthIntervalMs: number;
}

/** 3 s per subgraph and 4.5 s per request: a portfolio whose subgraph hangs still answers in under 5 s, failover included. */
export const DEFAULT_SUBGRAPH_TIMEOUT_MS = 3_000;
export const DEFAULT_REQUEST_DEADLINE_MS = 4_500;

/** Reads the resilience settings; a per-subgraph timeout above the request deadline is reported, since it could never apply. */
export function readResilienceConfig(env: EnvReader): ResilienceConfig {
  const requestDeadlineMs = env.positiveInt('REQUEST_DEADLINE_MS', DEFAULT_REQUEST_DEADLINE_MS);
  const subgraphTimeoutMs = env.positiveInt('SUBGRAPH_TIMEOUT_MS', DEFAULT_SUBGRAPH_TIMEOUT_MS);
  const perSubgraphTimeoutMs: Record<string, number> = {};
  for (const s of SUBGRAPHS) {
    const name = envName(s.name, 'TIMEOUT_MS');
    if (env.isSet(name)) perSubgraphTimeoutMs[s.name] = env.positiveInt(name, subgraphTimeoutMs);
  }
  for (const [name, ms] of Object.entries({
    SUBGRAPH_TIMEOUT_MS: subgraphTimeoutMs,
    ...Object.fromEntries(Object.entries(perSubgraphTimeoutMs).map(([n, v]) => [envName(n, 'TIMEOUT_MS'), v])),
  })) {
    if (ms > requestDeadlineMs)
      env.problem(`${name}=${ms} is longer than REQUEST_DEADLINE_MS=${requestDeadlineMs}: lower it, or raise the deadline, or it can never apply.`);
  }
  return {
    subgraphTimeoutMs,
    perSubgraphTimeoutMs,
    requestDeadlineMs,
    retries: env.nonNegativeInt('SUBGRAPH_RETRIES', 2),
    circuitFailureThreshold: env.positiveInt('CIRCUIT_FAILURE_THRESHOLD', 5),
    circuitHalfOpenAfterMs: env.positiveInt('CIRCUIT_HALF_OPEN_AFTER_MS', 2_000),
    maxSocketsPerSubgraph: env.positiveInt('SUBGRAPH_MAX_SOCKETS', 64),
    healthIntervalMs: env.positiveInt('SUBGRAPH_HEALTH_INTERVAL_MS', 2_000),
  };
}
