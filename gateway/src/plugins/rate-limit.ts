import type { ServerResponse } from 'node:http';
import { isAnonymous } from '@qsmo/service-kit/auth/identity';
import { CALLER_CLASSES, callerClassOf, type CallerClass } from '@qsmo/service-kit/demand-control';
import type { GatewayPlugin } from '../plugin';
import { clientAddress, RateLimiter, sendRateLimited, type RateBuckets } from '../rate-buckets';
import { identityOf, isGraphQLRequest } from './authentication';

export { clientAddress, RateLimiter, type RateBuckets } from '../rate-buckets';

/** The rate classes: the anonymous reader (and tokens with no role), analysts, editors; the same classes demand control budgets. */
export const RATE_CLASSES = CALLER_CLASSES;
export type RateClass = CallerClass;

/** How many GraphQL requests per minute each class of caller may send; 0 means unlimited. */
export interface RateLimitConfig {
  perMinute: Record<RateClass, number>;
  /**
   * Failed authentications (a malformed Authorization header, a token that
   * does not verify) per minute per client address; past it, 429 before the
   * next token is verified. 0: unlimited; default DEFAULT_AUTH_FAILURES_PER_MINUTE.
   */
  authFailuresPerMinute?: number;
  /** Proxies in front of the gateway whose X-Forwarded-For entries are trusted (0: the socket's address is the client). */
  trustProxyHops: number;
  /** At most this many callers are remembered; the least recently seen are forgotten first, so memory stays bounded. */
  maxCallers: number;
}

/** Generous for a person whose token expired (a handful of retries) and for a NAT of them; a forger gets one verification every 2 s. */
export const DEFAULT_AUTH_FAILURES_PER_MINUTE = 30;

export const DEFAULT_RATE_LIMITS: RateLimitConfig = {
  perMinute: { anonymous: 300, analyst: 1200, editor: 1200 },
  authFailuresPerMinute: DEFAULT_AUTH_FAILURES_PER_MINUTE,
  trustProxyHops: 0,
  maxCallers: 50_000,
};

/** The class whose limit applies: the highest role the caller holds. */
export const rateClassOf = callerClassOf;

/**
 * Per-caller rate limits on GraphQL requests: keyed by the token's issuer
 * and subject, else by the client's address; the limit is the caller's
 * class's. Over it, 429 with Retry-After before the body is read. Its place
 * (phases.ts) is after authentication, whose identity it reads. The buckets are this
 * process's unless `buckets` shares them (ClusterRateBuckets).
 */
export function useRateLimit(config: RateLimitConfig = DEFAULT_RATE_LIMITS, buckets: RateBuckets = new RateLimiter(config.maxCallers)): GatewayPlugin {
  return {
    name: 'rate-limit',
    async beforeRequest(request, response) {
      if (!isGraphQLRequest(request)) return false;
      const identity = identityOf(request);
      const rateClass = identity ? rateClassOf(identity) : 'anonymous';
      const limit = config.perMinute[rateClass];
      if (limit === 0) return false;
      const key =
        identity && !isAnonymous(identity) ? `sub:${identity.issuer ?? ''}:${identity.subject}` : `ip:${clientAddress(request, config.trustProxyHops)}`;
      const { retryAfterSeconds, remaining } = await buckets.take(key, limit);
      response.setHeader('ratelimit-limit', String(limit));
      response.setHeader('ratelimit-remaining', String(remaining));
      if (retryAfterSeconds === 0) return false;
      return refuse(response, retryAfterSeconds, limit, rateClass);
    },
  };
}

function refuse(response: ServerResponse, seconds: number, limit: number, rateClass: RateClass): true {
  const message = `Too many requests: ${rateClass === 'anonymous' ? 'callers without a role' : `${rateClass}s`} may send ${limit} per minute. Retry after ${seconds} s${rateClass === 'anonymous' ? ', or sign in for a higher limit' : ''}.`;
  return sendRateLimited(response, seconds, message);
}
