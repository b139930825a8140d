import type { FetcherRequestInit } from '@apollo/utils.fetcher';

/**
 * What the resilience plugins (timeouts, retries, circuit breakers) need to
 * agree on about a subgraph call: how a timeout is told apart, which
 * failures are connection-level and so safe to retry, and which calls are
 * queries.
 */

/** Thrown by the upstream-timeout wrapper; the plugins after it recognise it by class, never by message. */
export class UpstreamTimeoutError extends Error {
  override readonly name = 'UpstreamTimeoutError';
  constructor(
    readonly url: string,
    readonly ms: number,
    cause?: unknown,
  ) {
    super(`no answer from ${url} within ${ms} ms`, { cause });
  }
}

// Errors where the request never reached the subgraph, or the connection died
// before an answer: a query sent again cannot do harm twice.
const CONNECTION_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET']);

/** True for a refused or reset connection (on the error or its causes), the only failures a retry may act on. */
export function isConnectionFailure(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof UpstreamTimeoutError) return false;
    const code = (e as { code?: unknown; errno?: unknown }).code ?? (e as { errno?: unknown }).errno;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
    if (/socket hang up/i.test((e as Error).message ?? '')) return true;
  }
  return false;
}

/** True when the error is, or was caused by, an upstream timeout. */
export function timeoutOf(error: unknown): UpstreamTimeoutError | undefined {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof UpstreamTimeoutError) return e;
  }
  return undefined;
}

/**
 * Whether a subgraph call is a query (or the gateway's health check). The
 * query planner writes every subgraph operation with its keyword first, so
 * the body's text says it; anything unreadable counts as not a query, so it
 * is never retried.
 */
export function isQueryCall(init: FetcherRequestInit | undefined): boolean {
  if (typeof init?.body !== 'string') return false;
  try {
    const { query } = JSON.parse(init.body) as { query?: unknown };
    return typeof query === 'string' && !/^\s*(mutation|subscription)\b/.test(query);
  } catch {
    return false;
  }
}
