import { createHash } from 'node:crypto';
import { HeaderMap, type GraphQLRequestContextWillSendResponse } from '@apollo/server';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { GatewayContext, GatewayPlugin } from '../plugin';

/** How the gateway caches whole responses (RESPONSE_CACHE, RESPONSE_CACHE_MAX_AGE_S, RESPONSE_CACHE_MAX_MB). */
export interface ResponseCacheConfig {
  enabled: boolean;
  /**
   * A ceiling on how long a response is served after it was computed. Each
   * response is kept for the shortest max-age its types declare in the
   * subgraphs' schemas (`@cacheControl`), and never longer than this.
   */
  maxAgeSeconds: number;
  /** The cache's size, counted as the bytes of the JSON responses it holds. */
  maxBytes: number;
  /**
   * How often each subgraph's data version is read (useSubgraphChanges): a
   * change made elsewhere (another replica, a seed) evicts what was read
   * from that subgraph within about this plus the subgraph's own poll.
   */
  changePollMs: number;
}

/**
 * 300 s: the longest any type declares (reference data), so by default the
 * types' own max-ages decide; 64 MB holds the whole catalog's pages many times.
 */
export const DEFAULT_RESPONSE_CACHE: ResponseCacheConfig = { enabled: true, maxAgeSeconds: 300, maxBytes: 64 * 2 ** 20, changePollMs: 1_000 };

type Scope = 'public' | 'private';

/** Longer than any request may run (REQUEST_DEADLINE_MS is 4.5 s by default). */
const MUTATION_HOLD_MS = 60_000;

interface Entry {
  result: Record<string, unknown>;
  storedAt: number;
  /** When it stops being served: storedAt plus the shortest max-age of the types it carries. */
  expiresAt: number;
  bytes: number;
  scope: Scope;
  /** The subgraphs its answer was read from: a mutation through one of them evicts it. */
  subgraphs: readonly string[];
}

/** Who may see a response: the anonymous reader's answers are shared, anyone else's only with the same identity. */
function scopeOf(context: GatewayContext): { key: string; scope: Scope } {
  const identity = (context as { identity?: { subject?: string | null; issuer?: string | null; roles?: readonly string[]; qsmos?: readonly string[] } })
    .identity;
  if (!identity || identity.subject === null || identity.subject === undefined) return { key: 'anonymous', scope: 'public' };
  return {
    key: JSON.stringify([identity.issuer ?? null, identity.subject, [...(identity.roles ?? [])].sort(), [...(identity.qsmos ?? [])].sort()]),
    scope: 'private',
  };
}

/**
 * The key of a query's answer: its document, operation name and variables
 * and the caller's authorization scope, so callers who may see different
 * data never share an answer (the cache and inbound deduplication alike).
 */
export function responseKey(
  request: { query?: string; operationName?: string | null; variables?: Record<string, unknown> | null },
  context: GatewayContext,
): { key: string; scope: Scope } {
  const who = scopeOf(context);
  return {
    key: createHash('sha256')
      .update(JSON.stringify([request.query, request.operationName ?? null, request.variables ?? {}, who.key]))
      .digest('base64url'),
    scope: who.scope,
  };
}

/** Evicts the cached responses read from these subgraphs, or every response when none are named. */
export type Eviction = (subgraphs?: readonly string[]) => void;

/** The response cache plugin, with the hooks catalog writers and tests use to evict it. */
export interface ResponseCachePlugin extends GatewayPlugin {
  /** Forgets the responses read from the named subgraphs (all responses without a list), now; a read already in flight is not stored. */
  invalidate: Eviction;
  /** Responses and bytes held now (bounded by maxBytes). */
  stats(): { entries: number; bytes: number; hits: number; misses: number };
}

/**
 * Whole-response caching at the gateway, never wrong:
 * - keyed by the document, the operation name, the variables and the
 *   caller's authorization scope, so one caller never sees what another may not;
 * - only queries without errors whose every subgraph answer was cacheable
 *   are stored, each for the shortest max-age the types it carries declare
 *   (the subgraphs' `@cacheControl` hints, which reach the gateway as each
 *   subgraph answer's Cache-Control and make up Apollo's overall cache
 *   policy), capped by maxAgeSeconds: data changed outside this gateway is
 *   served at most that long, which every response states (`Cache-Control:
 *   max-age`, `Age`);
 * - each response remembers the subgraphs it was read from; a mutation
 *   evicts every response read from a subgraph the mutation reached, before
 *   its answer is sent (a response that read nothing from that subgraph
 *   cannot carry what the mutation changed), and no read that overlapped a
 *   mutation is stored;
 * - a new supergraph evicts everything;
 * - bounded by the bytes of what it holds, least recently used first.
 * One gateway replica's cache is its own: with several replicas, another
 * replica's mutation reaches this one's cache when useSubgraphChanges sees
 * the subgraph's data version move (about two polls), and within the
 * max-age in any case. The
 * workers of one gateway (GATEWAY_WORKERS) are one replica: `evictPeers`
 * evicts the other workers' caches, and a mutation's answer waits for it.
 */
