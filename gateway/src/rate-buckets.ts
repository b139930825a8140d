import type { ServerResponse } from 'node:http';
import { ErrorCode } from '@qsmo/service-kit/errors';
import { clientKey } from '@qsmo/service-kit/http/connections';
import type { IncomingRequest } from './plugin';

/** The answer of a rate bucket: 0 seconds to wait when the request may go on, and what is left of the allowance. */
export interface RateDecision {
  retryAfterSeconds: number;
  remaining: number;
}

/**
 * Where the gateway's rate buckets live: in this process (RateLimiter), or,
 * with GATEWAY_WORKERS, in the primary, leased to each worker in batches
 * (ClusterRateBuckets), so a caller gets its limit whichever worker serves it.
 */
export interface RateBuckets {
  /** Takes one request from `key`'s bucket, which holds `perMinute` and refills continuously. */
  take(key: string, perMinute: number): RateDecision | Promise<RateDecision>;
}

/** Up to `want` tokens taken from a bucket at once; `retryAfterMs` says when the next one is due when none was granted. */
export interface Lease {
  granted: number;
  remaining: number;
  retryAfterMs: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets per caller, in a Map kept in least-recently-used order and
 * capped at maxCallers. Each bucket holds up to a minute's allowance and
 * refills continuously, so bursts up to the limit pass and a steady client
 * is never cut off at a window boundary.
 */
export class RateLimiter implements RateBuckets {
  private readonly buckets = new Map<string, Bucket>();
  constructor(
    private readonly maxCallers: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one request from `key`'s bucket; returns the seconds to wait when it is empty, 0 when the request may go on. */
  take(key: string, perMinute: number): RateDecision {
    const { granted, remaining, retryAfterMs } = this.lease(key, perMinute, 1);
    return { retryAfterSeconds: granted ? 0 : Math.max(1, Math.ceil(retryAfterMs / 1000)), remaining };
  }

  /** Takes up to `want` whole tokens from `key`'s bucket (a worker's batch, see ClusterRateBuckets). */
  lease(key: string, perMinute: number, want: number): Lease {
    const bucket = this.refilled(key, perMinute);
    const granted = Math.max(0, Math.min(want, Math.floor(bucket.tokens)));
    bucket.tokens -= granted;
    const retryAfterMs = granted ? 0 : Math.ceil((1 - bucket.tokens) / (perMinute / 60_000));
    return { granted, remaining: Math.floor(bucket.tokens), retryAfterMs };
  }

  /** Puts back tokens leased and not used, up to the bucket's size. */
  giveBack(key: string, perMinute: number, tokens: number): void {
    const bucket = this.refilled(key, perMinute);
    bucket.tokens = Math.min(perMinute, bucket.tokens + tokens);
  }

  /** Callers remembered now (for tests of the bound). */
  get size(): number {
    return this.buckets.size;
  }

  private refilled(key: string, perMinute: number): Bucket {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: perMinute, at: now };
    this.buckets.delete(key);
    bucket.tokens = Math.min(perMinute, bucket.tokens + (now - bucket.at) * (perMinute / 60_000));
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.maxCallers) this.buckets.delete(this.buckets.keys().next().value!);
    return bucket;
  }
}

/**
 * The client's address (IPv6 by its /64, see clientKey): the socket's, or,
 * behind `hops` trusted proxies, the X-Forwarded-For entry the outermost of
 * them added.
 */
export function clientAddress(request: IncomingRequest, hops: number): string {
  if (hops === 0) return clientKey(request.remoteAddress);
  const forwarded = (request.headers['x-forwarded-for'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return clientKey(forwarded[Math.max(0, forwarded.length - hops)] ?? request.remoteAddress);
}

/**
 * Failed attempts per key (a client address failing authentication): each
 * failure takes a token from a bucket of `perMinute`; the failure that finds
 * it empty blocks the key here until a token is due, so while blocked the
 * caller is answered without any work (a token is not verified again). With
 * shared buckets, each worker blocks on its own first refusal: at most one
 * more attempt per worker gets through.
 */
export class FailureLimiter {
  private readonly blocked = new Map<string, number>();
  constructor(
    private readonly buckets: RateBuckets,
    readonly perMinute: number,
    private readonly maxKeys: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds `key` must still wait before it may try again; 0 when it may. */
  blockedFor(key: string): number {
    const until = this.blocked.get(key);
    if (until === undefined) return 0;
    const left = until - this.now();
    if (left > 0) return Math.ceil(left / 1000);
    this.blocked.delete(key);
    return 0;
  }

  /** Records a failure of `key`; the seconds to wait when it was one too many, else 0. */
  async failed(key: string): Promise<number> {
    const { retryAfterSeconds } = await this.buckets.take(key, this.perMinute);
    if (retryAfterSeconds > 0) {
      this.blocked.delete(key);
      this.blocked.set(key, this.now() + retryAfterSeconds * 1000);
      if (this.blocked.size > this.maxKeys) this.blocked.delete(this.blocked.keys().next().value!);
    }
    return retryAfterSeconds;
  }
}

/** Answers 429 with Retry-After and a RATE_LIMITED error saying what the limit is; the request is not read further. */
export function sendRateLimited(response: ServerResponse, seconds: number, message: string): true {
  response.statusCode = 429;
  response.setHeader('retry-after', String(seconds));
  response.setHeader('content-type', 'application/json; charset=utf-8');
  response.end(JSON.stringify({ errors: [{ message, extensions: { code: ErrorCode.RATE_LIMITED, retryAfterSeconds: seconds } }] }));
  return true;
}
