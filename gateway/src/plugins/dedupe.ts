import type { Fetcher, FetcherRequestInit } from '@apollo/utils.fetcher';
import { BufferedHeaders, BufferedResponse } from '../http-fetcher';
import type { GatewayPlugin } from '../plugin';

/** Header values that change what a subgraph answers, so they are part of the key (the caller's signed identity). */
const KEYED_HEADERS = ['x-qsmo-identity', 'authorization'];

function headerOf(init: FetcherRequestInit, name: string): string {
  const h = init.headers as unknown;
  if (!h) return '';
  if (typeof (h as Headers).get === 'function') return (h as Headers).get(name) ?? '';
  return String((h as Record<string, string>)[name] ?? '');
}

/**
 * The key of a fetch that may be shared, or undefined for one that may not:
 * only POSTed queries as Apollo writes them (`{"query":"...`), never
 * mutations or subscriptions, whose every call must reach the subgraph.
 */
export function dedupeKey(url: string, init: FetcherRequestInit | undefined): string | undefined {
  const body = init?.body;
  if (typeof body !== 'string' || !body.startsWith('{"query":"') || /^\{"query":"\s*(mutation|subscription)\b/.test(body)) return undefined;
  return [url, ...KEYED_HEADERS.map((h) => headerOf(init!, h)), body].join('\u0000');
}

interface Shared {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: Buffer;
  url: string;
}

/**
 * Identical subgraph queries in flight at the same time are sent once: when
 * ten clients ask for the same page, each fetch of the plan goes to the
 * subgraph once and every caller gets its own copy of the answer. Keyed by
 * URL, body and the caller's signed identity, so callers who may see
 * different data never share an answer; only while the first is in flight,
 * so nothing is cached. Its place (phases.ts) is outside the resilience
 * plugins, so the shared call is the one with timeouts, retries and breakers.
 */
export function useDedupe(): GatewayPlugin {
  return {
    name: 'dedupe',
    wrapFetcher(fetcher: Fetcher): Fetcher {
      const inFlight = new Map<string, Promise<Shared>>();
      return async (url, init) => {
        const key = dedupeKey(url, init);
        if (key === undefined) return fetcher(url, init);
        let shared = inFlight.get(key);
        if (!shared) {
          shared = (async () => {
            const res = await fetcher(url, init);
            const headers: [string, string][] = [...res.headers];
            return { status: res.status, statusText: res.statusText, headers, body: Buffer.from(await res.arrayBuffer()), url: res.url };
          })();
          inFlight.set(key, shared);
          const clear = () => {
            if (inFlight.get(key) === shared) inFlight.delete(key);
          };
          shared.then(clear, clear);
        }
        const { status, statusText, headers, body, url: answered } = await shared;
        return new BufferedResponse(body, status, statusText, new BufferedHeaders(headers), answered);
      };
    },
  };
}
