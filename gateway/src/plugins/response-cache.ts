import { createHash } from 'node:crypto';
import { HeaderMap, type GraphQLRequestContextWillSendResponse } from '@apollo/server';
import type { EnvReader } from '@qsmo/shared';
import type { GatewayContext, GatewayPlugin } from '../plugin';

/** How the gateway caches whole responses (RESPONSE_CACHE, RESPONSE_CACHE_MAX_AGE_S, RESPONSE_CACHE_MAX_MB). */
export interface ResponseCacheConfig {
  enabled: boolean;
  /**
   * The longest a response is served after it was computed: the bound for
   * data changed elsewhere (a seed, another gateway replica's mutation, a
   * hand edit). Mutations through this gateway evict at once.
   */
  maxAgeSeconds: number;
  /** The cache's size, counted as the bytes of the JSON responses it holds. */
  maxBytes: number;
}

/** 30 s: the longest a page may lag a change made elsewhere; 64 MB holds the whole catalog's pages many times. */
export const DEFAULT_RESPONSE_CACHE: ResponseCacheConfig = { enabled: true, maxAgeSeconds: 30, maxBytes: 64 * 2 ** 20 };

/** Reads the response cache's settings once at the entry point; on by default. */
export function readResponseCacheConfig(env: EnvReader): ResponseCacheConfig {
  return {
    enabled: env.oneOf('RESPONSE_CACHE', ['on', 'off'] as const, 'on') === 'on',
    maxAgeSeconds: env.positiveInt('RESPONSE_CACHE_MAX_AGE_S', DEFAULT_RESPONSE_CACHE.maxAgeSeconds),
    maxBytes: env.positiveInt('RESPONSE_CACHE_MAX_MB', DEFAULT_RESPONSE_CACHE.maxBytes / 2 ** 20) * 2 ** 20,
  };
}

interface Entry { result: Record<string, unknown>; storedAt: number; bytes: number; scope: 'public' | 'private' }

/** Who may see a response: the anonymous reader's answers are shared, anyone else's only with the same identity. */
function scopeOf(context: GatewayContext): { key: string; scope: 'public' | 'private' } {
  const identity = (context as { identity?: { subject?: string | null; issuer?: string | null; roles?: readonly string[]; qsmos?: readonly string[] } }).identity;
  if (!identity || identity.subject === null || identity.subject === undefined) return { key: 'anonymous', scope: 'public' };
  return { key: JSON.stringify([identity.issuer ?? null, identity.subject, [...(identity.roles ?? [])].sort(), [...(identity.qsmos ?? [])].sort()]), scope: 'private' };
}

/** The response cache plugin, with the hooks catalog writers and tests use to evict it. */
export interface ResponseCachePlugin extends GatewayPlugin {
  /** Forgets every cached response, now; a read already in flight is not stored. */
  invalidate(): void;
  /** Responses and bytes held now (bounded by maxBytes). */
  stats(): { entries: number; bytes: number; hits: number; misses: number };
}

/**
 * Whole-response caching at the gateway, never wrong:
 * - keyed by the document, the operation name, the variables and the
 *   caller's authorization scope, so one caller never sees what another may not;
 * - only queries without errors are stored; a mutation through this gateway
 *   evicts everything when it is resolved and again before its response is
 *   sent, and a read in flight across it is not stored;
 * - a new supergraph evicts everything;
 * - data changed outside this gateway is served at most maxAgeSeconds,
 *   which every response states (`Cache-Control: max-age`, `Age`);
 * - bounded by the bytes of what it holds, least recently used first.
 * One gateway replica's cache is its own: with several replicas, another
 * replica's mutation reaches this one's cache within maxAgeSeconds. The
 * workers of one gateway (GATEWAY_WORKERS) are one replica: `evictPeers`
 * evicts the other workers' caches, and a mutation's answer waits for it.
 */
export function useResponseCache(config: ResponseCacheConfig = DEFAULT_RESPONSE_CACHE, evictPeers?: () => Promise<void>): ResponseCachePlugin {
  const entries = new Map<string, Entry>();
  let bytes = 0;
  let generation = 0;
  let hits = 0;
  let misses = 0;
  const maxAgeMs = config.maxAgeSeconds * 1000;
  const drop = (key: string) => {
    const e = entries.get(key);
    if (e) { bytes -= e.bytes; entries.delete(key); }
  };
  const invalidate = () => { generation++; entries.clear(); bytes = 0; };
  const stamp = (ctx: GraphQLRequestContextWillSendResponse<GatewayContext>, scope: 'public' | 'private', ageSeconds: number) => {
    const maxAge = Math.max(0, config.maxAgeSeconds - ageSeconds);
    // Apollo's cache-control plugin writes the header from this policy (restricted to 0 by the subgraphs' answers), whichever runs last.
    ctx.overallCachePolicy.replace({ maxAge, scope: scope === 'public' ? 'PUBLIC' : 'PRIVATE' });
    ctx.response.http.headers.set('cache-control', `max-age=${maxAge}, ${scope}`);
    ctx.response.http.headers.set('age', String(ageSeconds));
  };
  const plugin: ResponseCachePlugin = {
    name: 'response-cache',
    invalidate,
    stats: () => ({ entries: entries.size, bytes, hits, misses }),
    onSupergraphLoad: invalidate,
  };
  if (!config.enabled) return plugin;
  plugin.apolloPlugins = [{
    async requestDidStart() {
      let key: string | undefined;
      let hit: Entry | undefined;
      let startedAt = 0;
      let scope: 'public' | 'private' = 'public';
      let kind: string | undefined;
      return {
        async responseForOperation({ operation, request, contextValue }) {
          kind = operation.operation;
          if (kind === 'mutation') { invalidate(); await evictPeers?.(); return null; }
          if (kind !== 'query' || request.query === undefined) return null;
          const who = scopeOf(contextValue);
          scope = who.scope;
          key = createHash('sha256').update(JSON.stringify([request.query, request.operationName ?? null, request.variables ?? {}, who.key])).digest('base64url');
          startedAt = generation;
          const entry = entries.get(key);
          if (entry && Date.now() - entry.storedAt < maxAgeMs) {
            entries.delete(key);
            entries.set(key, entry);
            hits++;
            hit = entry;
            return { http: { status: undefined, headers: new HeaderMap() }, body: { kind: 'single', singleResult: entry.result } };
          }
          misses++;
          if (entry) drop(key);
          return null;
        },
        async willSendResponse(ctx) {
          if (kind === 'mutation') {
            // Before the mutation's answer leaves: nothing read during it may be served after it.
            invalidate();
            await evictPeers?.();
            ctx.response.http.headers.set('cache-control', 'no-store');
            return;
          }
          if (!key) return;
          if (hit) { stamp(ctx, hit.scope, Math.floor((Date.now() - hit.storedAt) / 1000)); return; }
          const body = ctx.response.body;
          if (body.kind !== 'single' || body.singleResult.errors?.length || startedAt !== generation) return;
          const size = JSON.stringify(body.singleResult).length;
          if (size > config.maxBytes / 4) return;
          drop(key);
          entries.set(key, { result: body.singleResult as Record<string, unknown>, storedAt: Date.now(), bytes: size, scope });
          bytes += size;
          while (bytes > config.maxBytes) drop(entries.keys().next().value as string);
          stamp(ctx, scope, 0);
        },
      };
    },
  }];
  return plugin;
}
