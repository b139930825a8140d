import type { GraphQLRequestContext, GraphQLRequestContextWillSendResponse } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import type { FormattedExecutionResult } from 'graphql';
import { Counter, type Registry } from 'prom-client';
import { ErrorCode } from '@qsmo/service-kit/errors';
import type { GatewayContext, GatewayPlugin } from '../plugin';
import { responseKey } from './response-cache';
import { serializeOnce } from '../serialized-results';

/** Inbound in-flight deduplication (INBOUND_DEDUP=on|off, on by default). */
export interface InboundDedupConfig {
  enabled: boolean;
  /** Queries in flight that others may join at once; past it a query runs on its own. */
  maxKeys: number;
  /** Callers waiting on one query at most; past it a caller runs the query itself. */
  maxFollowers: number;
  /** How long a caller waits for the query it joined when its request has no deadline of its own (REQUEST_DEADLINE_MS sets one). */
  maxWaitMs: number;
}

export const DEFAULT_INBOUND_DEDUP: InboundDedupConfig = { enabled: true, maxKeys: 1_000, maxFollowers: 10_000, maxWaitMs: 10_000 };

/** What the first caller's execution produced, as every caller that joined it needs it. */
interface Answer {
  status: number | undefined;
  result: FormattedExecutionResult;
  /** The leader's cache policy (the subgraphs' hints), which Apollo turns into each follower's Cache-Control. */
  policy: ReturnType<CachePolicy['policyIfCacheable']>;
}

interface InFlight {
  /** The mutation epoch the query started in: nobody joins it after a mutation began or ended. */
  epoch: number;
  startedAt: number;
  followers: number;
  answer: Promise<Answer>;
  settle(answer: Answer): void;
}

type CachePolicy = GraphQLRequestContext<GatewayContext>['overallCachePolicy'];

type Role = 'leader' | 'follower' | 'follower_timeout' | 'over_cap';

/**
 * Freezes a leader's data before followers see it: they share it read-only
 * (copying 90 KB per follower would cost what deduplication saves), each
 * with its own result object, errors and extensions around it, and each
 * response body its own string built around the data's one serialization.
 */
function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  if (Array.isArray(value)) for (const item of value) deepFreeze(item);
  else for (const key in value) deepFreeze((value as Record<string, unknown>)[key]);
}

/**
 * Identical queries in flight at once run once. The first caller (the
 * leader) executes; a caller whose query has the same key as one already
 * executing (the response cache's key: document, operation name, variables
 * and the caller's authorization scope) waits for that answer instead of
 * planning and fetching it again, and gets its own copy of it. Under a burst
 * of identical requests (a dashboard opened by many at once, a page refresh
 * storm) the gateway's CPU goes into one execution instead of fifty.
 *
 * - It answers from Apollo's responseForOperation, so every caller has
 *   passed identity, rate limits, operation limits, trusted documents and
 *   demand control on its own before it may join: a refused request never
 *   joins, and each follower's own response headers (trace id, cache-control
 *   from the leader's cache policy, cost) and metrics are its own.
 * - Queries only: a mutation always executes, and one starting or ending
 *   closes every query in flight to newcomers, so a read sent after a write
 *   was answered never gets an answer computed before it.
 * - A leader's failure (errors, a subgraph down) is its followers' answer
 *   too, without a second execution: they asked at the same moment.
 * - Bounded: at most maxKeys queries are joinable and maxFollowers callers
 *   wait on one; anyone past a cap executes on their own. A follower waits
 *   no longer than its own request deadline and then gets SUBGRAPH_TIMEOUT.
 * List it after the response cache, which answers a repeated query first.
 */
