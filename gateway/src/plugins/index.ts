import type { Metrics } from '@qsmo/service-kit/metrics';
import type { GatewayPlugin } from '../plugin';
import { inPhaseOrder } from '../phases';
import { useRootFailover } from './failover';
import { useMetrics } from './metrics';
import { usePropagateHeaders } from './propagate-headers';
import { useRequestHygiene } from './request-hygiene';

export { useRootFailover, FailoverDataSource } from './failover';
export { useMetrics } from './metrics';
export { usePropagateHeaders, DEFAULT_PROPAGATED_HEADERS } from './propagate-headers';
export { useRequestHygiene } from './request-hygiene';
export { useRoutes } from './routes';
export { useSupergraphVersion, SUPERGRAPH_VERSION_HEADER, type SupergraphStatus } from './supergraph-version';

/** The concerns every gateway of the graph runs unless its builder says otherwise; one list, so tests and production agree. */
export function standardPlugins(deps: { metrics: Metrics }): GatewayPlugin[] {
  return inPhaseOrder([useMetrics(deps.metrics), usePropagateHeaders(), useRootFailover(), useRequestHygiene()]);
}
export { resiliencePlugins } from './resilience';
export { useUpstreamTimeout, type UpstreamTimeoutOptions } from './upstream-timeout';
export { useRetries, RetryBudget, type RetryOptions } from './retries';
export { useCircuitBreaker, type CircuitBreakerPlugin, type CircuitBreakerOptions } from './circuit-breaker';
export { useConnectionLimits, type ConnectionLimitOptions } from './connection-limits';
export { useSubgraphHealth, probeReady, type SubgraphHealthOptions } from './subgraph-health';
