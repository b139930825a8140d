import type { ServerResponse } from 'node:http';
import { ErrorCode, isAnonymous } from '@qsmo/shared';
import { CALLER_CLASSES, callerClassOf, type CallerClass } from '@qsmo/shared/demand-control';
import type { GatewayPlugin, IncomingRequest } from '../plugin';
import { identityOf, isGraphQLRequest } from './authentication';

/** The rate classes: the anonymous reader (and tokens with no role), analysts, editors; the same classes demand control budgets. */
export const RATE_CLASSES = CALLER_CLASSES;
export type RateClass = CallerClass;

/** How many GraphQL requests per minute each class of caller may send; 0 means unlimited. */
export interface RateLimitConfig {
  perMinute: Record<RateClass, number>;
  /** Proxies in front of the gateway whose X-Forwarded-For entries are trusted (0: the socket's address is the client). */
  trustProxyHops: number;
  /** At most this many callers are remembered; the least recently seen are forgotten first, so memory stays bounded. */
  maxCallers: number;
}

export const DEFAULT_RATE_LIMITS: RateLimitConfig = { perMinute: { anonymous: 300, analyst: 1200, editor: 1200 }, trustProxyHops: 0, maxCallers: 50_000 };

/** The class whose limit applies: the highest role the caller holds. */
export const rateClassOf = callerClassOf;

/** The client's address: the socket's, or, behind `hops` trusted proxies, the X-Forwarded-For entry the outermost of them added. */
export function clientAddress(request: IncomingRequest, hops: number): string {
  if (hops === 0) return request.remoteAddress;
  const forwarded = (request.headers['x-forwarded-for'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return forwarded[Math.max(0, forwarded.length - hops)] ?? request.remoteAddress;
}

interface Bucket { tokens: number; at: number }

/**
 * Token buckets per caller, in a Map kept in least-recently-used order and
 * capped at maxCallers. Each bucket holds up to a minute's allowance and
 * refills continuously, so bursts up to the limit pass and a steady client
 * is never cut off at a window boundary.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  constructor(private readonly maxCallers: number, private readonly now: () => number = Date.now) {}

  /** Takes one request from `key`'s bucket; returns the seconds to wait when it is empty, 0 when the request may go on. */
  take(key: string, perMinute: number): { retryAfterSeconds: number; remaining: number } {
    const now = this.now();
    const perMs = perMinute / 60_000;
    const bucket = this.buckets.get(key) ?? { tokens: perMinute, at: now };
    this.buckets.delete(key);
    bucket.tokens = Math.min(perMinute, bucket.tokens + (now - bucket.at) * perMs);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.maxCallers) this.buckets.delete(this.buckets.keys().next().value!);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { retryAfterSeconds: 0, remaining: Math.floor(bucket.tokens) };
    }
    return { retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)), remaining: 0 };
  }

  /** Callers remembered now (for tests of the bound). */
  get size(): number { return this.buckets.size; }
}

/**
 * Per-caller rate limits on GraphQL requests: keyed by the token's issuer
 * and subject, else by the client's address; the limit is the caller's
 * class's. Over it, 429 with Retry-After before the body is read. List it
 * after useAuthentication, whose identity it reads.
 */
export function useRateLimit(config: RateLimitConfig = DEFAULT_RATE_LIMITS): GatewayPlugin {
  const limiter = new RateLimiter(config.maxCallers);
  return {
    name: 'rate-limit',
    beforeRequest(request, response) {
      if (!isGraphQLRequest(request)) return false;
      const identity = identityOf(request);
      const rateClass = identity ? rateClassOf(identity) : 'anonymous';
      const limit = config.perMinute[rateClass];
      if (limit === 0) return false;
      const key = identity && !isAnonymous(identity) ? `sub:${identity.issuer ?? ''}:${identity.subject}` : `ip:${clientAddress(request, config.trustProxyHops)}`;
      const { retryAfterSeconds, remaining } = limiter.take(key, limit);
      response.setHeader('ratelimit-limit', String(limit));
      response.setHeader('ratelimit-remaining', String(remaining));
      if (retryAfterSeconds === 0) return false;
      return refuse(response, retryAfterSeconds, limit, rateClass);
    },
  };
}

function refuse(response: ServerResponse, seconds: number, limit: number, rateClass: RateClass): true {
  response.statusCode = 429;
  response.setHeader('retry-after', String(seconds));
  response.setHeader('content-type', 'application/json; charset=utf-8');
  const message = `Too many requests: ${rateClass === 'anonymous' ? 'callers without a role' : `${rateClass}s`} may send ${limit} per minute. Retry after ${seconds} s${rateClass === 'anonymous' ? ', or sign in for a higher limit' : ''}.`;
  response.end(JSON.stringify({ errors: [{ message, extensions: { code: ErrorCode.RATE_LIMITED, retryAfterSeconds: seconds } }] }));
  return true;
}
