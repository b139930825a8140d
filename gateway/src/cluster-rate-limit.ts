import cluster from 'node:cluster';
import type { Logger } from '@qsmo/service-kit/logger';
import { RateLimiter, type Lease, type RateBuckets, type RateDecision } from './rate-buckets';

/**
 * Rate limits that hold across GATEWAY_WORKERS: the buckets live in the
 * primary, and each worker leases tokens from them in small batches, so a
 * caller gets its limit (not N times it) whichever worker its connections
 * land on, and most requests are decided in the worker without a round trip.
 *
 * - A batch is a twentieth of the limit shared among the workers (1 for
 *   small limits, at most 64): a worker never holds much of a caller's
 *   allowance that another worker might need.
 * - Tokens a worker has not used within LEASE_MS go back to the primary.
 * - An empty bucket is remembered in the worker until its next token is
 *   due, so a flood over the limit costs the primary one message per token.
 * - If the primary does not answer within PRIMARY_TIMEOUT_MS, the worker
 *   decides alone for DEGRADED_MS with its share of the limit (limit / N),
 *   which still holds the limit in all; it says so in a warning.
 */
const RATE_LEASE = 'qsmo:gateway-rate-lease';
const RATE_RETURN = 'qsmo:gateway-rate-return';
const LEASE_MS = 1_000;
const PRIMARY_TIMEOUT_MS = 500;
const DEGRADED_MS = 5_000;

export interface LeaseRequest {
  type: typeof RATE_LEASE;
  id: number;
  key: string;
  perMinute: number;
  want: number;
}
export interface LeaseReply extends Lease {
  type: typeof RATE_LEASE;
  id: number;
  key: string;
  perMinute: number;
}
export interface LeaseReturn {
  type: typeof RATE_RETURN;
  returns: [key: string, perMinute: number, tokens: number][];
}

/** The primary's side without the transport: keeps the buckets, answers a lease, takes back a return. */
export function rateLeaseHandler(maxCallers: number): (message: unknown) => LeaseReply | undefined {
  const limiter = new RateLimiter(maxCallers);
  return (raw) => {
    const message = raw as LeaseRequest | LeaseReturn | undefined;
    if (message?.type === RATE_LEASE) {
      return {
        type: RATE_LEASE,
        id: message.id,
        key: message.key,
        perMinute: message.perMinute,
        ...limiter.lease(message.key, message.perMinute, message.want),
      };
    }
    if (message?.type === RATE_RETURN) for (const [key, perMinute, tokens] of message.returns) limiter.giveBack(key, perMinute, tokens);
    return undefined;
  };
}

/** In the primary: answers the workers' leases and returns over the cluster channel. */
export function serveRateLeases(maxCallers: number): void {
  const handle = rateLeaseHandler(maxCallers);
  cluster.on('message', (worker, message) => {
    const reply = handle(message);
    if (reply && worker.isConnected()) worker.send(reply);
  });
}

interface Held {
  perMinute: number;
  /** Leased tokens not used yet. */
  tokens: number;
  /** What the primary's bucket held after the last lease. */
  remaining: number;
  /** When unused tokens go back. */
  expires: number;
  /** The bucket was empty: nothing to ask for before this. */
  emptyUntil: number;
  /** A lease under way, shared by the requests waiting for it. */
  refill?: Promise<void>;
}

export interface ClusterRateBucketsOptions {
  workers: number;
  /** Callers remembered in this worker at most (least recently seen forgotten first, their tokens returned). */
  maxCallers: number;
  logger: Logger;
  /** How messages reach the primary (process.send in a worker). */
  send?: (message: LeaseRequest | LeaseReturn) => void;
  /** Subscribes to the primary's messages (process.on('message') in a worker). */
  onMessage?: (listener: (message: unknown) => void) => void;
}

