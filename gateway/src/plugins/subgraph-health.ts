import { Gauge } from 'prom-client';
import type { Metrics } from '@qsmo/service-kit/metrics';
import type { GatewayPlugin } from '../plugin';
import { getSubgraphRoute, pollSubgraphs } from './subgraph-poller';
import type { CircuitBreakerPlugin } from './circuit-breaker';

/** How the gateway watches its subgraphs' own readiness. */
export interface SubgraphHealthOptions {
  metrics?: Metrics;
  /** The circuits to report beside the probes (useCircuitBreaker). */
  circuits?: Pick<CircuitBreakerPlugin, 'states'>;
  /** How often each subgraph's /health/ready is asked (default 2000 ms). */
  intervalMs?: number;
  /** How long one probe may take before the subgraph counts as not ready (default 1000 ms). */
  timeoutMs?: number;
}

/** One probe of `<subgraph>/health/ready`; a hung subgraph costs one socket for `timeoutMs`. */
export async function probeReady(url: string, timeoutMs: number): Promise<{ ready: boolean; reason?: string }> {
  const answer = await getSubgraphRoute(url, timeoutMs);
  if ('error' in answer) return { ready: false, reason: answer.error };
  return answer.status === 200 ? { ready: true } : { ready: false, reason: `answered ${answer.status}` };
}

/**
 * Says in the gateway's /health/ready which areas are degraded: a subgraph
 * whose circuit is open, or whose own readiness fails (its database hung,
 * it is draining). The gateway itself stays ready, because it still serves
 * the other areas; `degraded` lists the areas whose fields are null for now.
 * Probes run in the background, so a readiness request never waits on a sick
 * subgraph. Also the gauge `gateway_subgraph_ready` (1 ready, 0 not).
 */
export function useSubgraphHealth(options: SubgraphHealthOptions = {}): GatewayPlugin {
  const intervalMs = options.intervalMs ?? 2_000;
  const timeoutMs = options.timeoutMs ?? 1_000;
  const status = new Map<string, { ready: boolean; reason?: string; checkedAt: string }>();
  const gauge = options.metrics
    ? new Gauge({
        name: 'gateway_subgraph_ready',
        help: 'Whether each subgraph answers its own readiness probe (1) or not (0).',
        labelNames: ['subgraph'],
        registers: [options.metrics.registry],
      })
    : undefined;
  const { known, hooks } = pollSubgraphs(intervalMs, async (subgraphs) => {
    await Promise.all(
      subgraphs.map(async (s) => {
        const result = await probeReady(s.url.replace(/\/graphql$/, '/health/ready'), timeoutMs);
        status.set(s.name, { ...result, checkedAt: new Date().toISOString() });
        gauge?.set({ subgraph: s.name }, result.ready ? 1 : 0);
      }),
    );
  });

  return {
    name: 'subgraph-health',
    ...hooks,
    readinessDetails() {
      const circuits = options.circuits?.states() ?? {};
      const subgraphs: Record<string, unknown> = {};
      const degraded: string[] = [];
      for (const [name, s] of known) {
        const probe = status.get(name);
        const circuit = circuits[name]?.state;
        subgraphs[name] = {
          area: s.area,
          ...(circuit ? { circuit } : {}),
          ...(probe ? { ready: probe.ready, ...(probe.reason ? { reason: probe.reason } : {}), checkedAt: probe.checkedAt } : {}),
        };
        if ((circuit && circuit !== 'closed') || probe?.ready === false) degraded.push(s.area);
      }
      return { degraded, subgraphs };
    },
  };
}
