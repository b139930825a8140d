import type { Metrics } from '@qsmo/service-kit/metrics';
import type { GatewayPlugin } from '../plugin';
import { inPhaseOrder } from '../phases';
import { DEFAULT_REQUEST_DEADLINE_MS, DEFAULT_SUBGRAPH_TIMEOUT_MS, type ResilienceConfig } from '../resilience-config';
import { useCircuitBreaker } from './circuit-breaker';
import { useConnectionLimits } from './connection-limits';
import { useRetries } from './retries';
import { useSubgraphHealth } from './subgraph-health';
import { useUpstreamTimeout } from './upstream-timeout';

/**
 * The plugins that keep a sick subgraph from stalling the graph, in their
 * upstream-phase order (phases.ts says why): the connection cap and each
 * attempt's timeout innermost, the circuit breaker around them, retries
 * outside it, and the health report reading the circuits.
 */
export function resiliencePlugins(config: Partial<ResilienceConfig> & { metrics?: Metrics } = {}): GatewayPlugin[] {
  const circuits = useCircuitBreaker({
    metrics: config.metrics,
    failureThreshold: config.circuitFailureThreshold,
    halfOpenAfterMs: config.circuitHalfOpenAfterMs,
  });
  return inPhaseOrder([
    useConnectionLimits({ maxSockets: config.maxSocketsPerSubgraph }),
    useUpstreamTimeout({
      timeoutMs: config.subgraphTimeoutMs ?? DEFAULT_SUBGRAPH_TIMEOUT_MS,
      perSubgraph: config.perSubgraphTimeoutMs,
      requestDeadlineMs: config.requestDeadlineMs ?? DEFAULT_REQUEST_DEADLINE_MS,
    }),
    circuits,
    ...(config.retries === 0 ? [] : [useRetries({ maxRetries: config.retries })]),
    useSubgraphHealth({ metrics: config.metrics, circuits, intervalMs: config.healthIntervalMs }),
  ]);
}
