import type { Fetcher } from '@apollo/utils.fetcher';
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import type { GatewayPlugin } from '../plugin';
import { isConnectionFailure, isQueryCall } from './upstream';

/** How queries to a subgraph are retried. */
export interface RetryOptions {
  /** Retries after the first attempt (default 2). */
  maxRetries?: number;
  /** First backoff in ms; each later one grows, with decorrelated jitter (default 25). */
  initialDelayMs?: number;
  /** Longest backoff in ms (default 250). */
  maxDelayMs?: number;
  /** Retries allowed per call made, on average (default 0.2: at most 20 % extra load). */
  budgetRatio?: number;
  /** Retries that may be spent at once, e.g. after a quiet spell (default 10). */
  budgetBurst?: number;
}

/**
 * A token bucket per subgraph: every call earns `ratio` of a retry, every
 * retry spends one. When a subgraph is failing for everyone, retries run out
 * quickly instead of multiplying the load on it.
 */
export class RetryBudget {
  private tokens: number;
  constructor(
    private readonly ratio: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }
  /** Called once per call (not per attempt). */
  earn(): void {
    this.tokens = Math.min(this.burst, this.tokens + this.ratio);
  }
  /** Whether a retry may be made now. */
  get canSpend(): boolean {
    return this.tokens >= 1;
  }
  spend(): void {
    this.tokens -= 1;
  }
}

/**
 * Retries a subgraph query whose connection was refused or reset (a
 * subgraph restarting, a keep-alive connection closed under us), with
 * jittered exponential backoff, within a retry budget per subgraph.
 * Mutations are never retried: the first attempt may have been applied.
 * Timeouts are not retried either: a slow subgraph gets slower with more
 * load. Its place (phases.ts) is outside upstream-timeout (each attempt timed, the
 * request's deadline respected) and the circuit breaker (an open circuit is
 * not retried, and each attempt counts).
 */
export function useRetries(options: RetryOptions = {}): GatewayPlugin {
  const budgets = new Map<string, RetryBudget>();
  return {
    name: 'retries',
    wrapFetcher(fetcher, subgraph): Fetcher {
      let budget = budgets.get(subgraph.name);
      if (!budget) budgets.set(subgraph.name, (budget = new RetryBudget(options.budgetRatio ?? 0.2, options.budgetBurst ?? 10)));
      const policy = retry(
        handleWhen((error) => isConnectionFailure(error) && budget.canSpend),
        {
          maxAttempts: options.maxRetries ?? 2,
          backoff: new ExponentialBackoff({ initialDelay: options.initialDelayMs ?? 25, maxDelay: options.maxDelayMs ?? 250 }),
        },
      );
      policy.onRetry(() => budget.spend());
      return async (url, init) => {
        budget.earn();
        if (!isQueryCall(init)) return fetcher(url, init);
        return policy.execute(() => fetcher(url, init));
      };
    },
  };
}
