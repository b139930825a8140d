import type { Fetcher, FetcherResponse } from '@apollo/utils.fetcher';
import { BrokenCircuitError, circuitBreaker, CircuitState, ConsecutiveBreaker, handleAll, type CircuitBreakerPolicy } from 'cockatiel';
import { Gauge } from 'prom-client';
import type { Metrics } from '@qsmo/service-kit/metrics';
import type { GatewayPlugin, SubgraphInfo } from '../plugin';

/** When a subgraph's circuit opens and when it is tried again. */
export interface CircuitBreakerOptions {
  metrics?: Metrics;
  /** Consecutive failed calls (no answer, timeout, 5xx) that open the circuit (default 5). */
  failureThreshold?: number;
  /** How long an open circuit answers at once before one call probes the subgraph again (default 2000 ms). */
  halfOpenAfterMs?: number;
}

/** A subgraph's circuit as /health/ready and /metrics report it. */
export type CircuitStateName = 'closed' | 'open' | 'half-open';

/** The circuit breaker plugin, with the state of each circuit for the health report. */
export interface CircuitBreakerPlugin extends GatewayPlugin {
  /** The circuit of each subgraph called so far, by service name. */
  states(): Record<string, { area: string; state: CircuitStateName }>;
}

const STATE_NAMES: Record<CircuitState, CircuitStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};
const STATE_VALUES: Record<CircuitStateName, number> = { closed: 0, open: 1, 'half-open': 2 };

/**
 * One circuit breaker per subgraph (cockatiel): after `failureThreshold`
 * failed calls in a row, calls to that subgraph fail at once for
 * `halfOpenAfterMs`, so its part of every response is SUBGRAPH_UNAVAILABLE
 * without waiting for a timeout and without piling requests on a sick
 * process; then one call probes it and a success closes the circuit. Kept
 * per subgraph name and URL, so a supergraph update keeps the state while a
 * subgraph moved to a new address starts afresh. State is exported as the
 * gauge `gateway_subgraph_circuit_state` (0 closed, 1 open, 2 half-open).
 */
export function useCircuitBreaker(options: CircuitBreakerOptions = {}): CircuitBreakerPlugin {
  const circuits = new Map<string, { subgraph: SubgraphInfo; policy: CircuitBreakerPolicy }>();
  const latest = new Map<string, string>();
  const gauge = options.metrics
    ? new Gauge({
        name: 'gateway_subgraph_circuit_state',
        help: 'Circuit breaker state per subgraph: 0 closed, 1 open (calls fail at once), 2 half-open (probing).',
        labelNames: ['subgraph'],
        registers: [options.metrics.registry],
      })
    : undefined;

  function circuitFor(subgraph: SubgraphInfo): CircuitBreakerPolicy {
    const key = `${subgraph.name} ${subgraph.url}`;
    latest.set(subgraph.name, key);
    let circuit = circuits.get(key);
    if (!circuit) {
      const policy = circuitBreaker(
        handleAll.orWhenResult((r) => (r as FetcherResponse).status >= 500),
        {
          halfOpenAfter: options.halfOpenAfterMs ?? 2_000,
          breaker: new ConsecutiveBreaker(options.failureThreshold ?? 5),
        },
      );
      policy.onStateChange((state) => {
        if (latest.get(subgraph.name) === key) gauge?.set({ subgraph: subgraph.name }, STATE_VALUES[STATE_NAMES[state]]);
      });
      circuits.set(key, (circuit = { subgraph, policy }));
      gauge?.set({ subgraph: subgraph.name }, 0);
    }
    return circuit.policy;
  }

  return {
    name: 'circuit-breaker',
    wrapFetcher(fetcher, subgraph): Fetcher {
      const policy = circuitFor(subgraph);
      return async (url, init) => {
        // cockatiel makes calls wait for the half-open probe's outcome; here they fail at once, so no call waits on a sick subgraph.
        if (policy.state === CircuitState.HalfOpen) throw new BrokenCircuitError('The circuit is half-open: one probe call is testing the subgraph.');
        return policy.execute(() => fetcher(url, init));
      };
    },
    states() {
      const out: Record<string, { area: string; state: CircuitStateName }> = {};
      for (const [name, key] of latest) {
        const circuit = circuits.get(key)!;
        out[name] = { area: circuit.subgraph.area, state: STATE_NAMES[circuit.policy.state] };
      }
      return out;
    },
  };
}
