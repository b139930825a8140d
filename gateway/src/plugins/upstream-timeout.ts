import type { Fetcher } from '@apollo/utils.fetcher';
import { subgraphTimeout } from '@qsmo/service-kit/errors';
import { isIncomingOperation } from '../datasource';
import { subgraphCallContext, type GatewayContext, type GatewayPlugin } from '../plugin';
import { UpstreamTimeoutError, timeoutOf } from './upstream';

declare module '../plugin' {
  interface GatewayContext {
    /** When the client's request must be answered (epoch ms): no subgraph call outlives it. */
    deadline?: number;
  }
}

/** Deadlines of subgraph calls: per subgraph, and for the client's whole request. */
export interface UpstreamTimeoutOptions {
  /** How long one call to a subgraph may take, unless `perSubgraph` says otherwise. */
  timeoutMs: number;
  /** Timeouts by subgraph name (from `<NAME>_TIMEOUT_MS`). */
  perSubgraph?: Readonly<Record<string, number>>;
  /** How long a client's request may take in all: later subgraph calls get only what is left. */
  requestDeadlineMs?: number;
}

/**
 * A subgraph that does not answer in time must not hold the client's whole
 * response: each call is aborted after the subgraph's timeout, or when the
 * request's overall deadline passes, whichever is first, and the client gets
 * partial data with SUBGRAPH_TIMEOUT naming the area (in a mutation, saying
 * the change may have been applied and to retry with the same idempotency
 * key). The gateway's own health checks keep the plain error, for the
 * registry manager's log. Its place (phases.ts) is inside the retries and
 * the circuit breaker, so each attempt is timed and timeouts are counted.
 */
export function useUpstreamTimeout(options: UpstreamTimeoutOptions): GatewayPlugin {
  const deadlineMs = options.requestDeadlineMs;
  // Client requests that are mutations: a timeout there may hide a committed change, and the client is told so.
  const mutations = new WeakSet<GatewayContext>();
  return {
    name: 'upstream-timeout',
    context() {
      return deadlineMs ? { deadline: Date.now() + deadlineMs } : {};
    },
    willSendRequest({ options: request, context }) {
      if (context && isIncomingOperation(request) && request.incomingRequestContext.operation?.operation === 'mutation') mutations.add(context);
    },
    wrapFetcher(fetcher, subgraph): Fetcher {
      const ms = options.perSubgraph?.[subgraph.name] ?? options.timeoutMs;
      return async (url, init) => {
        // The deadline of the client request this call serves travels in its context, never on the wire.
        const deadline = subgraphCallContext()?.deadline;
        const budget = deadline ? Math.min(ms, deadline - Date.now()) : ms;
        if (budget <= 0) throw new UpstreamTimeoutError(url, 0);
        const timeout = AbortSignal.timeout(budget);
        const signal = init?.signal ? AbortSignal.any([init.signal as AbortSignal, timeout]) : timeout;
        try {
          return await fetcher(url, { ...init, signal });
        } catch (error) {
          if (timeout.aborted) throw new UpstreamTimeoutError(url, budget, error);
          throw error;
        }
      };
    },
    didEncounterError({ subgraph, error, context }) {
      const timeout = timeoutOf(error);
      if (!timeout || !context) return;
      return subgraphTimeout(subgraph.name, subgraph.area, timeout.ms, mutations.has(context) ? 'mutation' : 'query');
    },
  };
}