export function useInboundDedup(config: InboundDedupConfig = DEFAULT_INBOUND_DEDUP, registry?: Registry): GatewayPlugin {
  const inFlight = new Map<string, InFlight>();
  let epoch = 0;
  const counter = registry
    ? new Counter({
        name: 'gateway_inbound_dedup_total',
        help: 'Queries by their part in inbound deduplication: leader (executed, others could join), follower (answered by a leader), follower_timeout (its deadline passed first), over_cap (ran alone at a cap).',
        labelNames: ['role'],
        registers: [registry],
      })
    : undefined;
  const counts: Record<Role, number> = { leader: 0, follower: 0, follower_timeout: 0, over_cap: 0 };
  const count = (role: Role) => {
    counts[role]++;
    counter?.inc({ role });
  };
  const plugin: GatewayPlugin & { stats(): Readonly<Record<Role, number>> & { inFlight: number } } = {
    name: 'inbound-dedup',
    stats: () => ({ ...counts, inFlight: inFlight.size }),
  };
  if (!config.enabled) return plugin;
  // A leader whose answer never came (a bug elsewhere) is not joined for longer than anyone would wait for it.
  const stale = (entry: InFlight, now: number) => now - entry.startedAt > config.maxWaitMs;
  plugin.apolloPlugins = [
    {
      async requestDidStart() {
        let led: { key: string; entry: InFlight } | undefined;
        let mutation = false;
        return {
          async responseForOperation(requestContext) {
            const { operation, request, contextValue } = requestContext;
            if (operation.operation === 'mutation') {
              mutation = true;
              epoch++;
              return null;
            }
            if (operation.operation !== 'query' || request.query === undefined) return null;
            const { key } = responseKey(request, contextValue);
            const now = Date.now();
            const entry = inFlight.get(key);
            if (entry && entry.epoch === epoch && !stale(entry, now)) {
              if (entry.followers >= config.maxFollowers) {
                count('over_cap');
                return null;
              }
              entry.followers++;
              return follow(entry, contextValue, requestContext.overallCachePolicy, now);
            }
            if (!entry && inFlight.size >= config.maxKeys) {
              count('over_cap');
              return null;
            }
            let settle!: (answer: Answer) => void;
            const answer = new Promise<Answer>((resolve) => {
              settle = resolve;
            });
            led = { key, entry: { epoch, startedAt: now, followers: 0, answer, settle } };
            inFlight.set(key, led.entry);
            count('leader');
            return null;
          },
          async willSendResponse(ctx) {
            if (mutation) {
              // Ended: reads already running may have read what it changed or not; newcomers start afresh.
              epoch++;
              inFlight.clear();
              return;
            }
            if (!led) return;
            if (inFlight.get(led.key) === led.entry) inFlight.delete(led.key);
            led.entry.settle(answerOf(ctx, led.entry.followers > 0));
          },
        };
      },
    },
  ];

  async function follow(entry: InFlight, context: GatewayContext, policy: CachePolicy, now: number) {
    const deadline = (context as { deadline?: number }).deadline ?? now + config.maxWaitMs;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<undefined>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, deadline - now), undefined);
    });
    const answer = await Promise.race([entry.answer, expired]);
    clearTimeout(timer);
    if (!answer) {
      count('follower_timeout');
      return {
        http: { status: undefined, headers: new HeaderMap() },
        body: {
          kind: 'single' as const,
          singleResult: {
            data: null,
            errors: [
              {
                message:
                  "The same query was already running for another caller and did not finish within this request's deadline (REQUEST_DEADLINE_MS): retry later.",
                extensions: { code: ErrorCode.SUBGRAPH_TIMEOUT },
              },
            ],
          },
        },
      };
    }
    count('follower');
    if (answer.policy) policy.replace(answer.policy);
    return {
      http: { status: answer.status, headers: new HeaderMap() },
      body: {
        kind: 'single' as const,
        singleResult: {
          ...answer.result,
          ...(answer.result.errors ? { errors: answer.result.errors.map((e) => ({ ...e })) } : {}),
          ...(answer.result.extensions ? { extensions: { ...answer.result.extensions } } : {}),
        },
      },
    };
  }
  return plugin;
}

function answerOf(ctx: GraphQLRequestContextWillSendResponse<GatewayContext>, followed: boolean): Answer {
  const body = ctx.response.body;
  const result: FormattedExecutionResult = body.kind === 'single' ? body.singleResult : body.initialResult;
  if (followed && result.data) {
    deepFreeze(result.data);
    // The leader's body and every follower's are then built around one serialization.
    serializeOnce(result.data);
  }
  return {
    status: ctx.response.http.status,
    result,
    policy: ctx.overallCachePolicy.policyIfCacheable(),
  };
}