export function useResponseCache(
  config: ResponseCacheConfig = DEFAULT_RESPONSE_CACHE,
  evictPeers?: (subgraphs?: readonly string[]) => Promise<void>,
  /** Where its size and hit counts are reported (the gateway's /metrics, summed across workers). */
  registry?: Registry,
): ResponseCachePlugin {
  const entries = new Map<string, Entry>();
  let bytes = 0;
  /** Bumped when a mutation starts or ends and at every eviction: a read that saw it change is not stored. */
  let epoch = 0;
  /**
   * Mutations under way, with when each started: while any is, no read is
   * stored. One whose answer never went out (a bug elsewhere) stops counting
   * after MUTATION_HOLD_MS, so it cannot switch the cache off for good.
   */
  const mutations = new Map<object, number>();
  const mutationUnderWay = () => {
    const now = Date.now();
    for (const [ctx, at] of mutations) if (now - at > MUTATION_HOLD_MS) mutations.delete(ctx);
    return mutations.size > 0;
  };
  let hits = 0;
  let misses = 0;
  /** The subgraphs each client request fetched from, by its context. */
  const fetched = new WeakMap<object, Set<string>>();
  const drop = (key: string) => {
    const e = entries.get(key);
    if (e) {
      bytes -= e.bytes;
      entries.delete(key);
    }
  };
  const invalidate: Eviction = (subgraphs) => {
    epoch++;
    if (subgraphs === undefined) {
      entries.clear();
      bytes = 0;
      return;
    }
    for (const [key, e] of entries) if (e.subgraphs.some((s) => subgraphs.includes(s))) drop(key);
  };
  const stamp = (ctx: GraphQLRequestContextWillSendResponse<GatewayContext>, scope: Scope, maxAge: number, ageSeconds: number) => {
    // Apollo's cache-control plugin writes the header from this policy, whichever of the two runs last.
    ctx.overallCachePolicy.replace({ maxAge, scope: scope === 'public' ? 'PUBLIC' : 'PRIVATE' });
    ctx.response.http.headers.set('cache-control', `max-age=${maxAge}, ${scope}`);
    ctx.response.http.headers.set('age', String(ageSeconds));
  };
  const plugin: ResponseCachePlugin = {
    name: 'response-cache',
    invalidate,
    stats: () => ({ entries: entries.size, bytes, hits, misses }),
    onSupergraphLoad: () => invalidate(),
  };
  if (!config.enabled) return plugin;
  let lookups: Counter<'result'> | undefined;
  if (registry) {
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(read());
        },
      });
    gauge('gateway_response_cache_bytes', 'Bytes of JSON responses the response cache holds (bounded by RESPONSE_CACHE_MAX_MB).', () => bytes);
    gauge('gateway_response_cache_entries', 'Responses the response cache holds.', () => entries.size);
    lookups = new Counter({
      name: 'gateway_response_cache_lookups_total',
      help: 'Queries looked up in the response cache, by result (hit, miss).',
      labelNames: ['result'],
      registers: [registry],
    });
  }
  plugin.willSendRequest = ({ subgraph, context }) => {
    if (!context) return;
    let names = fetched.get(context);
    if (!names) fetched.set(context, (names = new Set()));
    names.add(subgraph.name);
  };
  plugin.apolloPlugins = [
    {
      async requestDidStart() {
        let key: string | undefined;
        let hit: Entry | undefined;
        let startedAt = 0;
        let scope: Scope = 'public';
        let kind: string | undefined;
        return {
          async responseForOperation({ operation, request, contextValue }) {
            kind = operation.operation;
            if (kind === 'mutation') {
              mutations.set(contextValue, Date.now());
              epoch++;
              return null;
            }
            if (kind !== 'query' || request.query === undefined) return null;
            ({ key, scope } = responseKey(request, contextValue));
            startedAt = epoch;
            const entry = entries.get(key);
            if (entry && Date.now() < entry.expiresAt) {
              entries.delete(key);
              entries.set(key, entry);
              hits++;
              lookups?.inc({ result: 'hit' });
              hit = entry;
              return { http: { status: undefined, headers: new HeaderMap() }, body: { kind: 'single', singleResult: entry.result } };
            }
            misses++;
            lookups?.inc({ result: 'miss' });
            if (entry) drop(key);
            return null;
          },
          async willSendResponse(ctx) {
            if (kind === 'mutation') {
              // Before the mutation's answer leaves: nothing read from what it reached may be served after it.
              // A mutation that was refused before execution reached no subgraph and changed nothing.
              const reached = [...(fetched.get(ctx.contextValue) ?? [])];
              mutations.delete(ctx.contextValue);
              invalidate(reached);
              if (reached.length) await evictPeers?.(reached);
              ctx.response.http.headers.set('cache-control', 'no-store');
              return;
            }
            if (!key) return;
            const now = Date.now();
            if (hit) {
              const age = Math.floor((now - hit.storedAt) / 1000);
              stamp(ctx, hit.scope, Math.max(0, Math.ceil((hit.expiresAt - now) / 1000)), age);
              return;
            }
            const body = ctx.response.body;
            // An answer that fetched nothing here (another caller's, shared by inbound deduplication) names no subgraph a mutation could evict it by.
            const reads = fetched.get(ctx.contextValue);
            if (body.kind !== 'single' || body.singleResult.errors?.length || startedAt !== epoch || mutationUnderWay() || !reads?.size) return;
            // The subgraphs' hints, combined by Apollo: the shortest max-age of the types in the answer, and its scope.
            const policy = ctx.overallCachePolicy.policyIfCacheable();
            // A PRIVATE hint is per user; the anonymous reader's answers are shared, so such an answer is not kept for them.
            if (!policy || (policy.scope === 'PRIVATE' && scope === 'public')) return;
            const maxAge = Math.min(policy.maxAge, config.maxAgeSeconds);
            const entryScope = scope;
            const size = JSON.stringify(body.singleResult).length;
            if (size > config.maxBytes / 4) return;
            drop(key);
            entries.set(key, {
              result: body.singleResult as Record<string, unknown>,
              storedAt: now,
              expiresAt: now + maxAge * 1000,
              bytes: size,
              scope: entryScope,
              subgraphs: [...reads],
            });
            bytes += size;
            while (bytes > config.maxBytes) drop(entries.keys().next().value as string);
            stamp(ctx, entryScope, maxAge, 0);
          },
        };
      },
    },
  ];
  return plugin;
}
