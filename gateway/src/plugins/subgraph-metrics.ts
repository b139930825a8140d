import { Counter, Gauge, Histogram } from 'prom-client';
import { BoundedLabel, LATENCY_BUCKETS, type Metrics } from '@qsmo/service-kit/metrics';
import type { GatewayPlugin } from '../plugin';

/**
 * What an operator asks of each subgraph call: how long it took, how it
 * ended, how many are open now, and which errors the subgraph answered
 * with. Labels are the subgraph names of the supergraph, an outcome from a
 * fixed list and error codes (bounded): never anything a client chose.
 * Listed among the standard plugins, before the resilience ones, so its
 * fetcher is the innermost: each attempt of a retried call is timed on its
 * own, and a call cut by the timeout shows as "aborted".
 */
export interface SubgraphMetrics {
  fetchDuration: Histogram<'subgraph' | 'outcome'>;
  inFlight: Gauge<'subgraph'>;
  errors: Counter<'subgraph' | 'code'>;
}

const created = new WeakMap<Metrics, SubgraphMetrics>();

/** The gateway's per-subgraph metrics on its registry, created once per registry. */
export function subgraphMetrics(metrics: Metrics): SubgraphMetrics {
  let found = created.get(metrics);
  if (!found) {
    const registers = [metrics.registry];
    found = {
      fetchDuration: new Histogram({
        name: 'gateway_subgraph_fetch_duration_seconds',
        help: 'Latency of each HTTP call to a subgraph (each attempt), by subgraph and outcome (ok, http_4xx, http_5xx, aborted, network).',
        labelNames: ['subgraph', 'outcome'],
        buckets: LATENCY_BUCKETS,
        registers,
      }),
      inFlight: new Gauge({ name: 'gateway_subgraph_fetches_in_flight', help: 'Calls to each subgraph under way.', labelNames: ['subgraph'], registers }),
      errors: new Counter({
        name: 'gateway_subgraph_errors_total',
        help: 'GraphQL errors in subgraph responses, by subgraph and extensions.code.',
        labelNames: ['subgraph', 'code'],
        registers,
      }),
    };
    created.set(metrics, found);
  }
  return found;
}

// A subgraph's codes come from errors.ts and GraphQL; a misbehaving one must not mint series.
const codes = new BoundedLabel(40);

/** Per-subgraph fetch latency, in-flight calls and errors by code (see SubgraphMetrics). */
export function useSubgraphMetrics(metrics: Metrics): GatewayPlugin {
  const m = subgraphMetrics(metrics);
  return {
    name: 'subgraph-metrics',
    wrapFetcher(fetcher, subgraph) {
      const labels = { subgraph: subgraph.name };
      return async (url, init) => {
        const end = m.fetchDuration.startTimer(labels);
        m.inFlight.inc(labels);
        try {
          const response = await fetcher(url, init);
          end({ outcome: response.status < 400 ? 'ok' : response.status < 500 ? 'http_4xx' : 'http_5xx' });
          return response;
        } catch (error) {
          end({ outcome: (init?.signal as AbortSignal | undefined)?.aborted || (error as Error)?.name === 'AbortError' ? 'aborted' : 'network' });
          throw error;
        } finally {
          m.inFlight.dec(labels);
        }
      };
    },
    didReceiveResponse({ subgraph, response }) {
      for (const error of response.errors ?? []) {
        const code = error.extensions?.code;
        m.errors.inc({ subgraph: subgraph.name, code: typeof code === 'string' ? codes.of(code) : 'none' });
      }
    },
  };
}