/** In a worker: rate buckets leased from the primary (see serveRateLeases). */
export class ClusterRateBuckets implements RateBuckets {
  private readonly held = new Map<string, Held>();
  private readonly pending = new Map<number, (reply: LeaseReply | undefined) => void>();
  private readonly fallback: RateLimiter;
  private readonly send: (message: LeaseRequest | LeaseReturn) => void;
  private next = 0;
  private degradedUntil = 0;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: ClusterRateBucketsOptions) {
    this.fallback = new RateLimiter(options.maxCallers);
    this.send = options.send ?? ((message) => process.send!(message));
    (options.onMessage ?? ((listener) => process.on('message', listener)))((message) => this.received(message as LeaseReply));
    this.sweeper = setInterval(() => this.returnUnused(), LEASE_MS).unref();
  }

  /**
   * Each pass either uses a leased token, or is refused until the bucket's
   * next token, or waits for a lease; every lease grants a token or finds the
   * bucket empty (or times out), so the loop ends. Requests waiting for one
   * lease resume in arrival order, before any request that arrives later.
   */
  async take(key: string, perMinute: number): Promise<RateDecision> {
    for (;;) {
      const now = Date.now();
      if (now < this.degradedUntil) return this.alone(key, perMinute);
      const held = this.holding(key, perMinute);
      if (held.tokens >= 1) {
        held.tokens--;
        return { retryAfterSeconds: 0, remaining: held.remaining + held.tokens };
      }
      if (now < held.emptyUntil) return { retryAfterSeconds: Math.max(1, Math.ceil((held.emptyUntil - now) / 1000)), remaining: 0 };
      await (held.refill ??= this.refill(key, held));
    }
  }

  /** Stops returning unused tokens (the worker is stopping). */
  close(): void {
    clearInterval(this.sweeper);
  }

  private holding(key: string, perMinute: number): Held {
    let held = this.held.get(key);
    if (held) {
      this.held.delete(key);
    } else {
      held = { perMinute, tokens: 0, remaining: 0, expires: 0, emptyUntil: 0 };
    }
    held.perMinute = perMinute;
    this.held.set(key, held);
    if (this.held.size > this.options.maxCallers) {
      const [oldest, forgotten] = this.held.entries().next().value!;
      this.held.delete(oldest);
      if (forgotten.tokens >= 1) this.send({ type: RATE_RETURN, returns: [[oldest, forgotten.perMinute, Math.floor(forgotten.tokens)]] });
    }
    return held;
  }

  private async refill(key: string, held: Held): Promise<void> {
    const want = Math.max(1, Math.min(64, Math.floor(held.perMinute / (this.options.workers * 20))));
    const reply = await this.ask(key, held.perMinute, want);
    held.refill = undefined;
    const now = Date.now();
    if (!reply) {
      if (now >= this.degradedUntil) {
        this.options.logger.warn(
          `the gateway primary did not answer a rate-limit lease within ${PRIMARY_TIMEOUT_MS} ms: this worker limits callers alone, to its share (1/${this.options.workers}) of each limit, for ${DEGRADED_MS / 1000} s`,
        );
      }
      this.degradedUntil = now + DEGRADED_MS;
      return;
    }
    if (this.held.get(key) !== held) {
      // Forgotten meanwhile (more callers than maxCallers): the tokens go back rather than being lost.
      if (reply.granted > 0) this.send({ type: RATE_RETURN, returns: [[key, reply.perMinute, reply.granted]] });
      return;
    }
    held.tokens += reply.granted;
    held.remaining = reply.remaining;
    held.expires = now + LEASE_MS;
    held.emptyUntil = reply.granted ? 0 : now + reply.retryAfterMs;
  }

  private ask(key: string, perMinute: number, want: number): Promise<LeaseReply | undefined> {
    const id = this.next++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(undefined);
      }, PRIMARY_TIMEOUT_MS);
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.send({ type: RATE_LEASE, id, key, perMinute, want });
    });
  }

  private received(message: LeaseReply): void {
    if (message?.type !== RATE_LEASE) return;
    const waiting = this.pending.get(message.id);
    this.pending.delete(message.id);
    if (waiting) waiting(message);
    // A reply after its timeout: nobody will use those tokens here.
    else if (message.granted > 0) this.send({ type: RATE_RETURN, returns: [[message.key, message.perMinute, message.granted]] });
  }

  /** This worker's share of the limit, decided here: never more than the limit in all. */
  private alone(key: string, perMinute: number): RateDecision {
    return this.fallback.take(key, Math.max(1, Math.floor(perMinute / this.options.workers)));
  }

  private returnUnused(): void {
    const now = Date.now();
    const returns: LeaseReturn['returns'] = [];
    for (const [key, held] of this.held) {
      if (held.refill || now < held.expires) continue;
      if (held.tokens >= 1) {
        const tokens = Math.floor(held.tokens);
        held.tokens -= tokens;
        returns.push([key, held.perMinute, tokens]);
      }
      if (now >= held.emptyUntil) this.held.delete(key);
    }
    if (returns.length) this.send({ type: RATE_RETURN, returns });
  }
}
