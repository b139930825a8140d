import type { Metrics } from '@qsmo/service-kit/metrics';
import type { GatewayPlugin } from '../plugin';
import { DEFAULT_REQUEST_DEADLINE_MS, DEFAULT_SUBGRAPH_TIMEOUT_MS, type ResilienceConfig } from '../resilience-config';
import { useCircuitBreaker } from './circuit-breaker';
import { useConnectionLimits } from './connection-limits';
import { useRetries } from './retries';
import { useSubgraphHealth } from './subgraph-health';
import { useUpstreamTimeout } from './upstream-timeout';

/**
 * The plugins that keep a sick subgraph from stalling the graph, in the one
 * order that works: the connection cap and each attempt's timeout innermost,
 * the circuit breaker around them (it counts every attempt and answers at
 * once when open), retries outermost (never of an open circuit), and the
 * health report reading the circuits. Settings default as in docs/reference/resilience.md.
 */
export function resiliencePlugins(config: Partial<ResilienceConfig> & { metrics?: Metrics } = {}): GatewayPlugin[] {
  const circuits = useCircuitBreaker({ metrics: config.metrics, failureThreshold: config.circuitFailureThreshold, halfOpenAfterMs: config.circuitHalfOpenAfterMs });
  return [
    useConnectionLimits({ maxSockets: config.maxSocketsPerSubgraph }),
    useUpstreamTimeout({
      timeoutMs: config.subgraphTimeoutMs ?? DEFAULT_SUBGRAPH_TIMEOUT_MS,
      perSubgraph: config.perSubgraphTimeoutMs,
      requestDeadlineMs: config.requestDeadlineMs ?? DEFAULT_REQUEST_DEADLINE_MS,
    }),
    circuits,
    ...(config.retries === 0 ? [] : [useRetries({ maxRetries: config.retries })]),
    useSubgraphHealth({ metrics: config.metrics, circuits, intervalMs: config.healthIntervalMs }),
  ];
}
