import type { EnvReader } from '@qsmo/service-kit/config';

/** How the gateway serves live updates (Subscription.catalogChanged). */
export interface SubscriptionConfig {
  /** SUBSCRIPTIONS_ENABLED (default true): SSE and WebSocket at /graphql, and the follow of the marketplaces' change feeds. */
  enabled: boolean;
  /** SUBSCRIPTIONS_MAX_PER_CLIENT: subscriptions one caller (signed-in subject, else client address) may hold open at once in this process. */
  maxPerClient: number;
  /** SUBSCRIPTIONS_MAX: subscriptions this process holds open at once, all callers together. */
  max: number;
  /** SUBSCRIPTIONS_FEED_WAIT_MS: how long one read of a marketplace's change feed may wait for a change (a long poll). */
  feedWaitMs: number;
  /** SUBSCRIPTIONS_KEEP_ALIVE_MS: how often an idle SSE stream gets a comment and a WebSocket a ping, so proxies do not close them as idle. */
  keepAliveMs: number;
}

export const DEFAULT_SUBSCRIPTIONS: SubscriptionConfig = { enabled: true, maxPerClient: 32, max: 10_000, feedWaitMs: 20_000, keepAliveMs: 15_000 };

/** Reads SubscriptionConfig once at the entry point. */
export function readSubscriptionConfig(env: EnvReader): SubscriptionConfig {
  const d = DEFAULT_SUBSCRIPTIONS;
  const config: SubscriptionConfig = {
    enabled: env.boolean('SUBSCRIPTIONS_ENABLED', d.enabled),
    maxPerClient: env.positiveInt('SUBSCRIPTIONS_MAX_PER_CLIENT', d.maxPerClient),
    max: env.positiveInt('SUBSCRIPTIONS_MAX', d.max),
    feedWaitMs: env.positiveInt('SUBSCRIPTIONS_FEED_WAIT_MS', d.feedWaitMs),
    keepAliveMs: env.positiveInt('SUBSCRIPTIONS_KEEP_ALIVE_MS', d.keepAliveMs),
  };
  if (config.maxPerClient > config.max)
    env.problem(`SUBSCRIPTIONS_MAX_PER_CLIENT=${config.maxPerClient} is more than SUBSCRIPTIONS_MAX=${config.max}: lower it, or raise SUBSCRIPTIONS_MAX.`);
  if (config.feedWaitMs > 30_000) env.problem(`SUBSCRIPTIONS_FEED_WAIT_MS=${config.feedWaitMs} is longer than a subgraph waits (30000 ms): use at most 30000.`);
  return config;
}
